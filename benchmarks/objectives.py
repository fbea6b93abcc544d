"""Objectives and group quotas at scale: what the README's "Other objectives" lines rest on.

``python -m benchmarks.objectives`` (``make bench-objectives``) times ``matching.match()``
in-process on seeded synthetic cohorts:

- ``total``, ``coverage`` and ``fair`` on the programme series' cohort
  (``benchmarks.instances.cohort_frames``: demand 1, no minimum loads);
- the default programme plus one group quota, "at least ``--share`` of the cooperative
  members matched", on cohorts with few mentors so that the quota binds: once with one
  mentor per mentee and once with demands as ``generate_cohort`` draws them (some mentees
  want two mentors);
- the cooperative quota made soft (a penalty of 0.5 per member short);
- the same cohorts (demands as drawn) with a quota per country, "at least
  ``--country-share`` of each country's mentees matched": ten quotas at once, under
  ``coverage`` and under ``fair``; then with the cooperative quota as well, which
  overlaps them.

Each case runs once after one discarded warm-up match per process; the table gives the
seconds, the solve step, the method the solver reports, its status and gap, and the
matched count. A quota case also reports whether the optimum without the quota meets it
(then the quota costs nothing). Output: a plain table, ``results/<name>.json`` and
``results/<name>.md``. Nothing is asserted: compare the lines of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.instances import cohort_frames
from benchmarks.run import machine_info, parse_sizes
from matching.errors import RuleError
from matching.model import Objective

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OBJECTIVES: tuple[Objective, ...] = ("coverage", "total", "fair")
FULL_SIZES = "30000x3000"
FULL_QUOTA_SIZES = "3000x120,30000x1200"
QUICK_SIZES = "2000x200"
QUICK_QUOTA_SIZES = "300x12"
_NOT_MET = {"seconds": None, "solve_seconds": None, "method": "—", "gap": None}
_NOT_MET |= {"matched": 0, "total_score": None, "load_average_before": None}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.objectives",
        description="matching.match() under every objective and with binding quotas.",
    )
    parser.add_argument("--sizes", help=f"objective cohorts (default {FULL_SIZES})")
    parser.add_argument("--quota-sizes", help=f"quota cohorts (default {FULL_QUOTA_SIZES})")
    parser.add_argument("--share", type=float, default=0.95, help="quota: share of members")
    parser.add_argument(
        "--country-share", type=float, default=0.5, help="per-country quotas: share of each"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="results file stem (default objectives or -quick)")
    parser.add_argument(
        "--out-dir", type=Path, default=RESULTS, help=f"where results go (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    args.sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    args.quota_sizes = parse_sizes(
        args.quota_sizes or (QUICK_QUOTA_SIZES if args.quick else FULL_QUOTA_SIZES)
    )
    if not (0.0 < args.share <= 1.0 and 0.0 < args.country_share <= 1.0):
        parser.error("--share and --country-share must be in (0, 1]")
    args.name = args.name or ("objectives-quick" if args.quick else "objectives")
    return args


def _timed(mentees: Any, mentors: Any, programme: Any, objective: Objective) -> dict[str, Any]:
    import matching

    load = os.getloadavg()[0]
    started = time.perf_counter()
    with matching.process_settings():  # as the marraine command and the run worker
        result = matching.match(mentees, mentors, programme, objective=objective)
    seconds = time.perf_counter() - started
    summary = result.summary
    return {
        "seconds": round(seconds, 3),
        "solve_seconds": float(summary.timings.get("solve", float("nan"))),
        "method": str(summary.method),
        "status": str(summary.status),
        "gap": float(summary.gap),
        "matched": int(summary.matched),
        "total_score": float(summary.total_score),
        "load_average_before": round(load, 2),
    }


def _quota_cohort(
    n: int, m: int, seed: int, quotas: Callable[[Any], list[dict[str, Any]]], one_each: bool
) -> tuple[Any, ...]:
    """The default programme with the quotas ``quotas(mentees)`` asks for, and a cohort."""
    import matching
    from matching.model import Programme
    from matching.synthetic import generate_cohort

    cohort = generate_cohort(n, m, seed=seed)
    mentees = cohort.mentees.copy()
    if one_each:
        mentees["demand"] = 1
    config = matching.default_programme().model_dump()
    config["quotas"] = quotas(mentees)
    return Programme.from_dict(config), mentees, cohort.mentors


def _cooperative(share: float) -> Callable[[Any], list[dict[str, Any]]]:
    """At least ``share`` of the cooperative members matched."""
    return lambda mentees: [{"field": "status", "value": "cooperative", "min_share": share}]


def _soft_cooperative(share: float, penalty: float) -> Callable[[Any], list[dict[str, Any]]]:
    """The cooperative quota, soft: each member short of it costs ``penalty``."""
    soft = {"hard": False, "penalty": penalty}
    return lambda mentees: [quota | soft for quota in _cooperative(share)(mentees)]


def _each_country(share: float) -> Callable[[Any], list[dict[str, Any]]]:
    """At least ``share`` of each country's mentees matched (one quota per country)."""

    def quotas(mentees: Any) -> list[dict[str, Any]]:
        countries = sorted(mentees["country"].astype(str).unique())
        return [{"field": "country", "value": c, "min_share": share} for c in countries]

    return quotas


