"""One solver on one instance, in its own process (run by :mod:`benchmarks.run`).

``python -m benchmarks.worker METHOD INSTANCE_DIR OUT.npz --objective coverage``

Loads the instance, resets the process's peak-RSS counter, then times the solve alone
(start-up and loading excluded) and writes the chosen pairs, the seconds and the peak RSS
during the solve. ``ours`` rebuilds the participants from the seed and times the whole
``matching.match()`` (scoring included); the baselines read the dense score matrix.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._measure import hwm_bytes, reset_hwm
from benchmarks.instances import cohort_frames, load_instance

BASELINES = {
    "mcf_full": "min_cost_flow_full",
    "scipy_lsa": "linear_sum_assignment_expanded",
    "networkx": "networkx_min_cost_flow",
    "greedy": "greedy",
}


def _ours(path: Path, objective: str) -> dict[str, Any]:
    """Time ``matching.match()`` on the instance's participants."""
    import pandas as pd

    import matching

    info = json.loads((path / "info.json").read_text())
    meta = np.load(path / "meta.npz", allow_pickle=False)
    scores_frame = None
    if info["kind"] == "programme":
        programme, mentees, mentors = cohort_frames(info["n"], info["m"], info["seed"])
    else:
        programme = None
        scores_frame = pd.read_parquet(path / "scores.parquet")
        mentees = pd.read_parquet(path / "mentees.parquet")
        mentors = pd.read_parquet(path / "mentors.parquet")
    match = matching.match  # resolving it imports the engine: start-up, not match time
    reset_hwm()
    cpu = time.process_time()
    started = time.perf_counter()
    with matching.process_settings():  # as the marraine command and the run worker
        result = match(mentees, mentors, programme, scores=scores_frame, objective=objective)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = hwm_bytes()
    mentee_index = pd.Index(meta["mentee_ids"])
    mentor_index = pd.Index(meta["mentor_ids"])
    rows = mentee_index.get_indexer([p.mentee_id for p in result.pairs])
    cols = mentor_index.get_indexer([p.mentor_id for p in result.pairs])
    summary = result.summary
    timings = dict(getattr(summary, "timings", {}) or {})
    extra = {
        "summary_seconds": float(summary.seconds),
        "timings": {k: float(v) for k, v in timings.items()},
        "reported_total_score": float(summary.total_score),
        "upper_bound": float(summary.upper_bound),
        "certified_gap": float(summary.gap),
        "rounds": int(getattr(summary, "rounds", 0) or 0),
        "candidate_arcs": int(getattr(summary, "candidate_arcs", 0) or 0),
        "method": str(getattr(summary, "method", "")),
    }
    return {
        "rows": rows,
        "cols": cols,
        "seconds": seconds,
        "cpu": cpu,
        "peak": peak,
        "extra": extra,
    }


def _baseline(method: str, path: Path, objective: str) -> dict[str, Any]:
    """Time one baseline of :mod:`benchmarks.solvers` on the dense matrix."""
    from benchmarks import solvers

    instance = load_instance(path)
    scores = np.asarray(instance.scores)  # read it whole: the input is resident, as for ours
    solve = getattr(solvers, BASELINES[method])
    reset_hwm()
    cpu = time.process_time()
    started = time.perf_counter()
    rows, cols = solve(scores, instance.capacity, instance.demand, objective)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    done = {"rows": rows, "cols": cols, "seconds": seconds, "cpu": cpu, "peak": hwm_bytes()}
    return done | {"extra": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("method", choices=["ours", *BASELINES])
    parser.add_argument("instance", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--objective", default="coverage")
    args = parser.parse_args()
    if args.method == "ours":
        done = _ours(args.instance, args.objective)
    else:
        done = _baseline(args.method, args.instance, args.objective)
    np.savez(
        args.out,
        rows=np.asarray(done["rows"], dtype=np.int64),
        cols=np.asarray(done["cols"], dtype=np.int64),
        meta=json.dumps(
            {"seconds": done["seconds"], "cpu_seconds": done["cpu"], "peak_rss_bytes": done["peak"]}
        )
        + "\n"
        + json.dumps(done["extra"]),
    )


if __name__ == "__main__":
    main()
