"""Patient questionnaires (ONS4, GSE), GP contacts and fieldwork time use."""

from __future__ import annotations

import datetime as dt

import numpy as np

from helpers.data.contract import GSE_ITEMS, ONS_ITEMS
from helpers.synth import design as D
from helpers.synth.common import choice, months_np, stream
from helpers.synth.people import Site


def questionnaires(sites: list[Site], seed: int, scenario: str = "planted") -> list[dict]:
    """One row per patient interview; items driven by a latent well-being factor.

    The "null" scenario plants no mean change between the waves (the random
    latent change and the item noise stay).
    """
    rows = []
    for site in sites:
        rng = stream(seed, "questionnaires", site.no)
        for person in site.people:
            if person.group != "patient":
                continue
            rows += _answers(person, site, rng, scenario == "null")
    _blank_answers(rows, stream(seed, "questionnaires", 0))
    return rows


def _answers(person, site, rng, null: bool) -> list[dict]:
    z = person.wellbeing
    r = D.GSE["latent_correlation_with_wellbeing"]
    g = r * z + np.sqrt(1 - r * r) * rng.normal()
    z_change = rng.normal(0, D.ONS["latent_change_sd"])
    g_change = rng.normal(0, D.ONS["latent_change_sd"])
    shift = D.ONS["imd_shift_per_quintile"] * (site.imd_quintile - 3)
    rows = []
    for wave, when in ((1, person.wave1), (2, person.wave2)):
        if when is None:
            continue
        row = {"participant_id": person.participant_id, "wave": wave, "completed_date": when}
        for item in ONS_ITEMS:
            mean = D.ONS["baseline_mean"][item] + (-shift if item == "ons_anxious" else shift)
            latent = z + (z_change if wave == 2 else 0.0)
            if wave == 2 and not null:
                mean += D.ONS["change_by_level"][site.level][item]
            value = float(mean + D.ONS["loading"][item] * latent + rng.normal(0, D.ONS["item_noise_sd"]))
            row[item] = min(max(round(value), 0), 10)
        for item in GSE_ITEMS:
            mean = D.GSE["item_baseline_mean"]
            latent = g + (g_change if wave == 2 else 0.0)
            if wave == 2 and not null:
                mean += D.GSE["item_change_by_level"][site.level]
            value = float(mean + D.GSE["item_loading"] * latent + rng.normal(0, D.GSE["item_noise_sd"]))
            row[item] = min(max(round(value), 1), 4)
        rows.append(row)
    return rows


def _blank_answers(rows: list[dict], rng) -> None:
    """Scattered unanswered items, plus a few rows that skip most of the GSE."""
    items = ONS_ITEMS + GSE_ITEMS
    blank = rng.random((len(rows), len(items))) < D.MISSING["item_blank_probability"]
    for row, mask in zip(rows, blank):
        for item, is_blank in zip(items, mask):
            if is_blank:
                row[item] = None
    if not rows:
        return
    n_partial = max(1, int(round(D.MISSING["gse_partial_row_share"] * len(rows))))
    low, high = D.MISSING["gse_partial_blanks"]
    for index in sorted(rng.choice(len(rows), size=min(n_partial, len(rows)), replace=False).tolist()):
        for item_index in rng.choice(len(GSE_ITEMS), size=int(rng.integers(low, high + 1)), replace=False):
            rows[index][GSE_ITEMS[int(item_index)]] = None


def gp_anticipation(month: int) -> float:
    """Planted rate ratio of a month before referral against the stable baseline (1 after referral)."""
    return D.GP["anticipation_rate_ratio"] if -D.GP["anticipation_months"] <= month <= -1 else 1.0


def gp_level_ratio(site: Site, scenario: str = "planted") -> float:
    """Planted ratio of a site's GP contact rate after referral to the projected rate without referral."""
    if scenario == "null":
        return 1.0
    multiplier = (D.GP["rising_site_after_multiplier"] if site.rising_gp
                  else D.GP["after_multiplier_by_level"][site.level])
    return D.GP["level_rate_ratio"] * multiplier


_MONTHS = np.array([k for k in range(-60, 61) if k != 0])


