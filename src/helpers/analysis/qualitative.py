"""Counting coded segments: the coding matrix and the four concepts of the report.

A segment "carries" a code when codings.csv links them. Counts are of distinct
segments (a segment coded twice with one code counts once). Where a concept is
summarised as a whole (e.g. "holding"), a segment counts when it carries the
concept's code or any code below it in the codebook.
"""

from __future__ import annotations

import pandas as pd

from helpers.data.dataset import Dataset

SOURCES = ("interview", "observation", "debrief", "document")
WHO = ("patients", "link worker", "professionals", "field notes", "documents")
CONCEPTS = ("holding", "micro_discretion", "anchor_point", "embeddedness")
CONCEPT_NAMES = {"holding": "Holding", "micro_discretion": "Micro-discretions",
                 "anchor_point": "Anchor point", "embeddedness": "Embeddedness"}
HOLDING_FUNCTIONS = ("holding.waiting", "holding.preparing", "holding.staff_burden", "holding.witness")
HOLDING_COSTS = ("holding.overload", "holding.burnout", "holding.support", "holding.unrecognised")
RECOMMENDATION_CODES = ("context.role_definition", "context.private_space", "context.vcse_funding",
                        "connections.feedback")
DISCRETION_DOMAINS = ("micro_discretion.time", "micro_discretion.place", "micro_discretion.referrals",
                      "micro_discretion.training", "micro_discretion.data")
DISCRETION_LIMITS = ("micro_discretion.boundary", "micro_discretion.strain")
ANCHOR_PARTS = ("anchor_point.trust", "anchor_point.hope", "anchor_point.readiness")
SELF_CONFIDENCE_HOPE = "outcome.self_confidence_hope"
JOB_SATISFACTION = "outcome.job_satisfaction"
MATRIX_COLUMNS = ("site_id", "code_id", "n_segments", "n_participants")


def coding_matrix(dataset: Dataset) -> pd.DataFrame:
    """coding_matrix.csv rows: every site x every codebook code (codebook order), zeros included.

    n_segments counts distinct segments coded directly with the code;
    n_participants counts the distinct participants those segments belong to
    (a debrief or observation belongs to its link worker; documents to nobody).
    Parent codes are not rolled up here: they count only their own codings.
    """
    coded = dataset.codings.merge(dataset.segments[["segment_id", "site_id", "participant_id"]], on="segment_id")
    counts = coded.groupby(["site_id", "code_id"]).agg(
        n_segments=("segment_id", "nunique"), n_participants=("participant_id", "nunique"))
    index = pd.MultiIndex.from_product([dataset.site_ids, list(dataset.codebook["code_id"])],
                                       names=["site_id", "code_id"])
    return counts.reindex(index, fill_value=0).astype("int64").reset_index()[list(MATRIX_COLUMNS)]


def subtree(codebook: pd.DataFrame, root: str) -> list[str]:
    """The code and every code below it, in codebook order."""
    children = codebook.groupby("parent_id")["code_id"].apply(list).to_dict()
    found, todo = set(), [root]
    while todo:
        code = todo.pop()
        found.add(code)
        todo += children.get(code, [])
    return [c for c in codebook["code_id"] if c in found] or [root]


def carries(dataset: Dataset, codes) -> pd.Series:
    """Boolean per segment (indexed by segment_id): does it carry any of `codes`?"""
    hit = set(dataset.codings.loc[dataset.codings["code_id"].isin(list(codes)), "segment_id"])
    ids = dataset.segments["segment_id"]
    return pd.Series(ids.isin(hit).to_numpy(), index=ids.to_numpy())


def who(dataset: Dataset) -> pd.Series:
    """Whose voice each segment is (indexed by segment_id), one of ``WHO``.

    Interviews go by the speaker's group (health and voluntary-sector staff are
    "professionals"); debriefs are the link worker's; the researcher's
    observations ("field notes") and documents are kept apart.
    """
    groups = dataset.participants.set_index("participant_id")["group"]
    seg = dataset.segments
    speaker = seg["participant_id"].map(groups).map(
        {"patient": "patients", "link_worker": "link worker",
         "health_professional": "professionals", "voluntary_sector": "professionals"})
    voice = seg["source"].map({"observation": "field notes", "document": "documents", "debrief": "link worker"})
    voice = voice.where(seg["source"] != "interview", speaker)
    return pd.Series(voice.to_numpy(), index=seg["segment_id"].to_numpy(), dtype="object")


