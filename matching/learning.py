"""Criterion weights learned from the outcomes of past pairs, and a synthetic outcome model.

A pair's score is ``sum_c w_c x_c``: the weights ``w`` times the per-criterion
similarities ``x`` (each in [0, 1]). When past pairs have an outcome (the relationship
went well, went poorly, ended early), a logistic regression of "went well" on the
similarities estimates which criteria matter; its non-negative coefficients, normalised
to sum to 1, are weights a programme can use. This module owns:

- :func:`simulate_outcomes`: outcomes drawn from a known, hidden weighting, so that tests
  and notebooks can check that learning recovers it;
- :func:`pair_components`: the per-criterion similarities of pairs under a programme;
- :func:`learn_weights` -> :class:`LearnedWeights`: the fit, its cross-validated AUC against
  the current weights with bootstrap confidence intervals, and the new programme;
- :func:`to_toml`: a programme written as a TOML configuration file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from matching.errors import InputError
from matching.messages import Message
from matching.model import Mentee, Mentor, Programme, participants_frame

__all__ = [
    "OUTCOMES",
    "LearnedWeights",
    "learn_weights",
    "pair_components",
    "simulate_outcomes",
    "to_toml",
]

FloatArray = NDArray[np.float64]

OUTCOMES = ("good", "poor", "ended_early")
"""The outcomes :func:`simulate_outcomes` draws; :func:`learn_weights` treats ``good`` as
the positive class by default."""


# --------------------------------------------------------------------------- simulation


def simulate_outcomes(
    components: pd.DataFrame,
    hidden_weights: Mapping[str, float],
    *,
    seed: int = 0,
    sharpness: float = 12.0,
    good_share: float = 0.5,
) -> pd.DataFrame:
    """Draw an outcome for each pair from a known, hidden weighting of its criteria.

    The hidden score is ``s = sum_c w_c x_c`` with the weights normalised to sum to 1.
    A pair goes well with probability ``sigmoid(sharpness * (s - t))``, where ``t`` is
    the ``1 - good_share`` quantile of ``s`` (so about ``good_share`` of the pairs go
    well). A pair that does not go well *ended early* with probability ``1 - p_good``
    and was *poor* otherwise: the worse the fit, the likelier it ended early.

    Parameters
    ----------
    components
        One row a pair, one column per criterion holding its similarity in [0, 1]
        (e.g. from :func:`pair_components`); other columns are kept as they are.
    hidden_weights
        Criterion name -> non-negative weight; every name must be a column.
    seed
        Seed of the random draws.
    sharpness
        How strongly the hidden score decides the outcome (0: coin flips).
    good_share
        The share of pairs whose hidden score is above the logistic's midpoint.

    Returns
    -------
    pandas.DataFrame
        ``components`` plus ``hidden_score``, ``p_good`` and ``outcome`` (``good``,
        ``poor`` or ``ended_early``).
    """
    names = list(hidden_weights)
    missing = [name for name in names if name not in components.columns]
    if missing:
        raise InputError(
            Message("the components have no column for a hidden weight"), column=missing[0]
        )
    weights = np.array([float(hidden_weights[name]) for name in names])
    if (weights < 0).any() or weights.sum() <= 0:
        raise ValueError("hidden weights must be non-negative with a positive sum")
    x = components[names].to_numpy(np.float64)
    score = x @ (weights / weights.sum())
    midpoint = float(np.quantile(score, 1.0 - good_share)) if score.size else 0.0
    p_good = 1.0 / (1.0 + np.exp(-sharpness * (score - midpoint)))
    rng = np.random.default_rng(seed)
    good = rng.random(score.size) < p_good
    early = rng.random(score.size) < 1.0 - p_good
    outcome = np.where(good, "good", np.where(early, "ended_early", "poor"))
    out = components.copy()
    out["hidden_score"] = score
    out["p_good"] = p_good
    out["outcome"] = pd.Categorical(outcome, categories=OUTCOMES)
    return out


def pair_components(
    programme: Programme,
    mentees: pd.DataFrame | Sequence[Mentee],
    mentors: pd.DataFrame | Sequence[Mentor],
    pairs: pd.DataFrame | None = None,
    *,
    n_pairs: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Return the per-criterion similarities (each in [0, 1]) of pairs under a programme.

    Parameters
    ----------
    programme
        Whose criteria to compute; its weights do not matter.
    mentees, mentors
        The participants.
    pairs
        Pairs to describe (``mentee_id``, ``mentor_id`` columns, e.g. past pairs). When
        not given, ``n_pairs`` pairs are drawn uniformly at random (with a seed), which
        gives the spread of similarities a learning demo needs.
    n_pairs
        How many random pairs to draw when ``pairs`` is not given.
    seed
        Seed of the random pairs.

    Returns
    -------
    pandas.DataFrame
        ``mentee_id``, ``mentor_id`` and one column per criterion (programme order).
    """
    from matching.scoring import PairScorer  # the scorer pulls in every feature encoder

    mentee_frame = participants_frame(mentees, "mentee")
    mentor_frame = participants_frame(mentors, "mentor")
    if pairs is None:
        rng = np.random.default_rng(seed)
        i = rng.integers(0, len(mentee_frame), size=n_pairs)
        j = rng.integers(0, len(mentor_frame), size=n_pairs)
    else:
        i = _indexer(pairs["mentee_id"], mentee_frame["id"], "mentee_id")
        j = _indexer(pairs["mentor_id"], mentor_frame["id"], "mentor_id")
    # With every weight 1 a criterion's weighted contribution is its similarity.
    unit = programme.with_weights({name: 1.0 for name in programme.criterion_names})
    scorer = PairScorer(unit).fit(mentee_frame, mentor_frame)
    values = np.asarray(
        scorer.pair_contributions(i.astype(np.int64), j.astype(np.int64)), dtype=np.float64
    )
    out = pd.DataFrame(values, columns=list(scorer.criterion_names_))
    out.insert(0, "mentor_id", mentor_frame["id"].to_numpy()[j])
    out.insert(0, "mentee_id", mentee_frame["id"].to_numpy()[i])
    return out


