"""Score tables as a user meets them: ``marraine match --scores`` as a whole process
against a full-graph OR-Tools min-cost flow reading the same Parquet files.

``python -m benchmarks.score_tables`` (``make bench-scores``) draws two seeded instances
with contention for popular mentors (``matching.synthetic.generate_scores``) and writes
them once under ``benchmarks/.cache/score-tables/``:

- **dense** 8,000 x 800, every pair listed (6.4 M rows);
- **sparse** 30,000 x 3,000, a tenth of the pairs listed (about 9 M rows, 300 per mentee).

Each command runs as its own process, rounds interleaved so the machine's load falls on
all alike (``--rounds``, default 3): ``marraine match --scores --objective total``, the same
with ``--objective fair``, and :mod:`benchmarks.score_flow_full` (the naive baseline, also
maximising the total). The table gives medians, the speed-up over the baseline, peak RSS,
and checks that our total equals the baseline's optimum. Targets (issue "Fast wherever a
user waits"): dense ``total`` at least 4x faster than the full-graph flow, sparse ``total``
at most 8 s, ``fair`` within 2x of ``total``. Output: the table, ``results/<name>.json``
and ``results/<name>.md``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks._measure import run_measured
from benchmarks.run import machine_info

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = HERE / ".cache" / "score-tables"
MARRAINE = str(Path(sys.executable).with_name("marraine"))
TIMEOUT_SECONDS = 900.0
MEMORY_BYTES = 16 << 30


@dataclass(frozen=True)
class Instance:
    name: str
    n_mentees: int
    n_mentors: int
    density: float
    seed: int

    def scaled(self, factor: float) -> Instance:
        """The same kind of instance with both sides ``factor`` times as large."""
        return replace(
            self,
            n_mentees=max(1, round(self.n_mentees * factor)),
            n_mentors=max(1, round(self.n_mentors * factor)),
        )

    def folder(self, cache: Path) -> Path:
        return cache / f"{self.name}-{self.n_mentees}x{self.n_mentors}-{self.density}-{self.seed}"


INSTANCES = (
    Instance("dense", 8_000, 800, 1.0, 8),
    Instance("sparse", 30_000, 3_000, 0.1, 30),
)
METHODS = ("ours total", "ours fair", "full-graph flow")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.score_tables",
        description="marraine match --scores against a full-graph min-cost flow.",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--only", choices=[i.name for i in INSTANCES], help="run one instance only")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="both sides of every instance x this (default 1)"
    )
    parser.add_argument("--name", default="score-tables", help="results file stem")
    parser.add_argument(
        "--cache-dir", type=Path, default=CACHE, help=f"where instances are kept (default {CACHE})"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=RESULTS, help=f"where results go (default {RESULTS})"
    )
    return parser.parse_args(argv)


def ensure_instance(instance: Instance, cache: Path) -> Path:
    """Write the instance's three Parquet files once (seeded: the same on every machine)."""
    folder = instance.folder(cache)
    if (folder / "scores.parquet").exists():
        return folder
    from matching.synthetic import generate_scores

    mentees, mentors, scores = generate_scores(
        instance.n_mentees, instance.n_mentors, density=instance.density, seed=instance.seed
    )
    folder.mkdir(parents=True, exist_ok=True)
    mentees.to_parquet(folder / "mentees.parquet", index=False)
    mentors.to_parquet(folder / "mentors.parquet", index=False)
    partial = folder / "scores.parquet.tmp"
    scores.to_parquet(partial, index=False)
    partial.rename(folder / "scores.parquet")  # last: a half-written instance is redrawn
    return folder


def _command(method: str, folder: Path, out: Path) -> list[str]:
    files = [folder / "mentees.parquet", folder / "mentors.parquet", folder / "scores.parquet"]
    if method == "full-graph flow":
        module = "benchmarks.score_flow_full"
        return [sys.executable, "-m", module, *map(str, files), str(out / "flow.json")]
    objective = method.split()[1]
    return [
        MARRAINE, "match", "--mentees", str(files[0]), "--mentors", str(files[1]),
        "--scores", str(files[2]), "--objective", objective, "--out", str(out),
    ]  # fmt: skip


def _outcome(method: str, out: Path) -> dict[str, Any]:
    if method == "full-graph flow":
        flow = json.loads((out / "flow.json").read_text())
        return {"pairs": flow["pairs"], "total_score": flow["total_score"]}
    summary = json.loads((out / "summary.json").read_text())
    return {
        "pairs": summary["pairs"],
        "total_score": summary["total_score"],
        "min_score": summary["min_score"],
        "gap": summary["gap"],
        "match_seconds": summary["seconds"],
    }