def code_labels(codebook: pd.DataFrame, codes) -> list[str]:
    labels = codebook.set_index("code_id")["label"]
    return [labels.get(c, c) for c in codes]


def by_source(dataset: Dataset) -> pd.DataFrame:
    """Segments per code (rows, codebook order, unused codes left out) by source, plus participants."""
    coded = dataset.codings.merge(dataset.segments[["segment_id", "source", "participant_id"]], on="segment_id")
    coded = coded.drop_duplicates(["segment_id", "code_id"])
    table = pd.crosstab(coded["code_id"], coded["source"]).reindex(columns=list(SOURCES), fill_value=0)
    table["all sources"] = table.sum(axis=1)
    table["participants"] = coded.groupby("code_id")["participant_id"].nunique()
    order = [c for c in dataset.codebook["code_id"] if c in table.index]
    table = table.loc[order]
    table.index = pd.Index(code_labels(dataset.codebook, order), name="code")
    table.columns.name = None
    return table


def in_codebook(codebook: pd.DataFrame, codes) -> list[str]:
    """The `codes` the codebook has, in the given order (a dataset's own codebook may lack some)."""
    known = set(codebook["code_id"])
    return [c for c in codes if c in known]


def by_who(dataset: Dataset, codes) -> pd.DataFrame:
    """Segments carrying each code (rows, labelled) by whose voice they are (columns ``WHO``), with a total.

    Codes the codebook lacks are left out; with none left the table has no rows.
    """
    codes = in_codebook(dataset.codebook, codes)
    if not codes:
        return pd.DataFrame(columns=[*WHO, "all"]).rename_axis("code")
    voices = who(dataset)
    rows = {label: voices[carries(dataset, [code])].value_counts().reindex(list(WHO), fill_value=0)
            for code, label in zip(codes, code_labels(dataset.codebook, codes))}
    table = pd.DataFrame(rows).T.astype("int64")
    table["all"] = table.sum(axis=1)
    table.index.name = "code"
    return table


def co_coded(dataset: Dataset, codes, others, names=None) -> pd.DataFrame:
    """For each code (rows): its segments, and how many of them also carry each of `others`
    (columns "also: <name>", names defaulting to the codebook labels)."""
    base = {code: carries(dataset, [code]) for code in codes}
    table = pd.DataFrame({"segments": {c: int(s.sum()) for c, s in base.items()}})
    for other, name in zip(others, names or code_labels(dataset.codebook, others)):
        also = carries(dataset, [other])
        table[f"also: {name}"] = [int((base[c] & also).sum()) for c in codes]
    table.index = pd.Index(code_labels(dataset.codebook, codes), name="code")
    return table


def share_by_site(dataset: Dataset, codes, among: pd.Series | None = None) -> pd.Series:
    """Per site (dataset order): share of its segments carrying any of `codes`.

    `among`, a boolean per segment, restricts the denominator (e.g. to the link
    worker's own words). NaN for a site with no segment in the denominator.
    """
    seg = dataset.segments.set_index("segment_id")
    hit = carries(dataset, codes)
    keep = among.reindex(seg.index, fill_value=False) if among is not None else pd.Series(True, index=seg.index)
    frame = pd.DataFrame({"site_id": seg["site_id"], "hit": hit.reindex(seg.index)})[keep.to_numpy()]
    shares = frame.groupby("site_id")["hit"].mean().astype("float64")
    return shares.reindex(dataset.site_ids).rename_axis("site_id")


def concept_rows(codebook: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(label, codes) for each of the four concepts as a whole and then each of its codes."""
    rows = []
    for concept in CONCEPTS:
        family = subtree(codebook, concept)
        rows.append((f"{CONCEPT_NAMES[concept]} (any)", family))
        rows += [(f"   {label}", [code]) for code, label in
                 zip(family[1:], code_labels(codebook, family[1:]))]
    return rows


def concept_shares(dataset: Dataset) -> pd.DataFrame:
    """Share of each site's segments (columns) carrying each concept or concept code (rows)."""
    rows = concept_rows(dataset.codebook)
    return pd.DataFrame({label: share_by_site(dataset, codes) for label, codes in rows}).T
