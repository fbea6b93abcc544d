"""Weights learned from outcomes recover a known hidden weighting and rank pairs better."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from matching.defaults import default_programme
from matching.errors import InputError
from matching.learning import learn_weights, simulate_outcomes, to_toml
from matching.model import Programme

HIDDEN = {"needs": 0.45, "availability": 0.25, "language": 0.2, "region": 0.1}


def _components(n: int, seed: int) -> pd.DataFrame:
    """Similarities shaped like real ones: continuous, and a binary same-region one."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.random((n, 3)), columns=["needs", "availability", "language"])
    frame["region"] = (rng.random(n) < 0.3).astype(float)
    frame["noise"] = rng.random(n)  # plays no part in the outcome
    return frame


def test_simulated_outcomes_follow_the_hidden_score() -> None:
    pairs = simulate_outcomes(_components(4000, 1), HIDDEN, seed=1)
    assert set(pairs["outcome"].unique()) == {"good", "poor", "ended_early"}
    good = pairs["outcome"] == "good"
    assert 0.4 < good.mean() < 0.6
    high = pairs["hidden_score"] > pairs["hidden_score"].median()
    assert good[high].mean() > good[~high].mean() + 0.3
    # the same seed draws the same outcomes
    again = simulate_outcomes(_components(4000, 1), HIDDEN, seed=1)
    assert (again["outcome"] == pairs["outcome"]).all()
    with pytest.raises(InputError):
        simulate_outcomes(_components(10, 1), {"goals": 1.0})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learned_weights_recover_the_hidden_order_and_beat_uniform(seed: int) -> None:
    pairs = simulate_outcomes(_components(3000, seed), HIDDEN, seed=seed)
    learned = learn_weights(pairs, [*HIDDEN, "noise"], seed=seed, n_bootstrap=200)
    order = sorted(HIDDEN, key=lambda c: -learned.weights[c])
    assert order == list(HIDDEN)  # needs > availability > language > region
    assert learned.weights["noise"] < min(learned.weights[c] for c in HIDDEN)
    assert sum(learned.weights.values()) == pytest.approx(1.0)
    assert all(w >= 0 for w in learned.weights.values())
    # default comparison is uniform weights: learned must rank good pairs better
    assert learned.auc > learned.uniform_auc + 0.02
    assert learned.current_auc == pytest.approx(learned.uniform_auc)
    assert learned.auc_gain_ci[0] > 0
    low, high = learned.auc_ci
    assert low < learned.auc < high


def test_a_criterion_that_hurts_gets_weight_zero() -> None:
    frame = _components(3000, 5)
    frame["contrary"] = 1.0 - frame["needs"] + 0.1 * np.random.default_rng(5).random(3000)
    pairs = simulate_outcomes(frame, HIDDEN, seed=5)
    learned = learn_weights(pairs, [*HIDDEN, "contrary"], seed=5, n_bootstrap=50)
    assert learned.weights["contrary"] == 0.0
    assert "contrary" in learned.dropped
    assert learned.weights["needs"] == max(learned.weights.values())


def test_comparison_with_the_current_programme_and_export() -> None:
    programme = default_programme()
    pairs = simulate_outcomes(_components(2000, 3), HIDDEN, seed=3)
    learned = learn_weights(pairs, list(HIDDEN), current=programme, seed=3, n_bootstrap=50)
    assert learned.current_weights["needs"] == pytest.approx(0.40)
    table = learned.table()
    assert table["current_weight"].sum() == pytest.approx(1.0)
    assert list(table.index) == list(HIDDEN)
    updated = learned.to_programme(programme)
    weights = {c.name: c.weight for c in updated.criteria}
    assert sum(weights.values()) == pytest.approx(1.0)
    # criteria not learned keep their weight; learned ones share what they had, in order
    assert weights["goals"] == pytest.approx(0.15)
    assert weights["sector"] == pytest.approx(0.10)
    learned_share = 0.40 + 0.15 + 0.10 + 0.10
    for name in HIDDEN:
        assert weights[name] == pytest.approx(learned.weights[name] * learned_share)
    # the exported configuration reads back to the same programme
    text = to_toml(updated)
    assert Programme.from_dict(tomllib.loads(text)) == updated


def test_to_toml_round_trips_rules_quotas_and_odd_strings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = default_programme().model_dump(mode="json")
    data["name"] = 'Programme "Ouagadougou" \\ été\nligne 2'
    data["quotas"] = [{"field": "status", "value": "cooperative", "min_share": 0.4}]
    programme = Programme.from_dict(data)
    path = tmp_path / "programme.toml"
    path.write_text(to_toml(programme), encoding="utf-8")
    assert Programme.from_file(path) == programme


def test_learning_refuses_bad_input() -> None:
    pairs = simulate_outcomes(_components(200, 0), HIDDEN, seed=0)
    with pytest.raises(InputError):
        learn_weights(pairs, ["needs", "goals"])
    one_class = pairs.assign(outcome="good")
    with pytest.raises(InputError):
        learn_weights(one_class, list(HIDDEN))
    broken = pairs.copy()
    broken.loc[3, "needs"] = np.nan
    with pytest.raises(InputError):
        learn_weights(broken, list(HIDDEN))
