"""Hospital–residents baseline: the PyPI ``matching`` package (1.4.x), in its own venv.

Self-contained on purpose: the PyPI package has the import name ``matching`` like ours,
so this file runs under ``benchmarks/.venv-baselines/bin/python -I`` (isolated: neither
the project nor the current directory is on ``sys.path``) and imports nothing of ours.

``python -I hr_worker.py INSTANCE_DIR OUT.npz``

Mentees are residents, mentors hospitals with their capacities; each ranks the other
side's allowed members by score (highest first; ties by index). The resident-optimal
stable matching is timed from building the preference dictionaries to the solution.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import numpy as np


def _hwm_reset() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _hwm() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _solve(scores: np.ndarray, capacity: np.ndarray) -> tuple[list[int], list[int]]:
    from matching.games import HospitalResident

    n, m = scores.shape
    resident_prefs: dict[int, list[int]] = {}
    hospital_lists: list[list[tuple[float, int]]] = [[] for _ in range(m)]
    for i in range(n):
        row = scores[i]
        allowed = np.nonzero(~np.isnan(row))[0]
        order = allowed[np.lexsort((allowed, -row[allowed]))]
        resident_prefs[i] = [int(j) + n for j in order]  # hospital names after residents'
        for j in allowed.tolist():
            hospital_lists[j].append((-float(row[j]), i))
    hospital_prefs = {}
    for j in range(m):
        hospital_prefs[j + n] = [i for _, i in sorted(hospital_lists[j])]
    capacities = {j + n: int(capacity[j]) for j in range(m)}
    # A resident ranking nobody, or a hospital nobody ranks, is not accepted by the package.
    resident_prefs = {i: p for i, p in resident_prefs.items() if p}
    hospital_prefs = {h: p for h, p in hospital_prefs.items() if p}
    capacities = {h: c for h, c in capacities.items() if h in hospital_prefs}
    game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    solution = game.solve(optimal="resident")
    rows: list[int] = []
    cols: list[int] = []
    for hospital, residents in solution.items():
        for resident in residents:
            rows.append(int(resident.name))
            cols.append(int(hospital.name) - n)
    return rows, cols


def main() -> None:
    instance, out = Path(sys.argv[1]), Path(sys.argv[2])
    scores = np.asarray(np.load(instance / "scores.npy", mmap_mode="r"))
    capacity = np.load(instance / "meta.npz")["capacity"]
    # The package deep-copies linked players recursively: past ~1,000 x 100 the default
    # recursion limit and the default thread stack are both too small.
    sys.setrecursionlimit(10**7)
    threading.stack_size(1 << 30)
    done: dict[str, object] = {}

    def run() -> None:
        _hwm_reset()
        cpu = time.process_time()
        started = time.perf_counter()
        rows, cols = _solve(scores, capacity)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        done.update(rows=rows, cols=cols, seconds=seconds, cpu=cpu, peak=_hwm())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "rows" not in done:
        sys.exit("hospital-residents solver failed")
    np.savez(
        out,
        rows=np.asarray(done["rows"], dtype=np.int64),
        cols=np.asarray(done["cols"], dtype=np.int64),
        meta=json.dumps(
            {"seconds": done["seconds"], "cpu_seconds": done["cpu"], "peak_rss_bytes": done["peak"]}
        )
        + "\n"
        + json.dumps({}),
    )


if __name__ == "__main__":
    main()
