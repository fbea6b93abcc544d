"""Contention prices: mentor prices estimated on a subsample, for choosing candidates.

**Why.** Candidates chosen by score alone (each mentee's ``top_k``, each mentor's best
mentees) send every mentee to the same favourites when some mentors are everyone's
favourites. The first restricted optimum then prices those mentors high, and many
mentees gain by moving to mentors outside their lists: at 30,000 x 3,000 the first
certificate returned 15,606 such pairs (17,497 in all, at most five per mentee returned;
median rank 57 in the mentee's list, 305 in the mentor's), and re-optimising them cost as
much as a second full solve. Their number grew faster than the cohort (451 at 8,000 x
800).

**What.** Every :data:`SUBSAMPLE_STRIDE`-th mentee, with each mentor's seats divided by
the stride (rounded up: a mentor with one seat is not priced as full), is a small copy
of the market. One OR-Tools min-cost flow (total score) on that subsample's candidate
arcs, and the node potentials of its optimum, give each mentor a price: what the
subsample's mentees would give up for one more of his seats (the least price that
supports the subsample's optimum, as :meth:`FlowNetwork.potentials` gives them). Choosing
each mentee's ``top_k`` by score less that price
(:meth:`matching.candidates.CandidateScan.select`) points her at the mentors she can get.
Measured at 30,000 x 3,000: the first certificate returns 7 pairs instead of 15,606, for
a flow a quarter the size (0.1 s); at 8,000 and 15,000 it returns none.

**Exactness does not depend on it.** These prices only choose which arcs the first
restricted solve sees; the certificate (:mod:`._min_cost_flow`) still prices every
allowed pair. A poor estimate costs pricing rounds, never optimality.
"""

from __future__ import annotations

import numpy as np

from matching.solver._min_cost_flow import choose_levels
from matching.solver._network import FlowNetwork
from matching.solver._problem import FloatArray, IntArray

SUBSAMPLE_STRIDE = 4
"""One mentee in this many is in the subsample. Measured at 30,000 x 3,000: strides 2, 3
and 4 all leave 6 to 8 improving pairs to the first certificate (two rounds), 4 with the
smallest flow; a stride of 6 leaves 55 and needs a third round."""

MIN_MENTEES = 2000
"""Smaller cohorts choose by score alone. Measured on the synthetic cohorts (coverage,
solve step with the estimate against without): at 500 and 1,000 mentees one round
certifies either way and the estimate adds about 1 ms; at 2,000, 3,000 and 5,000 it saves
a round (0.024 s against 0.030 s, 0.047 against 0.053, 0.079 against 0.092)."""


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
