"""Re-optimising after a pricing round equals solving the grown network from scratch."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.solver._network import FlowNetwork
from matching.solver._reoptimise import reoptimise

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _network(
    keys: np.ndarray, value: np.ndarray, n: int, m: int, demand, capacity, min_load
) -> FlowNetwork:
    mentee, mentor = np.divmod(keys, m)
    return FlowNetwork(mentee, mentor, value, demand, capacity, min_load, min_load_bonus=10**6)


def _cost(net: FlowNetwork, flows: np.ndarray) -> int:
    return int((net.costs * flows).sum())


def _assert_potentials_prove(net: FlowNetwork, flows: np.ndarray, distance: np.ndarray) -> None:
    """Every residual arc has a non-negative reduced cost: the flow is optimal."""
    reduced = net.reduced_costs(distance)
    assert (reduced[flows < net.caps] >= 0).all()
    assert (reduced[flows > 0] <= 0).all()


@st.composite
def grown_networks(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """A random network, and the same network with some arcs added."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 25)), int(rng.integers(1, 8))
    keys = np.flatnonzero(rng.random(n * m) < draw(st.sampled_from([0.3, 0.6, 0.9])))
    value = rng.integers(0, draw(st.sampled_from([5, 1000, 10**8])), keys.size)
    added = rng.random(keys.size) < draw(st.sampled_from([0.05, 0.2, 0.5]))
    demand = rng.integers(1, 3, n)
    capacity = rng.integers(0, 4, m)
    min_load = np.minimum(rng.integers(0, 2, m), capacity) if draw(st.booleans()) else 0 * capacity
    return keys, value, added, n, m, demand, capacity, min_load


@SETTINGS
@given(grown_networks())
def test_reoptimised_flow_is_optimal_on_the_grown_network(case) -> None:  # type: ignore[no-untyped-def]
    keys, value, added, n, m, demand, capacity, min_load = case
    old_keys = keys[~added]
    old = _network(old_keys, value[~added], n, m, demand, capacity, min_load)
    old_flows = old.solve()
    distance = old.potentials(old_flows)
    new = _network(keys, value, n, m, demand, capacity, min_load)
    result = reoptimise(new, keys, old_keys, old_flows, distance, max_free_share=1.0)
    if result is None:
        # Only when a new arc reaches a node the old residual graph did not (a mentor
        # nobody could reach): its potential is a placeholder, so no bound is useful.
        assert np.abs(new.reduced_costs(distance)).max() >= 2**50
        return
    flows, potentials, _ = result
    if potentials is None:  # the caller then computes them afresh
        potentials = new.potentials(flows)
    # Feasible on the grown network, as cheap as a solve from scratch, and proven so.
    assert ((flows >= 0) & (flows <= new.caps)).all()
    out = np.bincount(new.tails, flows, new.n_nodes)
    assert (out - np.bincount(new.heads, flows, new.n_nodes) == new.supplies).all()
    assert _cost(new, flows) == _cost(new, new.solve())
    _assert_potentials_prove(new, flows, potentials)


def test_nothing_improving_keeps_the_old_flow() -> None:
    # Two mentees each with her best mentor; the added pair is worse than both.
    demand, capacity, min_load = np.array([1, 1]), np.array([1, 1]), np.array([0, 0])
    old_keys, keys = np.array([0, 3]), np.array([0, 1, 3])
    old = _network(old_keys, np.array([9, 8]), 2, 2, demand, capacity, min_load)
    old_flows = old.solve()
    new = _network(keys, np.array([9, 3, 8]), 2, 2, demand, capacity, min_load)
    result = reoptimise(new, keys, old_keys, old_flows, old.potentials(old_flows))
    assert result is not None
    flows, _, free = result
    assert free == 0
    assert flows[:3].tolist() == [1, 0, 1]


def test_a_large_free_share_falls_back_to_a_full_solve() -> None:
    # Every arc may change when a much better arc enters a tiny network.
    demand, capacity, min_load = np.array([1, 1]), np.array([1, 1]), np.array([0, 0])
    keys, old_keys = np.array([0, 1, 3]), np.array([0, 3])
    old = _network(old_keys, np.array([5, 5]), 2, 2, demand, capacity, min_load)
    old_flows = old.solve()
    new = _network(keys, np.array([5, 50, 5]), 2, 2, demand, capacity, min_load)
    distance = old.potentials(old_flows)
    assert reoptimise(new, keys, old_keys, old_flows, distance, max_free_share=0.1) is None
    result = reoptimise(new, keys, old_keys, old_flows, distance, max_free_share=1.0)
    assert result is not None
    assert _cost(new, result[0]) == _cost(new, new.solve())
