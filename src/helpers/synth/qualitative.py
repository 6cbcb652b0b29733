"""Coded segments, CMOC evidence and the fixed qualitative tables.

Segment texts are plainly artificial: each one says which kind of speaker or
source it stands for and what its codes are about, never a real quote.
"""

from __future__ import annotations

import numpy as np

from helpers.report.labels import with_article
from helpers.synth import design as D
from helpers.synth.common import stream
from helpers.synth.people import Site

ROLE_LABELS = {
    "gp": "GP", "practice_manager": "practice manager", "nurse": "practice nurse",
    "care_coordinator": "care coordinator", "health_wellbeing_coach": "health and well-being coach",
    "receptionist": "receptionist", "allied_health_professional": "allied health professional",
    "vcse_manager": "voluntary sector manager", "vcse_worker": "voluntary sector worker",
}
DOCUMENT_KINDS = ("job description", "patient leaflet", "referral form", "team meeting note",
                  "service directory page", "supervision template")
CODE_IDS = tuple(row[0] for row in D.CODEBOOK)
_CODE_INDEX = {code: i for i, code in enumerate(CODE_IDS)}
FILL_CODE_IDS = tuple(c for c in CODE_IDS if c not in D.EXTRA_CODE_RATES)  # drawn to fill a segment
_FILL_INDEX = {code: i for i, code in enumerate(FILL_CODE_IDS)}


def codebook_rows() -> list[dict]:
    return [{"code_id": c, "parent_id": p, "label": label, "kind": kind, "origin": origin}
            for c, p, label, kind, origin in D.CODEBOOK]


def theory_rows() -> tuple[list[dict], list[dict]]:
    nodes = [{"node_id": n, "label": label, "category": cat} for n, label, cat in D.THEORY_NODES]
    edges = [{"source": s, "target": t, "relation": rel, "origin": origin} for s, t, rel, origin in D.THEORY_EDGES]
    return nodes, edges


def cmoc_rows() -> list[dict]:
    rows = []
    for c, ctx, mech, out, prop, origin, _codes, _pattern in D.CMOCS:
        refined = dict(zip(("refined_context", "refined_mechanism", "refined_outcome"),
                           D.REFINED_CMOCS.get(c, (None, None, None))))
        rows.append({"cmoc_id": c, "context": ctx, "mechanism": mech, "outcome": out, "proposition_id": prop,
                     "origin": origin, **refined})
    return rows


def _skeleton(site: Site, interviews: list[dict], n_observed_days: int, rng) -> list[dict]:
    """Segments without codes or text, in a fixed order."""
    people = {p.participant_id: p for p in site.people}
    lw = site.link_worker.participant_id
    segs = []
    for interview in interviews:
        person = people[interview["participant_id"]]
        low, high = D.SEGMENTS_PER_INTERVIEW.get((person.group, interview["wave"]), (2, 4))
        for _ in range(int(rng.integers(low, high + 1))):
            segs.append({"source": "interview", "interview_id": interview["interview_id"],
                         "participant_id": person.participant_id, "wave": interview["wave"],
                         "speaker": person.group, "role": person.role})
    for source in ("observation", "debrief"):
        low, high = D.SEGMENTS_PER_DAY[source]
        count = int(rng.integers(low, high + 1, size=n_observed_days).sum())
        speaker = "observation" if source == "observation" else "link_worker"
        segs += [{"source": source, "interview_id": None, "participant_id": lw, "wave": None,
                  "speaker": speaker, "role": "link_worker"} for _ in range(count)]
    low, high = D.DOCUMENTS_PER_SITE
    segs += [{"source": "document", "interview_id": None, "participant_id": None, "wave": None,
              "speaker": "document", "role": None} for _ in range(int(rng.integers(low, high + 1)))]
    return segs


def _pick(rng, weights: dict, size: int) -> list[str]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=size, p=p / p.sum())]


