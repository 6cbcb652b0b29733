"""Organisations and stakeholder ties around each site.

Planted: the link worker bridges the practice side (health professionals,
practices, the primary care network) and the voluntary side (voluntary-sector
staff and groups); direct ties between the two sides are rare. The number and
strength of the link worker's ties into the practice rise with embeddedness.
"""

from __future__ import annotations

import numpy as np

from helpers.synth import design as D
from helpers.synth.common import stream
from helpers.synth.people import Site

PRACTICE_ORG_TYPES = ("general_practice", "primary_care_network")


def organisations(site: Site, rng) -> list[dict]:
    """Practices, the primary care network, community groups and council services of a site."""
    n_practices = 1 + int(site.population_served > 20000) + int(rng.random() < 0.3)
    kinds = [("general_practice", f"Practice {chr(65 + i)} (synthetic)") for i in range(n_practices)]
    kinds.append(("primary_care_network", "Primary care network (synthetic)"))
    kinds += [("vcse", f"Community group {i + 1} (synthetic)") for i in range(int(rng.integers(4, 8)))]
    kinds += [("council_service", f"Council service {i + 1} (synthetic)") for i in range(int(rng.integers(1, 3)))]
    return [{"org_id": f"{site.site_id}-ORG{i:02d}", "site_id": site.site_id, "org_type": kind, "label": label}
            for i, (kind, label) in enumerate(kinds, start=1)]


class _Ties:
    """At most one tie per pair of ends, in insertion order."""

    def __init__(self, site_id: str):
        self.site_id = site_id
        self.by_pair: dict[tuple[str, str], dict] = {}

    def add(self, source: str, target: str, relation: str, weight: int) -> bool:
        pair = (min(source, target), max(source, target))
        if source == target or pair in self.by_pair:
            return False
        self.by_pair[pair] = {"site_id": self.site_id, "source_id": source, "target_id": target,
                              "relation": relation, "weight": int(weight)}
        return True


def _weight(rng, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def network(site: Site, seed: int) -> tuple[list[dict], list[dict], dict]:
    """(organisations, connections, planted facts) for one site."""
    rng = stream(seed, "network", site.no)
    orgs = organisations(site, rng)
    of_type = {kind: [o["org_id"] for o in orgs if o["org_type"] == kind]
               for kind in ("general_practice", "primary_care_network", "vcse", "council_service")}
    practices, pcn = of_type["general_practice"], of_type["primary_care_network"][0]
    groups, councils = of_type["vcse"], of_type["council_service"]
    hp = [p for p in site.people if p.group == "health_professional"]
    vs = [p for p in site.people if p.group == "voluntary_sector"]
    patients = [p for p in site.people if p.group == "patient"]
    lw = site.link_worker.participant_id
    ties = _Ties(site.site_id)

    # Practice side.
    for practice in practices:
        ties.add(practice, pcn, "member_of", _weight(rng, 3, 4))
    for person in hp:
        home = pcn if person.role in ("care_coordinator", "health_wellbeing_coach") else \
            practices[int(rng.integers(len(practices)))]
        ties.add(person.participant_id, home, "member_of", _weight(rng, 3, 5))
    managers = [p for p in hp if p.role == "practice_manager"]
    for manager in managers:
        for person in hp:
            if person.role == "receptionist":
                ties.add(manager.participant_id, person.participant_id, "manages", _weight(rng, 3, 5))
    for i, a in enumerate(hp):
        for b in hp[i + 1:]:
            if rng.random() < D.NETWORK["practice_pair_tie_probability"]:
                ties.add(a.participant_id, b.participant_id, "works_with", _weight(rng, 2, 5))

    # Voluntary side.
    vs_managers = [p for p in vs if p.role == "vcse_manager"]
    for person in vs:
        home = groups[0] if person.role == "vcse_manager" else groups[int(rng.integers(len(groups)))]
        ties.add(person.participant_id, home, "member_of", _weight(rng, 3, 5))
        if person.role == "vcse_worker" and vs_managers and rng.random() < 0.5:
            ties.add(vs_managers[0].participant_id, person.participant_id, "manages", _weight(rng, 2, 4))
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            if rng.random() < D.NETWORK["vcse_org_pair_tie_probability"]:
                ties.add(a, b, "works_with", _weight(rng, 1, 4))
    for council in councils:
        for group in groups:
            if rng.random() < 0.4:
                ties.add(council, group, "supports", _weight(rng, 1, 3))

    # The link worker: into the practice, graded by embeddedness.
    low, high = D.NETWORK["lw_practice_weight_range_by_level"][site.level]
    share = D.NETWORK["lw_practice_tie_share_by_level"][site.level]
    practice_ties = []
    if site.employer == "primary_care":
        for manager in managers[:1]:
            ties.add(manager.participant_id, lw, "manages", _weight(rng, low, high))
            practice_ties.append(manager.participant_id)
        ties.add(lw, pcn, "member_of", _weight(rng, low, high))
        ties.add(lw, practices[0], "member_of", _weight(rng, low, high))
    else:
        ties.add(lw, practices[0], "works_with", _weight(rng, low, high))
    practice_ties += [pcn, practices[0]] if site.employer == "primary_care" else [practices[0]]
    for practice in practices[1:]:
        if rng.random() < share:
            ties.add(lw, practice, "works_with", _weight(rng, low, high))
            practice_ties.append(practice)
    wanted = max(1, int(round(share * len(hp))))
    tied_staff = [p.participant_id for p in hp if p.participant_id in practice_ties]
    for index in rng.permutation(len(hp)):
        person = hp[int(index)]
        if len(tied_staff) >= wanted:
            break
        if person.participant_id in tied_staff:
            continue
        if person.role in ("gp", "nurse"):
            ties.add(person.participant_id, lw, "refers_to", _weight(rng, low, high))
        else:
            ties.add(lw, person.participant_id, "works_with", _weight(rng, low, high))
        tied_staff.append(person.participant_id)
        practice_ties.append(person.participant_id)

    # The link worker: into the voluntary sector, councils and patients.
    if site.employer == "vcse":
        for manager in vs_managers[:1]:
            ties.add(manager.participant_id, lw, "manages", _weight(rng, 4, 5))
        ties.add(lw, groups[0], "member_of", _weight(rng, 4, 5))
    for i, group in enumerate(groups):
        if i < 2 or rng.random() < 0.8:
            ties.add(lw, group, "refers_to", _weight(rng, 2, 5))
    for person in vs:
        if rng.random() < 0.7:
            ties.add(lw, person.participant_id, "works_with", _weight(rng, 2, 4))
    for council in councils:
        ties.add(lw, council, "refers_to", _weight(rng, 1, 3))
    for person in patients:
        ties.add(lw, person.participant_id, "supports", _weight(rng, 2, 5))

    # Rarely, a direct tie between the two sides that bypasses the link worker.
    cross = 0
    if hp and rng.random() < D.NETWORK["cross_group_tie_probability"]:
        person = hp[int(rng.integers(len(hp)))]
        cross = int(ties.add(person.participant_id, groups[int(rng.integers(len(groups)))], "refers_to", 1))

    rows = list(ties.by_pair.values())
    lw_practice = [r for r in rows if r["source_id"] == lw and r["target_id"] in practice_ties
                   or r["target_id"] == lw and r["source_id"] in practice_ties]
    facts = {
        "lw_practice_ties": len(lw_practice),
        "lw_practice_mean_weight": round(float(np.mean([r["weight"] for r in lw_practice])), 4),
        "cross_group_ties": cross,
    }
    return orgs, rows, facts