def _indexer(ids: pd.Series, known: pd.Series, column: str) -> NDArray[np.int64]:
    """Positions of ``ids`` among ``known``; unknown ids are an input error."""
    found = pd.Index(known.astype(str)).get_indexer(pd.Index(ids.astype(str)))
    if (found < 0).any():
        raise InputError(Message("unknown id"), row=int(np.argmax(found < 0)), column=column)
    return found.astype(np.int64)


# --------------------------------------------------------------------------- learning


@dataclass(frozen=True)
class LearnedWeights:
    """Weights learned from outcomes, and how well they rank good pairs.

    AUCs are the probability that a random good pair scores above a random other pair.
    ``auc`` is out-of-fold (each pair scored by weights fitted without it); the current and
    uniform weights are not fitted, so theirs are plain. Confidence intervals are
    percentile bootstrap intervals over pairs (paired: the gain's interval comes from the
    same resamples).
    """

    criteria: tuple[str, ...]
    weights: Mapping[str, float]
    """Learned weights, non-negative, summing to 1."""
    coefficients: Mapping[str, float]
    """The logistic regression's coefficients (0 for criteria dropped as negative)."""
    intercept: float
    C: float
    """Inverse regularisation strength chosen by cross-validation."""
    current_weights: Mapping[str, float]
    auc: float
    auc_ci: tuple[float, float]
    current_auc: float
    current_auc_ci: tuple[float, float]
    uniform_auc: float
    auc_gain: float
    """``auc - current_auc``."""
    auc_gain_ci: tuple[float, float]
    n_pairs: int
    n_positive: int
    dropped: tuple[str, ...] = field(default=())
    """Criteria whose unconstrained coefficient was negative, set to weight 0."""

    def table(self) -> pd.DataFrame:
        """Return one row a criterion: ``current_weight``, ``learned_weight``, ``coefficient``.

        Returns
        -------
        pandas.DataFrame
            Indexed by criterion, current weights normalised to sum to 1 for comparison.
        """
        current = np.array([self.current_weights.get(c, 0.0) for c in self.criteria])
        total = current.sum()
        return pd.DataFrame(
            {
                "current_weight": current / total if total > 0 else current,
                "learned_weight": [self.weights[c] for c in self.criteria],
                "coefficient": [self.coefficients[c] for c in self.criteria],
            },
            index=pd.Index(self.criteria, name="criterion"),
        )

    def to_programme(self, programme: Programme) -> Programme:
        """Return ``programme`` with the learned weights, all weights summing to 1.

        Criteria the weights were not learned for keep their weight; the learned criteria
        share the total weight they had before, in the learned proportions; then every
        weight is divided by the sum so that they add up to 1 (scores stay in [0, 1]).

        Parameters
        ----------
        programme
            The programme whose criteria the weights were learned for (by name).

        Returns
        -------
        Programme
            A copy made with :meth:`Programme.with_weights`.
        """
        old = {c.name: float(c.weight) for c in programme.criteria}
        unknown = [c for c in self.criteria if c not in old]
        if unknown:
            raise InputError(Message("learned criterion not in the programme"), column=unknown[0])
        share = sum(old[c] for c in self.criteria) or 1.0
        new = {**old, **{c: self.weights[c] * share for c in self.criteria}}
        total = sum(new.values())
        return programme.with_weights({name: w / total for name, w in new.items()})