def is_split(site: Site) -> bool:
    """Whether the site's embeddedness codes are split between the two ends (fitting-in sites only)."""
    return site.level == "fitting_in" and (site.no - 1) % 7 == D.SPLIT_SITE_POSITION - 1


def _embeddedness_levels(site: Site, n: int, rng) -> list[str]:
    """Exactly round(share * n) codes at the planted level, the rest split as designed."""
    if is_split(site):
        counts = [int(round(share * n)) for share in D.SPLIT_LEVELS.values()]
        counts[-1] = n - sum(counts[:-1])
        levels = [level for level, k in zip(D.SPLIT_LEVELS, counts) for _ in range(k)]
        return [levels[i] for i in rng.permutation(n)]
    planted = int(round(D.EMBEDDEDNESS_PLANTED_SHARE * n))
    rest = D.EMBEDDEDNESS_REST[site.level]
    (first, share), (second, _) = rest.items()
    n_first = int(round((n - planted) * share))
    levels = [site.level] * planted + [first] * n_first + [second] * (n - planted - n_first)
    return [levels[i] for i in rng.permutation(n)]


def _exactly(rng, members: list[int], rate: float) -> set[int]:
    """A random subset of exactly round(rate * len(members)) of the members."""
    size = int(round(rate * len(members)))
    return set(rng.choice(members, size=size, replace=False).tolist()) if size else set()


def _planted_codes(site: Site, segs: list[dict], rng) -> list[list[str]]:
    """Embeddedness, holding, anchor point and job satisfaction codes, in exact planted shares."""
    n = len(segs)
    planted: list[list[str]] = [[] for _ in range(n)]
    eligible = [i for i, s in enumerate(segs) if s["speaker"] != "patient"]
    n_emb = min(len(eligible), int(rng.integers(D.EMBEDDEDNESS_SEGMENTS[0], D.EMBEDDEDNESS_SEGMENTS[1] + 1)))
    chosen = sorted(rng.choice(eligible, size=n_emb, replace=False).tolist())
    for i, level in zip(chosen, _embeddedness_levels(site, n_emb, rng)):
        planted[i].append(f"embeddedness.{level}")

    holding = _exactly(rng, list(range(n)), D.HOLDING_RATE_BY_IMD[site.imd_quintile])
    functions = _pick(rng, D.HOLDING_FUNCTIONS, n)
    anchor_kind = [s["speaker"] if s["speaker"] in D.ANCHOR_RATE else "other" for s in segs]
    anchor = set()
    for kind, rate in D.ANCHOR_RATE.items():
        anchor |= _exactly(rng, [i for i in range(n) if anchor_kind[i] == kind], rate)
    parts = _pick(rng, D.ANCHOR_PARTS, n)
    lw_segments = [i for i, s in enumerate(segs) if s["speaker"] == "link_worker"]
    job = _exactly(rng, lw_segments, D.JOB_SATISFACTION_RATE_BY_LEVEL[site.level])
    for i in range(n):
        if i in holding:
            planted[i].append(functions[i])
        if i in anchor:
            planted[i].append(parts[i])
        if i in job:
            planted[i].append("outcome.job_satisfaction")
        del planted[i][3:]  # at most three codes per segment
    return planted


def _fill_weights(site: Site, speaker: str) -> np.ndarray:
    weights = np.zeros(len(FILL_CODE_IDS))
    for code, w in D.FILL_WEIGHTS[speaker].items():
        if code == "context.deprivation":
            w *= (6 - site.imd_quintile) / 3
        if code == "outcome.gp_contact_up" and site.rising_gp:
            w *= 3
        weights[_FILL_INDEX[code]] = w
    return weights


