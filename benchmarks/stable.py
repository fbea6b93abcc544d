"""Stable matching benchmark: ``marraine match --objective stable`` against the PyPI
``matching`` package's hospital–residents solver, as whole processes, same matching.

``python -m benchmarks.stable`` (``make bench-stable``):

1. **Against the library**, on complete score tables where mentees agree on the mentors
   (a popularity term plus noise, distinct scores, capacities 1 to 3, demand 1) at sizes
   whose tables exceed four times ``top_k`` per mentee (where the flow path prunes):
   ours is ``marraine match --scores ... --objective stable`` (start-up, reading the CSV
   files, solve, blocking-pair check over all pairs, writing the output files); the
   library is ``benchmarks/hr_worker.py`` in ``benchmarks/.venv-baselines`` (start-up,
   loading the dense matrix, building its preference dictionaries, solving). Both are
   timed whole (wall clock and peak RSS of the process). The pairs must be identical
   (the resident-optimal matching is unique) and ours must report ``blocking_pairs: 0``.
2. **At scale**: ``marraine demo --mentees 30000 --mentors 3000 --objective stable``, a
   whole process; the match time (``summary.json`` ``seconds``) and ``blocking_pairs``.

Prints a table against the targets and writes ``benchmarks/results/<name>.json`` and
``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._measure import run_measured
from benchmarks.run import BASELINE_VENV, ensure_baseline_venv, machine_info

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
GIB = 1024**3

LIBRARY_SIZES = ((300, 100), (1000, 150), (2000, 200))
SCALE_SIZE = (30000, 3000)
SCALE_TARGET_SECONDS = 10.0
"""Target for the 30,000 x 3,000 stable match (``summary.json`` seconds)."""


def popular_instance(n: int, m: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Mentees, mentors and the dense (n, m) score matrix: 0.8 x popularity + 0.2 x noise."""
    rng = np.random.default_rng(seed)
    mentees = pd.DataFrame({"id": [f"s{i:06d}" for i in range(n)]})
    mentors = pd.DataFrame(
        {"id": [f"t{j:05d}" for j in range(m)], "capacity": rng.integers(1, 4, m)}
    )
    scores = 0.8 * rng.random(m)[None, :] + 0.2 * rng.random((n, m))
    return mentees, mentors, np.round(scores, 9)


def _write(folder: Path, mentees: pd.DataFrame, mentors: pd.DataFrame, scores: np.ndarray) -> None:
    """The CLI's CSV files and the library worker's instance (scores.npy, meta.npz)."""
    mentees.to_csv(folder / "mentees.csv", index=False)
    mentors.to_csv(folder / "mentors.csv", index=False)
    i, j = np.nonzero(np.ones(scores.shape, dtype=bool))
    table = pd.DataFrame(
        {
            "mentee_id": mentees["id"].to_numpy()[i],
            "mentor_id": mentors["id"].to_numpy()[j],
            "score": scores[i, j],
        }
    )
    table.to_csv(folder / "scores.csv", index=False, float_format="%.9f")
    np.save(folder / "scores.npy", scores.astype(np.float64))
    np.savez(folder / "meta.npz", capacity=mentors["capacity"].to_numpy(np.int64))


def _marraine() -> str:
    found = Path(sys.executable).parent / "marraine"
    return str(found) if found.exists() else (shutil.which("marraine") or "marraine")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _ours(folder: Path, budget: float) -> dict[str, Any]:
    """``marraine match --objective stable`` on the instance, timed whole."""
    out = folder / "out"
    command = [_marraine(), "match", "--mentees", "mentees.csv", "--mentors", "mentors.csv"]
    command += ["--scores", "scores.csv", "--objective", "stable", "--out", str(out)]
    measured = run_measured(
        command, timeout_seconds=budget, memory_bytes=12 * GIB, cwd=folder, env=_env()
    )
    record: dict[str, Any] = {
        "status": measured.status,
        "process_seconds": round(measured.wall_seconds, 3),
        "peak_rss_bytes": measured.peak_rss_bytes,
    }
    if measured.status != "ok":
        record["note"] = measured.stderr_tail[-300:]
        return record
    summary = json.loads((out / "summary.json").read_text())
    record |= {k: summary[k] for k in ("seconds", "matched", "blocking_pairs", "pairs_checked")}
    pairs = pd.read_csv(out / "pairs.csv", dtype={"mentee_id": str, "mentor_id": str})
    record["pairs"] = sorted(zip(pairs["mentee_id"], pairs["mentor_id"], strict=True))
    return record


