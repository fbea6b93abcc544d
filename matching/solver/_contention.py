"""Contention prices: mentor prices estimated on a subsample, for choosing candidates.

**Why.** Candidates chosen by score alone (each mentee's ``top_k``, each mentor's best
mentees) send every mentee to the same favourites when some mentors are everyone's
favourites. The first restricted optimum then prices those mentors high, and many
mentees gain by moving to mentors far down their lists; re-optimising them costs as much
as a second full solve, and their number grows faster than the cohort.

**What.** Every :data:`SUBSAMPLE_STRIDE`-th mentee, with each mentor's seats divided by
the stride (rounded up: a mentor with one seat is not priced as full), is a small copy
of the market. One OR-Tools min-cost flow (total score) on that subsample's candidate
arcs, and the node potentials of its optimum, give each mentor a price: what the
subsample's mentees would give up for one more of his seats (the least price that
supports the subsample's optimum, as :meth:`FlowNetwork.potentials` gives them). Choosing
each mentee's ``top_k`` by score less that price
(:meth:`matching.candidates.CandidateScan.select`) points her at the mentors she can get,
and the first certificate finds few improving pairs or none (``benchmarks/README.md``).

**Exactness does not depend on it.** These prices only choose which arcs the first
restricted solve sees; the certificate (:mod:`._min_cost_flow`) still prices every
allowed pair. A poor estimate costs pricing rounds, never optimality.
"""

from __future__ import annotations

import numpy as np

from matching.solver._levels import choose_levels
from matching.solver._network import FlowNetwork
from matching.solver._problem import FloatArray, IntArray

SUBSAMPLE_STRIDE = 4
"""One mentee in this many is in the subsample: the largest stride that leaves the first
certificate as few improving pairs as the smaller ones (``benchmarks/README.md``)."""

MIN_MENTEES = 2000
"""Smaller cohorts choose by score alone: below this one pricing round certifies either
way, from it the estimate saves a round (``benchmarks/README.md``)."""


def subsample(n_mentees: int) -> IntArray | None:
    """The mentees whose candidates estimate the prices (every ``SUBSAMPLE_STRIDE``-th),
    or None when the cohort is too small for an estimate to pay."""
    if n_mentees < MIN_MENTEES:
        return None
    return np.arange(0, n_mentees, SUBSAMPLE_STRIDE, dtype=np.int64)


def contention_prices(
    mentee: IntArray,
    mentor: IntArray,
    score: FloatArray,
    demand: IntArray,
    capacity: IntArray,
    share: float,
) -> FloatArray:
    """Mentor prices (score units, >= 0) of the optimal total-score flow of a subsample.

    Parameters
    ----------
    mentee, mentor, score
        The subsample's arcs: mentee positions in the subsample, mentor indices, scores.
    demand
        The subsample mentees' demands.
    capacity
        Every mentor's full capacity; the subsample gets ``ceil(capacity x share)``.
    share
        The subsample's share of the cohort, in (0, 1].
    """
    n, m = int(demand.size), int(capacity.size)
    seats = np.ceil(np.asarray(capacity, dtype=np.float64) * share).astype(np.int64)
    max_score = float(np.max(score, initial=0.0))  # candidate scores are finite
    levels = choose_levels(max_score, 1, n + m + 1, coverage=False, min_loads=False)
    values = np.rint(score * levels.scale).astype(np.int64)
    net = FlowNetwork(
        mentee, mentor, values, demand, seats, np.zeros(m, dtype=np.int64), min_load_bonus=0
    )
    distance = net.potentials(net.solve())
    price = np.maximum(distance[net.sink] - distance[n : net.sink], 0) / levels.scale
    return np.asarray(price, dtype=np.float64)