def _codes(site: Site, segs: list[dict], rng, seed: int) -> list[list[str]]:
    """1-3 codes per segment: planted ones first, then speaker-typical ones."""
    planted = _planted_codes(site, segs, rng)
    n = len(segs)
    target = 1 + rng.choice(3, size=n, p=D.CODES_PER_SEGMENT_PROBABILITIES)
    by_speaker = {speaker: _fill_weights(site, speaker) for speaker in D.FILL_WEIGHTS}
    weights = np.array([by_speaker[s["speaker"]] for s in segs])
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=weights.shape)  # Gumbel top-k: weighted, no replacement
    ranked = np.argsort(-keys, axis=1, kind="stable")
    codes = []
    for i in range(n):
        chosen = list(planted[i])
        for j in ranked[i]:
            if len(chosen) >= target[i] or not np.isfinite(keys[i, j]):
                break
            code = FILL_CODE_IDS[j]
            if code not in chosen:
                chosen.append(code)
        codes.append(chosen)
    return _with_extra_codes(site, segs, codes, seed)


def _with_extra_codes(site: Site, segs: list[dict], codes: list[list[str]], seed: int) -> list[list[str]]:
    """The codes of EXTRA_CODE_RATES added from their own stream, then each segment's codes in codebook order."""
    rng = stream(seed, "extra_codes", site.no)
    draws = rng.random((len(segs), len(D.EXTRA_CODE_RATES)))
    for i, seg in enumerate(segs):
        for j, (code, rates) in enumerate(D.EXTRA_CODE_RATES.items()):
            if draws[i, j] < rates.get(seg["speaker"], 0.0) and len(codes[i]) < D.MAX_CODES_PER_SEGMENT:
                codes[i].append(code)
    return [sorted(chosen, key=_CODE_INDEX.__getitem__) for chosen in codes]


def _text(site: Site, seg: dict, sid: str, codes: list[str], rng) -> str:
    topics = "; and ".join(D.CODE_PHRASES[c] for c in codes)
    if seg["source"] == "interview":
        if seg["speaker"] == "patient":
            who = "A patient"
        elif seg["speaker"] == "link_worker":
            who = "The link worker"
        else:
            who = with_article(ROLE_LABELS[seg["role"]])
        when = " at follow-up" if seg["wave"] == 2 else ""
        return (f"[Synthetic excerpt] {who} at site {site.site_id}{when} talks about {topics}. "
                f"Generated text, not a real quote (segment {sid}).")
    if seg["source"] == "observation":
        return (f"[Synthetic field note] Watching the link worker at site {site.site_id}, the researcher notes "
                f"{topics}. Generated text, not a real observation (segment {sid}).")
    if seg["source"] == "debrief":
        return (f"[Synthetic debrief note] At the end of the day at site {site.site_id} the link worker reflects on "
                f"{topics}. Generated text, not a real quote (segment {sid}).")
    kind = DOCUMENT_KINDS[int(rng.integers(len(DOCUMENT_KINDS)))]
    return (f"[Synthetic document extract] {with_article(kind)} from site {site.site_id} covers {topics}. "
            f"Generated text, not a real document (segment {sid}).")


def segments(site: Site, interviews: list[dict], n_observed_days: int, seed: int):
    """(segments, codings, planted facts) for one site."""
    rng = stream(seed, "segments", site.no)
    segs = _skeleton(site, interviews, n_observed_days, rng)
    codes = _codes(site, segs, rng, seed)
    seg_rows, coding_rows = [], []
    for number, (seg, seg_codes) in enumerate(zip(segs, codes), start=1):
        sid = f"{site.site_id}-SEG{number:04d}"
        seg_rows.append({"segment_id": sid, "source": seg["source"], "interview_id": seg["interview_id"],
                         "site_id": site.site_id, "participant_id": seg["participant_id"], "wave": seg["wave"],
                         "text": _text(site, seg, sid, seg_codes, rng)})
        coding_rows += [{"segment_id": sid, "code_id": c, "coder": D.CODERS[0]} for c in seg_codes]
    second, double = _second_coder(site, seg_rows, codes, seed)
    coding_rows += second
    emb = {level: sum(f"embeddedness.{level}" in c for c in codes) for level in D.LEVELS}
    n_emb = sum(emb.values())
    lw_segs = [c for s, c in zip(segs, codes) if s["speaker"] == "link_worker"]
    facts = {
        "n_segments": len(segs),
        "embeddedness_codes": emb,
        "embeddedness_score": round(sum(D.LEVEL_SCORE[k] * v for k, v in emb.items()) / n_emb, 4),
        "holding_rate": D.HOLDING_RATE_BY_IMD[site.imd_quintile],
        "holding_share_observed": round(sum(any(c.startswith("holding.") for c in cs) for cs in codes) / len(segs), 4),
        "job_satisfaction_rate_in_link_worker_segments": D.JOB_SATISFACTION_RATE_BY_LEVEL[site.level],
        "n_link_worker_segments": len(lw_segs),
        "embeddedness_split": is_split(site),
        "double_coding": double,
    }
    return seg_rows, coding_rows, codes, facts


