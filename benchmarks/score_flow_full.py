"""The naive baseline for score tables, as a whole process: OR-Tools' min-cost flow on
every listed pair, reading the same files as ``marraine match --scores``.

``python -m benchmarks.score_flow_full MENTEES MENTORS SCORES OUT.json``

Reads the three Parquet files, builds ``SimpleMinCostFlow`` with the vectorised calls
(mentee -> mentor for every row of the table at cost ``-round(score * 1e6)``, mentor ->
sink with the capacity, mentee -> sink as a bypass at cost 0, so staying unmatched is
allowed as under ``--objective total``), solves, and writes the number of pairs and
their total score. Imports nothing of ours, like a user who wrote it by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow

SCALE = 1_000_000


def solve(mentees: pd.DataFrame, mentors: pd.DataFrame, scores: pd.DataFrame) -> dict[str, float]:
    """The best total score over every listed pair (demand and capacity respected)."""
    n, m = len(mentees), len(mentors)
    tails = pd.Index(mentees["id"]).get_indexer(scores["mentee_id"]).astype(np.int32)
    heads = (pd.Index(mentors["id"]).get_indexer(scores["mentor_id"]) + n).astype(np.int32)
    values = scores["score"].to_numpy(dtype=np.float64)
    demand = mentees["demand"].to_numpy(dtype=np.int64)
    sink = n + m
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails, heads, np.ones(len(scores), np.int64), -np.rint(values * SCALE).astype(np.int64)
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, sink, dtype=np.int32),
        np.full(m, sink, np.int32),
        mentors["capacity"].to_numpy(dtype=np.int64),
        np.zeros(m, np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, dtype=np.int32), np.full(n, sink, np.int32), demand, np.zeros(n, np.int64)
    )
    flow.set_nodes_supplies(
        np.arange(sink + 1, dtype=np.int32),
        np.concatenate([demand, np.zeros(m, np.int64), [-int(demand.sum())]]),
    )
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the min-cost flow found no optimum")
    used = flow.flows(pair_arcs) > 0
    return {"pairs": int(used.sum()), "total_score": float(values[used].sum())}


def main() -> None:
    mentees, mentors, scores, out = (Path(arg) for arg in sys.argv[1:5])
    result = solve(pd.read_parquet(mentees), pd.read_parquet(mentors), pd.read_parquet(scores))
    out.write_text(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
