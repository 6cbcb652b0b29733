"""Small shared tools: seeded random streams, dates and even splits."""

from __future__ import annotations

import datetime as dt

import numpy as np

# Every random stream is derived from (seed, component, site number), so a
# site's data do not depend on the order in which components are generated.
_COMPONENTS = {
    "site": 1, "people": 2, "followup": 3, "interviews": 4, "questionnaires": 5, "gp": 6,
    "observations": 7, "network": 8, "segments": 9, "evidence": 10,
    "extra_codes": 11, "second_coder": 12, "evidence_quality": 13,
}


def stream(seed: int, component: str, site_no: int = 0) -> np.random.Generator:
    """A child generator for one component (and one site, 0 for global draws)."""
    return np.random.default_rng([int(seed), _COMPONENTS[component], int(site_no)])


def spread(total: int, n: int) -> list[int]:
    """Split `total` into `n` near-equal whole parts (differing by at most one)."""
    return [(i + 1) * total // n - i * total // n for i in range(n)]


def scaled(count_at_7: int, n_sites: int) -> int:
    """A seven-site total scaled to `n_sites` (round(count * n / 7); never a tie)."""
    return (2 * count_at_7 * n_sites + 7) // 14


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """Monday-to-Friday dates from start to end inclusive."""
    days = (end - start).days + 1
    return [start + dt.timedelta(d) for d in range(days) if (start + dt.timedelta(d)).weekday() < 5]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (clipped to the month's end)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(1)).day
    return dt.date(year, month, min(day.day, last))


def to_weekday(day: dt.date, low: dt.date, high: dt.date) -> dt.date:
    """Move a weekend date to the next Monday, or back to Friday if that passes `high`."""
    if day.weekday() < 5:
        return day
    forward = day + dt.timedelta(7 - day.weekday())
    if forward <= high:
        return forward
    back = day - dt.timedelta(day.weekday() - 4)
    return back if back >= low else day


def choice(rng: np.random.Generator, options, probabilities) -> object:
    """One option drawn with the given probabilities (normalised); cheap for short lists."""
    target = rng.random() * sum(probabilities)
    for option, p in zip(options, probabilities):
        target -= p
        if target < 0:
            return option
    return next(o for o, p in zip(reversed(options), reversed(probabilities)) if p > 0)


def months_np(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Vectorised `add_months` on datetime64[D] arrays."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    first = dates.astype("datetime64[M]")
    day = (dates - first.astype("datetime64[D]")).astype(np.int64)
    target = first + np.asarray(months, dtype=np.int64)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(day, length - 1)