def gp_contacts(sites: list[Site], seed: int, scenario: str = "planted") -> tuple[list[dict], dict]:
    """GP contacts over the whole extract period for every patient (model in `design.GP`).

    Returns the rows (one per contact) and each site's baseline multiplier.
    """
    start = np.datetime64(D.GP_EXTRACT_START, "D")
    end = np.datetime64(D.GP_EXTRACT_END, "D")
    anticipation = np.array([gp_anticipation(int(k)) for k in _MONTHS])
    types = D.GP["contact_types"]
    daily = D.GP["baseline_rate"] / D.DAYS_PER_MONTH
    rows, site_base = [], {}
    for site in sites:
        rng = stream(seed, "gp", site.no)
        base = float(np.exp(rng.normal(0, D.GP["site_baseline_lognormal_sd"])))
        site_base[site.site_id] = round(base, 4)
        level = gp_level_ratio(site, scenario)
        patients = [p for p in site.people if p.group == "patient"]
        if not patients:
            continue
        referral = np.array([np.datetime64(p.referral_date, "D") for p in patients])
        frailty = rng.gamma(D.GP["patient_frailty_gamma_shape"], 1 / D.GP["patient_frailty_gamma_shape"],
                            size=len(patients))
        ref = np.repeat(referral, len(_MONTHS))
        k = np.tile(_MONTHS, len(patients))
        # before: [r + k months, r + (k+1) months - 1 day]; after: [r + (k-1) months + 1 day, r + k months]
        lo_full = np.where(k < 0, months_np(ref, k), months_np(ref, k - 1) + 1)
        hi_full = np.where(k < 0, months_np(ref, k + 1) - 1, months_np(ref, k))
        lo, hi = np.maximum(lo_full, start), np.minimum(hi_full, end)
        days_in = (hi - lo).astype(np.int64) + 1
        keep = days_in > 0
        # calendar trend at the middle of the covered part of the month
        years = ((lo - start).astype(np.int64) + (days_in - 1) / 2) / 365.25
        mean = (daily * days_in * np.tile(anticipation, len(patients)) * np.repeat(frailty * base, len(_MONTHS))
                * np.where(k > 0, level * D.GP["slope_rate_ratio"] ** (k - 1.0), 1.0)
                * np.exp(D.GP["calendar_log_trend_per_year"] * years))
        counts = np.where(keep, rng.poisson(np.where(keep, mean, 0.0)), 0)
        offsets = np.floor(rng.random(int(counts.sum())) * np.repeat(days_in, counts)).astype(np.int64)
        dates = np.repeat(lo, counts) + offsets
        owner = np.repeat(np.repeat(np.arange(len(patients)), len(_MONTHS)), counts)
        on_referral = rng.random(len(patients)) < D.GP["referral_day_contact_probability"]
        dates = np.concatenate([dates, referral[on_referral]])
        owner = np.concatenate([owner, np.flatnonzero(on_referral)])
        kinds = rng.choice(len(types), size=len(dates), p=D.GP["contact_type_probabilities"])
        order = np.lexsort((kinds, dates, owner))
        for i in order:
            rows.append({"participant_id": patients[owner[i]].participant_id,
                         "contact_date": dates[i].item(), "contact_type": types[kinds[i]]})
    return rows, site_base


def observations(sites: list[Site], seed: int) -> list[dict]:
    """About fifteen observed days per site, several activities a day."""
    obs = D.OBSERVATION
    rows = []
    for site in sites:
        rng = stream(seed, "observations", site.no)
        days = site.days
        if rng.random() < 0.5:  # one day without observation (leave, training)
            skip = int(rng.integers(len(days)))
            days = days[:skip] + days[skip + 1:]
        probs = obs["activity_probabilities_by_level"][site.level]
        for day in days:
            total = 0
            for _ in range(int(rng.integers(obs["activities_per_day"][0], obs["activities_per_day"][1] + 1))):
                activity = choice(rng, obs["activities"], probs)
                low, high = obs["minutes_range"][activity]
                minutes = 5 * int(rng.integers(low // 5, high // 5 + 1))
                if total + minutes > 480:
                    break
                total += minutes
                if activity == "admin":
                    share = obs["admin_with_practice_staff_by_level"][site.level]
                    group = "practice_staff" if rng.random() < share else "alone"
                else:
                    groups, p = obs["with_group"][activity]
                    group = choice(rng, groups, p)
                rows.append({"site_id": site.site_id, "date": day, "activity": activity,
                             "minutes": minutes, "with_group": group})
    return rows


def observed_dates(rows: list[dict]) -> dict[str, list[dt.date]]:
    """Distinct observed dates per site, in date order."""
    days: dict[str, list[dt.date]] = {}
    for row in rows:
        seen = days.setdefault(row["site_id"], [])
        if not seen or seen[-1] != row["date"]:
            seen.append(row["date"])
    return days