def _second_coder(site: Site, seg_rows: list[dict], codes: list[list[str]], seed: int):
    """The second coder's codings of a share of the segments, and what was planted (counts)."""
    rng = stream(seed, "second_coder", site.no)
    n = len(seg_rows)
    chosen = sorted(rng.choice(n, size=int(round(D.DOUBLE_CODED_SHARE * n)), replace=False).tolist())
    rows, kept, dropped = [], 0, 0
    for i in chosen:
        keep = rng.random(len(codes[i])) < D.SECOND_CODER_KEEP
        if not keep.any():  # a coder who codes a segment applies at least one code
            keep[int(rng.integers(len(codes[i])))] = True
        rows += [{"segment_id": seg_rows[i]["segment_id"], "code_id": c, "coder": D.CODERS[1]}
                 for c, k in zip(codes[i], keep) if k]
        kept += int(keep.sum())
        dropped += int((~keep).sum())
    return rows, {"n_segments": len(chosen), "lead_codes_kept": kept, "lead_codes_dropped": dropped}


def cmoc_evidence_rows(site: Site, seg_rows: list[dict], codes: list[list[str]], seed: int) -> list[dict]:
    """Segments cited for or against each CMOC at one site, stances by design."""
    rng = stream(seed, "evidence", site.no)
    rows = []
    segments_with: dict[str, list[int]] = {}
    for i, seg_codes in enumerate(codes):
        for code in seg_codes:
            segments_with.setdefault(code, []).append(i)
    for cmoc_id, *_rest, relevant, pattern in D.CMOCS:
        if cmoc_id == D.SPARSE_CMOC and not (site.rising_gp or site.no % 3 == 0):
            continue
        candidates = sorted({i for code in relevant for i in segments_with.get(code, [])})
        size = min(len(candidates), int(rng.integers(D.EVIDENCE_PER_SITE[0], D.EVIDENCE_PER_SITE[1] + 1)))
        if size == 0:
            continue
        picked = sorted(rng.choice(candidates, size=size, replace=False).tolist())
        stances = rng.choice(len(D.STANCES), size=size, p=D.STANCE_PROBABILITIES[pattern])
        rows += [{"cmoc_id": cmoc_id, "segment_id": seg_rows[i]["segment_id"], "stance": D.STANCES[s]}
                 for i, s in zip(picked, stances)]
    return _judged(site, seg_rows, rows, seed)


def _judged(site: Site, seg_rows: list[dict], rows: list[dict], seed: int) -> list[dict]:
    """Each cited segment's relevance and rigour, from their own stream (rigour by kind of source)."""
    rng = stream(seed, "evidence_quality", site.no)
    source = {s["segment_id"]: s["source"] for s in seg_rows}
    levels = D.JUDGEMENT_LEVELS
    for row in rows:
        row["relevance"] = levels[int(rng.choice(len(levels), p=D.RELEVANCE_PROBABILITIES))]
        row["rigour"] = levels[int(rng.choice(len(levels), p=D.RIGOUR_PROBABILITIES[source[row["segment_id"]]]))]
    return rows