def measure(instance: Instance, rounds: int, cache: Path) -> list[dict[str, Any]]:
    """Every method on one instance, ``rounds`` interleaved runs each."""
    folder = ensure_instance(instance, cache)
    runs: dict[str, list[dict[str, Any]]] = {method: [] for method in METHODS}
    for _ in range(rounds):
        for method in METHODS:
            with tempfile.TemporaryDirectory(prefix="bench-scores-") as scratch:
                out = Path(scratch)
                load = round(os.getloadavg()[0], 2)
                measured = run_measured(
                    _command(method, folder, out),
                    timeout_seconds=TIMEOUT_SECONDS,
                    memory_bytes=MEMORY_BYTES,
                    cwd=HERE.parent,
                )
                run = {"status": measured.status, "seconds": measured.wall_seconds}
                run |= {"peak_rss_gib": measured.peak_rss_bytes / 2**30, "load": load}
                if measured.status == "ok":
                    run |= _outcome(method, out)
                else:
                    run["stderr_tail"] = measured.stderr_tail
                runs[method].append(run)
                print(
                    f"{instance.name} {method}: {measured.status} {measured.wall_seconds:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
    return [_row(instance, method, runs[method]) for method in METHODS]


def _row(instance: Instance, method: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    done = [run for run in runs if run["status"] == "ok"]
    size = f"{instance.n_mentees:,} x {instance.n_mentors:,}"
    row: dict[str, Any] = {"instance": instance.name, "size": size, "method": method}
    row["runs"] = runs
    if not done:
        row["status"] = runs[-1]["status"]
        return row
    middle = sorted(done, key=lambda run: run["seconds"])[len(done) // 2]
    row |= {key: value for key, value in middle.items() if key not in ("status", "load")}
    row["status"] = "ok"
    row["median_seconds"] = statistics.median(run["seconds"] for run in done)
    return row


def judge(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ratios and targets per instance (speed-up over the flow, fair over total)."""
    verdicts = []
    for instance in {row["instance"] for row in rows}:
        by = {row["method"]: row for row in rows if row["instance"] == instance}
        ours, fair, flow = by["ours total"], by["ours fair"], by["full-graph flow"]
        if "median_seconds" not in ours:
            continue
        verdict: dict[str, Any] = {"instance": instance}
        if "median_seconds" in flow:
            verdict["speedup_over_flow"] = flow["median_seconds"] / ours["median_seconds"]
            verdict["same_total"] = abs(ours["total_score"] - flow["total_score"]) <= 1e-6 * max(
                1, flow["pairs"]
            )
        if "median_seconds" in fair:
            verdict["fair_over_total"] = fair["median_seconds"] / ours["median_seconds"]
        if instance == "dense":
            verdict["target"] = "total >= 4x faster than the flow; fair <= 2x total"
            verdict["met"] = (
                verdict.get("speedup_over_flow", 0) >= 4 and verdict.get("fair_over_total", 9) <= 2
            )
        else:
            verdict["target"] = "total <= 8 s whole process; fair <= 2x total"
            verdict["met"] = ours["median_seconds"] <= 8 and verdict.get("fair_over_total", 9) <= 2
        verdicts.append(verdict)
    return sorted(verdicts, key=lambda v: v["instance"])


def _cells(row: dict[str, Any]) -> list[str]:
    if row["status"] != "ok":
        return [row["status"], "", "", "", "", ""]
    match_seconds, lowest = row.get("match_seconds"), row.get("min_score")
    return [
        f"{row['median_seconds']:.2f}",
        "" if match_seconds is None else f"{match_seconds:.2f}",
        f"{row['peak_rss_gib']:.2f}",
        f"{row['pairs']:,}",
        f"{row['total_score']:,.3f}",
        "" if lowest is None else f"{lowest:.3f}",
    ]


def table(rows: list[dict[str, Any]], verdicts: list[dict[str, Any]]) -> str:
    lines = [
        "| instance | method | median s (whole process) | match() s | peak RSS GiB | pairs "
        "| total score | lowest pair |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = [f"{row['instance']} {row['size']}", row["method"], *_cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| instance | x faster than the flow | same total | fair / total | target | met |",
        "|---|---:|---|---:|---|---|",
    ]
    for v in verdicts:
        speedup, fair = v.get("speedup_over_flow"), v.get("fair_over_total")
        cells = [
            v["instance"],
            "" if speedup is None else f"{speedup:.2f}",
            str(v.get("same_total", "")),
            "" if fair is None else f"{fair:.2f}",
            v["target"],
            "yes" if v["met"] else "no",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    chosen = [i.scaled(args.scale) for i in INSTANCES if args.only in (None, i.name)]
    rows = [row for i in chosen for row in measure(i, args.rounds, args.cache_dir)]
    verdicts = judge(rows)
    report = table(rows, verdicts)
    print(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": machine_info(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "rounds": args.rounds,
        "scale": args.scale,
        "rows": rows,
        "verdicts": verdicts,
    }
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(report + "\n")
    return result


if __name__ == "__main__":
    main()