def learn_weights(
    pairs: pd.DataFrame,
    criteria: Sequence[str],
    *,
    outcome: str = "outcome",
    positive: Sequence[str] = ("good",),
    current: Mapping[str, float] | Programme | None = None,
    cv: int = 5,
    seed: int = 0,
    n_bootstrap: int = 500,
    Cs: int = 10,
) -> LearnedWeights:
    """Learn non-negative criterion weights from the outcomes of past pairs.

    1. L2 logistic regression, ``C`` chosen among ``Cs`` values from 1e-4 to 1e4 by
       stratified ``cv``-fold cross-validation on ROC AUC (``GridSearchCV``), of "the
       outcome is positive" on the raw similarities — not standardised, so coefficients
       are on the scale of the weights.
    2. Non-negativity: a criterion cannot make a pair worse by being more similar, so while
       a coefficient is negative the most negative criterion is dropped (weight 0) and the
       model refitted with the chosen ``C`` (an active-set heuristic for non-negative
       logistic regression).
    3. The coefficients, divided by their sum, are the weights.
    4. The same procedure inside each of ``cv`` folds scores the held-out pairs; the AUC
       of those out-of-fold scores is compared with the current weights' AUC, with
       ``n_bootstrap`` paired bootstrap resamples for confidence intervals. ``C`` is
       chosen once on all pairs (a small optimism, shared by every fold).

    Parameters
    ----------
    pairs
        One row a past pair: a similarity column per criterion (in [0, 1]) and ``outcome``.
    criteria
        The similarity columns to learn weights for.
    outcome
        The outcome column.
    positive
        The outcome values that count as a good pair.
    current
        Current weights (a mapping or a programme) to compare against; default uniform.
    cv
        Number of cross-validation folds.
    seed
        Seed of the folds and the bootstrap.
    n_bootstrap
        Bootstrap resamples for the confidence intervals (95%).
    Cs
        Number of values of ``C`` tried (log-spaced from 1e-4 to 1e4).

    Returns
    -------
    LearnedWeights
        Weights, coefficients, AUCs with confidence intervals; ``to_programme`` makes
        the configuration.

    Raises
    ------
    InputError
        A criterion or the outcome column is missing, a similarity is not finite, or the
        outcomes are all of one class.
    """
    names = tuple(criteria)
    for column in (*names, outcome):
        if column not in pairs.columns:
            raise InputError(Message("the pairs have no such column"), column=column)
    x = pairs[list(names)].to_numpy(np.float64)
    if not np.isfinite(x).all():
        bad = ~np.isfinite(x)
        raise InputError(
            Message("similarity is not a finite number"),
            row=int(np.argmax(bad.any(axis=1))),
            column=names[int(np.argmax(bad.any(axis=0)))],
        )
    y = pairs[outcome].astype(object).isin(list(positive)).to_numpy()
    n_positive = int(y.sum())
    if n_positive < cv or len(y) - n_positive < cv:
        reason = Message("need at least {count} pairs of each outcome class", count=cv)
        raise InputError(reason, column=outcome)

    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    # GridSearchCV over C is LogisticRegressionCV without its version-dependent attributes.
    grid = {"C": np.logspace(-4, 4, Cs)}
    search = GridSearchCV(LogisticRegression(max_iter=1000), grid, cv=folds, scoring="roc_auc")
    search.fit(x, y)
    C = float(search.best_params_["C"])
    coef, intercept, dropped = _non_negative_fit(x, y, C)
    weights = _normalised(coef)

    oof = np.zeros(len(y))
    for train, test in folds.split(x, y):
        fold_coef, _, _ = _non_negative_fit(x[train], y[train], C)
        oof[test] = x[test] @ _normalised(fold_coef)

    current_map = _current_weights(current, names)
    current_score = x @ np.array([current_map[c] for c in names])
    uniform_score = x.mean(axis=1)
    aucs = _bootstrap_auc(y, np.vstack([oof, current_score]), n_bootstrap, seed)
    gain = aucs[:, 0] - aucs[:, 1]
    return LearnedWeights(
        criteria=names,
        weights={c: float(w) for c, w in zip(names, weights, strict=True)},
        coefficients={c: float(w) for c, w in zip(names, coef, strict=True)},
        intercept=intercept,
        C=C,
        current_weights=current_map,
        auc=_auc(y, oof),
        auc_ci=_interval(aucs[:, 0]),
        current_auc=_auc(y, current_score),
        current_auc_ci=_interval(aucs[:, 1]),
        uniform_auc=_auc(y, uniform_score),
        auc_gain=_auc(y, oof) - _auc(y, current_score),
        auc_gain_ci=_interval(gain),
        n_pairs=len(y),
        n_positive=n_positive,
        dropped=tuple(names[k] for k in dropped),
    )


