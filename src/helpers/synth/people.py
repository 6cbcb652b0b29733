"""Sites, participants and research interviews."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from helpers.synth import design as D
from helpers.synth.common import add_months, choice, scaled, spread, stream, to_weekday, weekdays


@dataclass(eq=False)
class Site:
    no: int
    site_id: str
    region: str
    rurality: str
    imd_quintile: int
    employer: str
    population_served: int
    lw_months_in_post: int
    team_model: str
    fieldwork_start: dt.date
    fieldwork_end: dt.date
    level: str  # planted embeddedness, recorded only in truth.json
    rising_gp: bool  # patients' GP contacts rise after referral
    people: list = field(default_factory=list)

    @property
    def days(self) -> list[dt.date]:
        return weekdays(self.fieldwork_start, self.fieldwork_end)

    @property
    def link_worker(self) -> "Person":
        return next(p for p in self.people if p.group == "link_worker")

    def row(self) -> dict:
        return {
            "site_id": self.site_id, "region": self.region, "rurality": self.rurality,
            "imd_quintile": self.imd_quintile, "employer": self.employer,
            "population_served": self.population_served, "lw_months_in_post": self.lw_months_in_post,
            "team_model": self.team_model, "fieldwork_start": self.fieldwork_start,
            "fieldwork_end": self.fieldwork_end,
        }


@dataclass(eq=False)
class Person:
    participant_id: str
    site: Site
    group: str
    role: str
    age_band: str | None
    gender: str | None
    wave1: dt.date
    referral_date: dt.date | None = None
    wellbeing: float = 0.0  # latent baseline well-being (patients)
    wave2: dt.date | None = None

    def row(self) -> dict:
        return {
            "participant_id": self.participant_id, "site_id": self.site.site_id, "group": self.group,
            "role": self.role, "age_band": self.age_band, "gender": self.gender,
            "referral_date": self.referral_date,
        }


def make_sites(n_sites: int, seed: int) -> list[Site]:
    """The first seven sites follow the fixed design; later ones are drawn at random."""
    sites = []
    for no in range(1, n_sites + 1):
        spec = dict(D.DESIGN_SITES[no - 1]) if no <= len(D.DESIGN_SITES) else _random_site(no, seed)
        start = spec.pop("fieldwork_start")
        level = spec.pop("embeddedness")
        sites.append(Site(
            no=no, site_id=f"S{no}", fieldwork_start=start,
            fieldwork_end=start + dt.timedelta(D.FIELDWORK_DAYS - 1), level=level,
            rising_gp=(no - 1) % 7 == D.RISING_GP_POSITION - 1, **spec,
        ))
    return sites


def _random_site(no: int, seed: int) -> dict:
    rng = stream(seed, "site", no)
    first_monday = D.FIELDWORK_FIRST_START + dt.timedelta((7 - D.FIELDWORK_FIRST_START.weekday()) % 7)
    n_mondays = (D.FIELDWORK_LAST_START - first_monday).days // 7 + 1
    population = math.exp(rng.uniform(math.log(8000), math.log(60000)))
    return dict(
        region=D.REGIONS[int(rng.integers(len(D.REGIONS)))],
        rurality=choice(rng, ("urban", "rural", "mixed"), (0.45, 0.3, 0.25)),
        imd_quintile=int(rng.integers(1, 6)),
        employer=choice(rng, ("primary_care", "vcse"), (0.5, 0.5)),
        population_served=int(round(population, -2)),
        lw_months_in_post=int(rng.integers(3, 49)),
        team_model=choice(rng, ("sole", "team"), (0.55, 0.45)),
        fieldwork_start=first_monday + dt.timedelta(7 * int(rng.integers(n_mondays))),
        embeddedness=D.LEVELS[(no - len(D.DESIGN_SITES) - 1) % 3],
    )


def add_people(sites: list[Site], seed: int) -> None:
    """Participants with their wave-1 dates; patients get a referral date and latent well-being."""
    n = len(sites)
    professionals = spread(scaled(D.PROFESSIONALS_AT_7, n), n)
    patients = spread(scaled(D.PATIENTS_AT_7, n), n)
    for site, n_prof, n_pat in zip(sites, professionals, patients):
        rng = stream(seed, "people", site.no)
        days = site.days
        site.people = [_link_worker(site, rng, days)]
        site.people += _professionals(site, rng, days, n_prof)
        site.people += _patients(site, rng, days, n_pat)
        site.people.sort(key=lambda p: p.participant_id)


def _demographics(rng, kind: str) -> tuple[str | None, str | None]:
    probs = D.DEMOGRAPHICS[kind]
    blank = D.DEMOGRAPHICS["blank_probability"]
    age = None if rng.random() < blank else choice(rng, D.AGE_BANDS, probs["age"])
    gender = None if rng.random() < blank else choice(rng, D.GENDERS, probs["gender"])
    return age, gender


def _in_order(rng, days, count) -> list[dt.date]:
    """`count` fieldwork dates, sorted, so that numbering follows interview order."""
    return sorted(days[i] for i in rng.integers(len(days), size=count))


def _link_worker(site, rng, days) -> Person:
    age, gender = _demographics(rng, "staff")
    when = days[int(rng.integers(len(days) - 5, len(days)))]
    return Person(f"{site.site_id}-LW01", site, "link_worker", "link_worker", age, gender, when)


def _professionals(site, rng, days, count) -> list[Person]:
    n_vs = int(count * D.VS_SHARE + 0.5)
    n_hp = count - n_vs
    roles = list(rng.permutation(D.HP_ROLES))[:n_hp]
    extra = ("gp", "nurse", "receptionist", "care_coordinator")
    roles += [extra[i % len(extra)] for i in range(n_hp - len(roles))]
    members = [("health_professional", "HP", str(r)) for r in roles]
    members += [("voluntary_sector", "VS", D.VS_ROLES[0 if i == 0 else 1]) for i in range(n_vs)]
    order = rng.permutation(len(members))  # interview order
    dates = _in_order(rng, days, count)
    people = []
    for number, (index, when) in enumerate(zip(order, dates), start=1):
        group, prefix, role = members[index]
        age, gender = _demographics(rng, "staff")
        people.append(Person(f"{site.site_id}-{prefix}{number:02d}", site, group, role, age, gender, when))
    return people


def _patients(site, rng, days, count) -> list[Person]:
    low_weeks, high_weeks = D.REFERRAL_WEEKS_BEFORE
    people = []
    for number, when in enumerate(_in_order(rng, days, count), start=1):
        age, gender = _demographics(rng, "patient")
        referral = when - dt.timedelta(int(rng.integers(7 * low_weeks, 7 * high_weeks + 1)))
        low = when - dt.timedelta(7 * high_weeks)
        referral = to_weekday(referral, low, when - dt.timedelta(7 * low_weeks))
        people.append(Person(f"{site.site_id}-PT{number:02d}", site, "patient", "patient", age, gender, when,
                             referral_date=referral, wellbeing=float(rng.normal())))
    return people


def choose_followup(sites: list[Site], seed: int) -> dict:
    """Pick the patients re-interviewed at wave 2 (not at random) and date wave 2.

    Link workers are always re-interviewed. Returns the attrition facts for truth.json.
    """
    patients = [p for s in sites for p in s.people if p.group == "patient"]
    keep = scaled(D.FOLLOWED_UP_AT_7, len(sites))
    rng = stream(seed, "followup")
    z = np.array([p.wellbeing for p in patients])
    weights = np.exp(D.ATTRITION["slope"] * z)
    keys = np.log(rng.random(len(patients))) / weights  # Efraimidis-Spirakis weighted sampling
    chosen = set(np.argsort(-keys, kind="stable")[:keep].tolist())
    for index, person in enumerate(patients):
        if index in chosen:
            person.wave2 = _wave2_date(person, rng)
    for site in sites:
        site.link_worker.wave2 = _wave2_date(site.link_worker, rng)
    kept = z[sorted(chosen)]
    lost = np.delete(z, sorted(chosen))
    return {
        **D.ATTRITION,
        "n_patients": len(patients),
        "n_followed_up": keep,
        "mean_latent_wellbeing_followed_up": round(float(kept.mean()), 4) if len(kept) else None,
        "mean_latent_wellbeing_lost": round(float(lost.mean()), 4) if len(lost) else None,
        "link_workers_reinterviewed": True,
    }


def _wave2_date(person: Person, rng) -> dt.date:
    low = add_months(person.wave1, 9)
    high = min(add_months(person.wave1, 12), D.STUDY_END)
    day = low + dt.timedelta(int(rng.integers((high - low).days + 1)))
    return to_weekday(day, low, high)


def interviews(sites: list[Site], seed: int) -> list[dict]:
    """One wave-1 interview per participant, wave 2 for followed-up patients and link workers."""
    rows = []
    blank = D.INTERVIEW["blank_duration_probability"]
    for site in sites:
        rng = stream(seed, "interviews", site.no)
        for person in site.people:
            for wave, when in ((1, person.wave1), (2, person.wave2)):
                if when is None:
                    continue
                kind = person.group if person.group in ("patient", "link_worker") else "staff"
                modes, (mean, sd) = D.INTERVIEW.get(f"{kind}_{wave}", D.INTERVIEW["staff_1"])
                minutes = min(max(round(float(rng.normal(mean, sd))), 15), 150)
                rows.append({
                    "interview_id": f"{person.participant_id}-W{wave}",
                    "participant_id": person.participant_id, "wave": wave, "date": when,
                    "mode": choice(rng, D.MODES, modes),
                    "duration_min": None if rng.random() < blank else minutes,
                })
    return rows