def _together(*parts: Callable[[Any], list[dict[str, Any]]]) -> Callable[[Any], list[Any]]:
    """Every quota of every part."""
    return lambda mentees: [quota for part in parts for quota in part(mentees)]


def _quota_met_without(programme: Any, mentees: Any, mentors: Any, objective: Objective) -> bool:
    """Whether the optimum without the quotas already matches every share asked for."""
    import matching

    free = programme.model_copy(update={"quotas": ()})
    result = matching.match(mentees, mentors, free, objective=objective)
    matched_ids = {p.mentee_id for p in result.pairs}
    for quota in programme.quotas:
        values = mentees[quota.field].astype(str).str.strip().str.lower()
        members = set(mentees.loc[values == quota.value.strip().lower(), "id"])
        if len(matched_ids & members) < float(quota.min_share) * len(members) - 1e-9:
            return False
    return True


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    warm = cohort_frames(300, 30, args.seed)
    _timed(warm[1], warm[2], warm[0], "coverage")  # first-call costs stay out of the table
    for n, m in args.sizes:
        programme, mentees, mentors = cohort_frames(n, m, args.seed)
        for objective in OBJECTIVES:
            print(f"== {n}x{m} {objective}", flush=True)
            row: dict[str, Any] = {"case": f"{n}x{m}", "objective": objective, "quota": ""}
            rows.append(row | _timed(mentees, mentors, programme, objective))
    cooperative, each_country = _cooperative(args.share), _each_country(args.country_share)
    both = _together(cooperative, each_country)
    coop, country = f"cooperative >= {args.share:g}", f"each country >= {args.country_share:g}"
    cases: list[tuple[Callable[[Any], list[Any]], bool, str, Objective]] = [
        (cooperative, True, f"{coop}, one mentor each", "coverage"),
        (cooperative, False, f"{coop}, demand as drawn", "coverage"),
        (each_country, False, country, "coverage"),
        (each_country, False, country, "fair"),
        (both, False, f"{coop} and {country}", "coverage"),
        (
            _soft_cooperative(args.share, 0.5),
            True,
            f"{coop} soft (0.5), one mentor each",
            "coverage",
        ),
    ]
    for n, m in args.quota_sizes:
        for quotas, one_each, label, objective in cases:
            print(f"== {n}x{m} {objective} quota: {label}", flush=True)
            programme, mentees, mentors = _quota_cohort(n, m, args.seed, quotas, one_each)
            met = _quota_met_without(programme, mentees, mentors, objective)
            quota_row: dict[str, Any] = {
                "case": f"{n}x{m}",
                "objective": objective,
                "quota": label,
                "met_without_quota": met,
            }
            try:
                rows.append(quota_row | _timed(mentees, mentors, programme, objective))
            except RuleError as error:  # a cohort too small for the share asked for
                print(f"   {error}", flush=True)
                rows.append(quota_row | _NOT_MET | {"status": "quota cannot be met"})
    results = {"name": args.name, "machine": machine_info(), "seed": args.seed, "rows": rows}
    table = _markdown(rows)
    print(table)
    json_path = args.out_dir / f"{args.name}.json"
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(table)
    print(f"wrote {json_path}")
    return results


def _number(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| N x M | objective | quota | met without it | seconds | solve s | method | status "
        "| gap | matched |",
        "|---|---|---|---|---:|---:|---|---|---:|---:|",
    ]
    for r in rows:
        met = {"True": "yes", "False": "no"}.get(str(r.get("met_without_quota")), "—")
        lines.append(
            f"| {r['case']} | {r['objective']} | {r['quota'] or '—'} | {met} "
            f"| {_number(r['seconds'], '.2f')} | {_number(r['solve_seconds'], '.2f')} "
            f"| {r['method']} | {r['status']} | {_number(r['gap'], '.1e')} | {r['matched']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