def _non_negative_fit(
    x: FloatArray, y: NDArray[np.bool_], C: float
) -> tuple[FloatArray, float, list[int]]:
    """Logistic coefficients with negative ones dropped one at a time (active set)."""
    active = list(range(x.shape[1]))
    dropped: list[int] = []
    while active:
        model = LogisticRegression(C=C, max_iter=1000).fit(x[:, active], y)
        coef = model.coef_.ravel()
        if (coef >= 0).all():
            full = np.zeros(x.shape[1])
            full[active] = coef
            return full, float(model.intercept_[0]), dropped
        worst = active[int(np.argmin(coef))]
        active.remove(worst)
        dropped.append(worst)
    # Every criterion hurt: no weighting ranks better than chance; keep them equal.
    return np.zeros(x.shape[1]), 0.0, dropped


def _normalised(coef: FloatArray) -> FloatArray:
    """Weights summing to 1 (uniform when every coefficient is 0)."""
    total = coef.sum()
    return coef / total if total > 0 else np.full(coef.size, 1.0 / coef.size)


def _current_weights(
    current: Mapping[str, float] | Programme | None, names: tuple[str, ...]
) -> dict[str, float]:
    """The weights to compare with, by criterion (uniform by default)."""
    if current is None:
        return {c: 1.0 / len(names) for c in names}
    if isinstance(current, Programme):
        by_name = {c.name: float(c.weight) for c in current.criteria}
    else:
        by_name = {k: float(v) for k, v in current.items()}
    return {c: by_name.get(c, 0.0) for c in names}


def _auc(y: NDArray[np.bool_], score: FloatArray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half."""
    return float(_rank_auc(y[None, :], score[None, :])[0])


def _rank_auc(y: NDArray[np.bool_], score: FloatArray) -> FloatArray:
    """Row-wise ROC AUC of score matrices (one resample a row), vectorised."""
    ranks = rankdata(score, axis=1)
    n_pos = y.sum(axis=1)
    n_neg = y.shape[1] - n_pos
    rank_sum = (ranks * y).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg), np.float64)


def _bootstrap_auc(
    y: NDArray[np.bool_], scores: FloatArray, n_bootstrap: int, seed: int
) -> FloatArray:
    """AUC of each score row on the same bootstrap resamples: ``(n_bootstrap, rows)``."""
    rng = np.random.default_rng(seed)
    out = np.empty((n_bootstrap, scores.shape[0]))
    # Resample in chunks so memory stays at chunk x pairs whatever n_bootstrap is.
    chunk = max(1, 2_000_000 // max(len(y), 1))
    for start in range(0, n_bootstrap, chunk):
        size = min(chunk, n_bootstrap - start)
        idx = rng.integers(0, len(y), size=(size, len(y)))
        for row in range(scores.shape[0]):
            out[start : start + size, row] = _rank_auc(y[idx], scores[row][idx])
    return out


def _interval(values: FloatArray) -> tuple[float, float]:
    """The 95% percentile interval, ignoring resamples with a single class."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    low, high = np.percentile(finite, [2.5, 97.5])
    return (float(low), float(high))


# --------------------------------------------------------------------------- export

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def to_toml(programme: Programme) -> str:
    """Return a programme as the text of a TOML configuration file.

    ``Programme.from_file`` reads it back to an equal programme. Options left at ``None``
    (only ``max_features`` of a text criterion can be) have no TOML spelling and are
    left out, so they read back as their default.

    Parameters
    ----------
    programme
        The programme to write, e.g. ``learned.to_programme(programme)``.

    Returns
    -------
    str
        TOML text: top-level options, then ``[solver]``, then ``[[criteria]]``,
        ``[[rules]]`` and ``[[quotas]]`` tables.
    """
    data = programme.model_dump(mode="json", exclude_none=True)
    lines = ["# Marraine programme configuration (written by matching.learning.to_toml)"]
    tables: list[tuple[str, dict[str, Any]]] = []
    arrays: list[tuple[str, list[dict[str, Any]]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, table in tables:
        lines += ["", f"[{_key(key)}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    for key, items in arrays:
        for item in items:
            lines += ["", f"[[{_key(key)}]]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    """A TOML key: bare when it can be, else quoted."""
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    """A TOML value: scalars, arrays and inline tables (JSON escapes are valid TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "[\n" + "".join(f"    {_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write a {type(value).__name__} as TOML")
