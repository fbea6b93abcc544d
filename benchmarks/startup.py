"""Start-up: how long a user waits before Marraine does anything.

``python -m benchmarks.startup`` (``make bench-startup``) times whole processes, rounds
interleaved so that the machine's load falls on every command alike: ``import matching``,
``marraine --help`` and ``marraine --version`` against two baselines measured in the same
rounds — an empty Python process and ``import pandas`` (what every import paid before
the package loaded its names lazily). The table gives each command's median and its
ratio to the empty process; the targets are 0.3 s for ``import matching`` and
``marraine --help``. Output: a plain table, ``results/<name>.json`` and ``results/<name>.md``.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._measure import run_measured
from benchmarks.run import machine_info

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MARRAINE = str(Path(sys.executable).with_name("marraine"))
TARGET_SECONDS = {"import matching": 0.3, "marraine --help": 0.3}
COMMANDS: dict[str, list[str]] = {
    "python (empty)": [sys.executable, "-c", "pass"],
    "import pandas": [sys.executable, "-c", "import pandas"],
    "import matching": [sys.executable, "-c", "import matching"],
    "marraine --help": [MARRAINE, "--help"],
    "marraine --version": [MARRAINE, "--version"],
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description="Start-up of the package and command."
    )
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds (default 11)")
    parser.add_argument("--name", default="startup", help="results file stem")
    parser.add_argument(
        "--out-dir", type=Path, default=RESULTS, help=f"where results go (default {RESULTS})"
    )
    return parser.parse_args(argv)


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| command | median s | min s | x empty process | target s |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        target = TARGET_SECONDS.get(row["command"])
        lines.append(
            f"| `{row['command']}` | {row['median_seconds']:.3f} | {row['min_seconds']:.3f} "
            f"| {row['over_empty']:.1f} | {'' if target is None else target} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    loads = []
    for _ in range(args.rounds):
        loads.append(round(os.getloadavg()[0], 2))
        for name, command in COMMANDS.items():
            measured = run_measured(command, timeout_seconds=60.0, memory_bytes=4 << 30)
            if measured.status != "ok":
                raise RuntimeError(f"{name} ended {measured.status}: {measured.stderr_tail}")
            times[name].append(measured.wall_seconds)
    empty = statistics.median(times["python (empty)"])
    rows = [
        {
            "command": name,
            "median_seconds": round(statistics.median(values), 4),
            "min_seconds": round(min(values), 4),
            "over_empty": round(statistics.median(values) / empty, 2),
        }
        for name, values in times.items()
    ]
    report = _table(rows)
    print(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": machine_info(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "load_average_per_round": loads,
        "rows": rows,
    }
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out_dir / f"{args.name}.md").write_text(report + "\n")
    return result


if __name__ == "__main__":
    main()
