"""LEMON's network simplex (PyPI ``pylmcf``) on one saved flow network, in the baseline venv.

Self-contained like :mod:`benchmarks.hr_worker`: it runs under
``benchmarks/.venv-baselines/bin/python -I`` and imports nothing of ours. It answers one
question for ``make bench-solve``: does a min-cost-flow algorithm other than OR-Tools'
cost scaling grow more slowly with the candidate network?

``python -I flow_worker.py NETWORK.npz REPEAT``

The network is the one :mod:`benchmarks.solve_scaling` saved: arrays ``tails``, ``heads``,
``caps``, ``costs`` (int64, mentee -> mentor -> sink as in ``matching.solver._network``),
``supplies``, and ``n_mentees``, ``n_mentors``, ``optimal_cost`` (OR-Tools' optimum).
pylmcf takes non-negative costs only, so costs are shifted by node potentials (mentees
``K1``, mentors ``K2``, sink 0): every arc's cost changes by ``pi(tail) - pi(head)``,
every flow's cost by the constant ``sum pi x supply``, and the optimal flows stay the
same. Prints one JSON line: the seconds of each solve (building the graph excluded) and
whether the optimum equals OR-Tools'.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main() -> None:
    import pylmcf

    path, repeat = sys.argv[1], int(sys.argv[2])
    data = np.load(path)
    tails, heads = data["tails"], data["heads"]
    caps, costs, supplies = data["caps"], data["costs"], data["supplies"]
    n, m = int(data["n_mentees"]), int(data["n_mentors"])
    mentor_arc = (tails >= n) & (tails < n + m)
    k2 = max(0, -int(costs[mentor_arc].min(initial=0)))
    k1 = k2 + max(0, -int(costs.min(initial=0)))
    potential = np.zeros(supplies.size, dtype=np.int64)
    potential[:n], potential[n : n + m] = k1, k2
    shifted = costs + potential[tails] - potential[heads]
    order = np.lexsort((heads, tails))  # pylmcf wants arcs sorted by (tail, head)
    seconds = []
    total = None
    for _ in range(repeat):
        graph = pylmcf.Graph(
            supplies.size, tails[order].astype(np.int32), heads[order].astype(np.int32)
        )
        graph.set_node_supply(supplies)
        graph.set_edge_capacities(caps[order])
        graph.set_edge_costs(shifted[order])
        started = time.perf_counter()
        graph.solve()
        seconds.append(time.perf_counter() - started)
        total = int(graph.total_cost()) - int((potential * supplies).sum())
    print(
        json.dumps(
            {
                "solver": f"LEMON network simplex (pylmcf {pylmcf.__version__})",
                "pivot_rule": graph.pivot_rule(),
                "seconds": [round(s, 4) for s in seconds],
                "optimal_cost": total,
                "same_optimum": total == int(data["optimal_cost"]),
            }
        )
    )


if __name__ == "__main__":
    main()
