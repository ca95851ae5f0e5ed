"""Throughput of the working-day calendar: add_working_days and working_days_between.

Run: ``.venv/bin/python benchmarks/bench_calendar.py [--ops N]``. Prints one JSON object per
figure. The baseline is day-by-day stepping over ``is_working_day`` (what a naive deadline loop
does); ``ratio`` is our ops/s over the baseline's.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from community_governance.calendars import WorkingDayCalendar, load_calendar


def _naive_add(cal: WorkingDayCalendar, start: date, n: int) -> date:
    day = start
    if n == 0:
        while not cal.is_working_day(day):
            day += timedelta(days=1)
        return day
    while n:
        day += timedelta(days=1)
        n -= cal.is_working_day(day)
    return day


def _naive_between(cal: WorkingDayCalendar, start: date, end: date) -> int:
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        count += cal.is_working_day(day)
    return sign * count


def _rate(run: Callable[[], object], ops: int) -> float:
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return ops / best


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--baseline-ops", type=int, default=2_000)
    args = parser.parse_args()

    began = time.perf_counter()
    cal = load_calendar()
    load_ms = (time.perf_counter() - began) * 1000
    print(json.dumps({"figure": "load_calendar", "years": len(cal.years), "ms": round(load_ms, 2)}))

    rng = random.Random(8)
    first = date(2004, 1, 1).toordinal()
    last = date(2024, 12, 31).toordinal()
    starts = [date.fromordinal(rng.randint(first, last)) for _ in range(args.ops)]
    counts = [rng.randint(0, 500) for _ in range(args.ops)]
    ends = [date.fromordinal(rng.randint(first, last)) for _ in range(args.ops)]
    pairs = list(zip(starts, counts, strict=True))
    spans = list(zip(starts, ends, strict=True))

    add = cal.add_working_days
    between = cal.working_days_between
    add_rate = _rate(lambda: [add(s, n) for s, n in pairs], args.ops)
    between_rate = _rate(lambda: [between(s, e) for s, e in spans], args.ops)

    k = args.baseline_ops
    naive_add_rate = _rate(lambda: [_naive_add(cal, s, n) for s, n in pairs[:k]], k)
    naive_between_rate = _rate(lambda: [_naive_between(cal, s, e) for s, e in spans[:k]], k)

    # Sanity: the fast and naive paths agree on the baseline sample.
    assert all(add(s, n) == _naive_add(cal, s, n) for s, n in pairs[:200])
    assert all(between(s, e) == _naive_between(cal, s, e) for s, e in spans[:200])

    for name, rate, base, workload in (
        ("add_working_days", add_rate, naive_add_rate, "n uniform in 0..500"),
        ("working_days_between", between_rate, naive_between_rate, "spans up to 21 years"),
    ):
        print(
            json.dumps(
                {
                    "figure": name,
                    "ops_per_s": round(rate),
                    "us_per_op": round(1e6 / rate, 3),
                    "ops": args.ops,
                    "workload": workload,
                    "baseline": "day-by-day stepping over is_working_day",
                    "baseline_ops_per_s": round(base),
                    "ratio": round(rate / base, 1),
                }
            )
        )

    # A county's calendar (national + local days, provisional years) in the services: the
    # deadline with its provisional flag, the calendar looked up per county on every call (as
    # the cases service does), against the plain national add_working_days of the same run.
    import community_governance
    from community_governance.calendars import LocalDay

    class Local:
        @community_governance.hookimpl
        def cgov_local_calendar_days(self, county_code: str, year: int) -> list[LocalDay]:
            return [LocalDay.day_off(date(year, 3, 12), "本地纪念日")] if year != 2027 else []

    late = [date.fromordinal(rng.randint(date(2024, 1, 1).toordinal(),
                                         date(2026, 12, 31).toordinal())) for _ in range(args.ops)]
    recent = list(zip(late, counts, strict=True))
    with community_governance.open("memory://", entrypoints=False, plugins=[Local()]) as gov:
        svc = gov.cases
        county = svc.calendar("411202")
        county_rate = _rate(lambda: [svc.calendar("411202").deadline(s, n % 60)
                                     for s, n in recent], args.ops)
        plain_rate = _rate(lambda: [add(s, n % 60) for s, n in recent], args.ops)
        assert county.is_provisional(date(2027, 1, 4))
    print(json.dumps({
        "figure": "county deadline (calendar per county cached, provisional flag)",
        "ops_per_s": round(county_rate), "us_per_op": round(1e6 / county_rate, 3),
        "ops": args.ops, "workload": "starts 2024-2026, n in 0..59 (some reach 2027)",
        "baseline": "national add_working_days, same inputs, same run",
        "baseline_ops_per_s": round(plain_rate), "ratio": round(county_rate / plain_rate, 2),
    }))


if __name__ == "__main__":
    main()