def _library(
    folder: Path, python: str, budget: float, ids: tuple[list[str], list[str]]
) -> dict[str, Any]:
    """The hospital–residents worker on the same instance, timed whole."""
    out = folder / "hr.npz"
    measured = run_measured(
        [python, "-I", str(HERE / "hr_worker.py"), str(folder), str(out)],
        timeout_seconds=budget,
        memory_bytes=12 * GIB,
        cwd=folder,
    )
    record: dict[str, Any] = {
        "status": measured.status,
        "process_seconds": round(measured.wall_seconds, 3),
        "peak_rss_bytes": measured.peak_rss_bytes,
    }
    if measured.status != "ok":
        record["note"] = measured.stderr_tail[-300:]
        return record
    done = np.load(out)
    meta = json.loads(str(done["meta"]).splitlines()[0])
    record["solve_seconds"] = round(meta["seconds"], 3)
    mentee_ids, mentor_ids = ids
    record["pairs"] = sorted(
        (mentee_ids[i], mentor_ids[j])
        for i, j in zip(done["rows"].tolist(), done["cols"].tolist(), strict=True)
    )
    return record


def _scale(n: int, m: int, budget: float, objective: str = "stable") -> dict[str, Any]:
    """``marraine demo --objective ...`` at scale, timed whole, with the load average."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        command = [_marraine(), "demo", "--mentees", str(n), "--mentors", str(m)]
        command += ["--objective", objective, "--out", tmp]
        measured = run_measured(
            command, timeout_seconds=budget, memory_bytes=12 * GIB, cwd=tmp, env=_env()
        )
        record: dict[str, Any] = {
            "size": f"{n}x{m}",
            "command": " ".join(["marraine", *command[1:-2]]),
            "status": measured.status,
            "process_seconds": round(measured.wall_seconds, 3),
            "peak_rss_bytes": measured.peak_rss_bytes,
            "load_average_before": round(load, 2),
        }
        summary = Path(tmp) / "summary.json"
        if measured.status == "ok" and summary.exists():
            data = json.loads(summary.read_text())
            for key in ("seconds", "matched", "blocking_pairs", "pairs_checked", "timings"):
                record[key] = data.get(key)
        else:
            record["note"] = measured.stderr_tail[-300:]
        return record


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Stable matching: ours vs hospital–residents.")
    parser.add_argument("--sizes", default=",".join(f"{n}x{m}" for n, m in LIBRARY_SIZES))
    parser.add_argument("--scale", default=f"{SCALE_SIZE[0]}x{SCALE_SIZE[1]}", help="'' skips it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget-seconds", type=float, default=600.0)
    parser.add_argument(
        "--no-library", action="store_true", help="leave the library out (no baseline venv)"
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the coverage run at scale"
    )
    parser.add_argument("--name", default="stable")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def _size(text: str) -> tuple[int, int]:
    n, m = text.lower().split("x")
    return int(n), int(m)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    python = None if args.no_library else ensure_baseline_venv()
    rows: list[dict[str, Any]] = []
    for text in [s for s in args.sizes.split(",") if s]:
        n, m = _size(text)
        mentees, mentors, scores = popular_instance(n, m, args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            _write(folder, mentees, mentors, scores)
            ours = _ours(folder, args.budget_seconds)
            ids = (mentees["id"].tolist(), mentors["id"].tolist())
            library = (
                _library(folder, python, args.budget_seconds, ids)
                if python
                else {"status": "skipped" if args.no_library else "failed"}
            )
            if python is None and not args.no_library:
                library["note"] = f"no baseline venv at {BASELINE_VENV}"
        same = "pairs" in ours and "pairs" in library and ours["pairs"] == library["pairs"]
        rows.append(
            {
                "size": text,
                "seats": int(mentors["capacity"].sum()),
                "ours": {k: v for k, v in ours.items() if k != "pairs"},
                "library": {k: v for k, v in library.items() if k != "pairs"},
                "pairs": len(ours.get("pairs", [])),
                "same_matching": same,
            }
        )
        _print_row(rows[-1])
    scale = _scale(*_size(args.scale), args.budget_seconds) if args.scale else None
    # The flow path's default objective on the same cohort, right after: on a shared
    # machine, the ratio is what compares.
    reference = (
        _scale(*_size(args.scale), args.budget_seconds, "coverage")
        if args.scale and not args.no_reference
        else None
    )
    results = {
        "name": args.name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "seed": args.seed,
        "library": rows,
        "scale": scale,
        "reference": reference,
        "targets": _targets(rows, scale),
    }
    _report(results, args.out_dir)
    return results


def _print_row(row: dict[str, Any]) -> None:
    ours, library = row["ours"], row["library"]
    print(
        f"{row['size']:>11}  ours {ours.get('process_seconds', '-'):>8} s "
        f"(blocking {ours.get('blocking_pairs', '-')})  library "
        f"{library.get('process_seconds', '-'):>8} s [{library['status']}]  "
        f"pairs {row['pairs']:>6}  same matching: {row['same_matching']}",
        flush=True,
    )


def _targets(rows: list[dict[str, Any]], scale: dict[str, Any] | None) -> list[dict[str, Any]]:
    targets = [
        {
            "target": f"{row['size']}: same matching as the library, 0 blocking pairs",
            "value": f"{row['same_matching']}, {row['ours'].get('blocking_pairs')}",
            "met": bool(row["same_matching"] and row["ours"].get("blocking_pairs") == 0),
        }
        for row in rows
    ]
    if scale is not None:
        seconds = scale.get("seconds")
        targets.append(
            {
                "target": f"{scale['size']} stable: blocking_pairs 0, match within "
                f"{SCALE_TARGET_SECONDS:.0f} s",
                "value": f"{scale.get('blocking_pairs')}, {seconds} s",
                "met": scale.get("blocking_pairs") == 0
                and seconds is not None
                and seconds <= SCALE_TARGET_SECONDS,
            }
        )
    return targets


def _markdown(results: dict[str, Any]) -> str:
    lines = [
        "| size | seats | ours: process s | ours: match s | blocking pairs | library: process s "
        "| library: solve s | same matching |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results["library"]:
        ours, library = row["ours"], row["library"]
        library_seconds = library.get("process_seconds", library["status"])
        lines.append(
            f"| {row['size']} | {row['seats']:,} | {ours.get('process_seconds', '-')} | "
            f"{ours.get('seconds', '-')} | {ours.get('blocking_pairs', '-')} of "
            f"{ours.get('pairs_checked', '-')} | {library_seconds} | "
            f"{library.get('solve_seconds', '-')} | {row['same_matching']} |"
        )
    scale = results["scale"]
    if scale is not None:
        lines += [
            "",
            f"`{scale['command']}`: process {scale['process_seconds']} s, match "
            f"{scale.get('seconds')} s, {scale.get('matched')} matched, blocking pairs "
            f"{scale.get('blocking_pairs')} of {scale.get('pairs_checked')}; steps "
            f"{scale.get('timings')}; load average before: {scale['load_average_before']}.",
        ]
    reference = results.get("reference")
    if reference is not None:
        lines += [
            "",
            f"Reference, `{reference['command']}` right after: process "
            f"{reference['process_seconds']} s, match {reference.get('seconds')} s; steps "
            f"{reference.get('timings')}; load average before: "
            f"{reference['load_average_before']}.",
        ]
    lines += ["", "| target | value | met |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['value']} | {t['met']} |" for t in results["targets"]]
    return "\n".join(lines) + "\n"


def _report(results: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = _markdown(results)
    print()
    print(markdown)
    (out_dir / f"{results['name']}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / f"{results['name']}.md").write_text(markdown)


if __name__ == "__main__":
    main()
