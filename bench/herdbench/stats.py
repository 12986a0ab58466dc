"""The one place where samples become figures.

Every figure in the report is a list of samples, one per run; it is reported as its median with the minimum and
maximum. Latency distributions within one run (status round trips, per-second windows of a time series) are
reduced to percentiles here too, with the nearest-rank definition, so that no module rolls its own.
"""
import math
import statistics


def summary(samples):
    """{"median", "min", "max", "runs"} of a list of numbers; None for an empty list (a figure not measured)."""
    values = [s for s in samples if s is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of the values, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ratio(a, b):
    """a / b of two summaries' medians, or None when either is missing or b is zero."""
    if not a or not b or not b["median"]:
        return None
    return a["median"] / b["median"]


def number(value, unit=""):
    """A figure for tables and logs: 3 significant digits at most, whole numbers from 100 on."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}".replace(",", " ")
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def describe(s, unit=""):
    """'median (min-max)' of a summary, e.g. '560 ms (540-610)'."""
    if s is None:
        return "-"
    if s["runs"] == 1:
        return number(s["median"], unit)
    return f"{number(s['median'], unit)} ({number(s['min'])}–{number(s['max'])})"
