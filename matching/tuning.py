"""Weight sweeps: the matching as a scikit-learn estimator, a parallel sweep, the Pareto front.

This module owns :class:`MatchingEstimator` (the programme's per-criterion weights and
objective as estimator parameters, so ``get_params`` / ``set_params`` / ``clone`` and
scikit-learn's ``ParameterGrid`` / ``ParameterSampler`` work on them), :func:`sweep` (match
and evaluate many settings, in parallel with joblib) and :func:`pareto_front` (the settings
no other setting beats on every chosen metric).

A criterion's weight is the parameter ``weight__<criterion>``::

    >>> estimator = MatchingEstimator(programme)  # doctest: +SKIP
    >>> table = sweep(estimator, mentees, mentors,  # doctest: +SKIP
    ...               {"weight__needs": [0.2, 0.4, 0.6], "objective": ["coverage", "fair"]})
    >>> pareto_front(table)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import ParameterGrid, ParameterSampler

from matching.defaults import default_programme
from matching.errors import ConfigError
from matching.evaluation import ALL, evaluate, pairs_table
from matching.learning import pair_components
from matching.messages import Message
from matching.model import Mentee, Mentor, Objective, Programme, participants_frame
from matching.result import MatchResult

__all__ = ["WEIGHT_PREFIX", "MatchingEstimator", "pareto_front", "sweep", "wide_metrics"]

WEIGHT_PREFIX = "weight__"
"""Parameters named ``weight__<criterion>`` set one criterion's weight."""

People = pd.DataFrame | Sequence[Mentee] | Sequence[Mentor]


class MatchingEstimator(BaseEstimator):  # type: ignore[misc]
    """The matching of a programme as a scikit-learn estimator.

    ``fit(mentees, mentors)`` matches the cohort with :func:`matching.match` under the
    programme with this estimator's weights and objective, and evaluates the result
    (:func:`matching.evaluation.evaluate`).

    Parameters
    ----------
    programme
        The base programme (criteria, rules, solver options). Default: the
        digital-business programme (:func:`matching.default_programme`).
    weights
        Criterion name -> weight, replacing the programme's weights for those criteria.
        ``set_params(weight__needs=0.5)`` updates one entry; ``get_params()`` lists every
        criterion's current weight as ``weight__<criterion>``.
    objective
        ``coverage``, ``total`` or ``fair``; default the programme's.
    normalise
        Divide the weights by their sum so every score stays in [0, 1] and scores of
        different settings are on one scale (default True).
    groups
        Mentee columns to report fairness metrics for (e.g. ``("status",)``).
    reference
        A programme whose weights also score every setting's pairs (``reference_*``
        metrics), so that settings are compared on one yardstick. Its criteria are
        matched by name; by default the base programme (normalised).
    similarities
        Also report each criterion's mean similarity over the pairs
        (``similarity_<criterion>``) and the reference scores (default True).
    stability
        Also count blocking pairs (compares every mentee with every mentor, blockwise).

    Attributes
    ----------
    programme_ : Programme
        The programme actually matched with (weights replaced and normalised).
    result_ : MatchResult
        The matching.
    metrics_ : pandas.DataFrame
        Tidy metrics (``metric``, ``group``, ``value``) of the matching.
    components_ : pandas.DataFrame
        Per-criterion similarities of the pairs (with ``similarities``).
    """

    def __init__(
        self,
        programme: Programme | None = None,
        *,
        weights: Mapping[str, float] | None = None,
        objective: Objective | None = None,
        normalise: bool = True,
        groups: Sequence[str] = (),
        reference: Programme | None = None,
        similarities: bool = True,
        stability: bool = False,
    ) -> None:
        self.programme = programme
        self.weights = weights
        self.objective = objective
        self.normalise = normalise
        self.groups = groups
        self.reference = reference
        self.similarities = similarities
        self.stability = stability

    # ----------------------------------------------------------------- parameters

    def _base(self) -> Programme:
        """The base programme (the default one when none is given)."""
        return self.programme if self.programme is not None else default_programme()

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the parameters; with ``deep``, also ``weight__<criterion>`` for each one.

        Parameters
        ----------
        deep
            Include the per-criterion weights (as given, before normalisation).

        Returns
        -------
        dict
        """
        params: dict[str, Any] = super().get_params(deep=False)
        if deep:
            base = self._base()
            weights = {c.name: float(c.weight) for c in base.criteria}
            weights.update({k: float(v) for k, v in (self.weights or {}).items()})
            params.update({f"{WEIGHT_PREFIX}{k}": v for k, v in weights.items()})
        return params

    def set_params(self, **params: Any) -> Self:
        """Set parameters; ``weight__<criterion>=w`` sets one criterion's weight.

        Returns
        -------
        MatchingEstimator
            ``self``.
        """
        updates = {
            key.removeprefix(WEIGHT_PREFIX): float(value)
            for key, value in params.items()
            if key.startswith(WEIGHT_PREFIX)
        }
        rest = {k: v for k, v in params.items() if not k.startswith(WEIGHT_PREFIX)}
        if rest:
            super().set_params(**rest)
        if updates:
            unknown = sorted(set(updates) - set(self._base().criterion_names))
            if unknown:
                reason = Message("unknown criterion names: {names}", names=tuple(unknown))
                raise ConfigError("criteria", reason)
            self.weights = {**(self.weights or {}), **updates}
        return self

    def effective_programme(self) -> Programme:
        """Return the programme this estimator matches with (weights set, normalised).

        Returns
        -------
        Programme
        """
        programme = self._base()
        if self.weights:
            programme = programme.with_weights(self.weights)
        if self.normalise:
            programme = _normalised(programme)
        if self.objective is not None:
            programme = Programme.from_dict({**programme.model_dump(), "objective": self.objective})
        return programme

    # ----------------------------------------------------------------- fitting

    def fit(self, mentees: People, mentors: People, y: None = None) -> Self:
        """Match the cohort and evaluate the result.

        Parameters
        ----------
        mentees, mentors
            The participants (model objects or DataFrames).
        y
            Ignored; present for scikit-learn's API.

        Returns
        -------
        MatchingEstimator
            ``self``, with ``programme_``, ``result_``, ``metrics_`` set.
        """
        from matching._pipeline import match  # the pipeline imports every engine part

        mentee_frame = participants_frame(mentees, "mentee")
        mentor_frame = participants_frame(mentors, "mentor")
        self.programme_ = self.effective_programme()
        self.result_: MatchResult = match(mentee_frame, mentor_frame, self.programme_)
        scores = None
        if self.stability:
            from matching.scoring import PairScorer

            scores = PairScorer(self.programme_).fit(mentee_frame, mentor_frame)
        metrics = evaluate(
            self.result_,
            mentee_frame,
            mentor_frame,
            groups=self.groups,
            programme=self.programme_,
            scores=scores,
        )
        if self.similarities:
            self.components_ = pair_components(
                self.programme_, mentee_frame, mentor_frame, pairs_table(self.result_)
            )
            metrics = pd.concat([metrics, self._component_metrics()], ignore_index=True)
        self.metrics_ = metrics
        return self

    def _component_metrics(self) -> pd.DataFrame:
        """Mean similarity per criterion and the pairs' scores under the reference weights."""
        names = list(self.programme_.criterion_names)
        values = self.components_[names].to_numpy(np.float64)
        rows = [
            (f"similarity_{name}", ALL, float(values[:, k].mean()) if len(values) else np.nan)
            for k, name in enumerate(names)
        ]
        reference = _normalised(self.reference if self.reference is not None else self._base())
        by_name = {c.name: float(c.weight) for c in reference.criteria}
        score = values @ np.array([by_name.get(name, 0.0) for name in names])
        empty = score.size == 0
        rows += [
            ("reference_total_score", ALL, float(score.sum())),
            ("reference_mean_score", ALL, np.nan if empty else float(score.mean())),
            ("reference_min_score", ALL, np.nan if empty else float(score.min())),
        ]
        return pd.DataFrame.from_records(rows, columns=["metric", "group", "value"])


def _normalised(programme: Programme) -> Programme:
    """The programme with its weights divided by their sum."""
    total = sum(float(c.weight) for c in programme.criteria)
    return programme.with_weights({c.name: float(c.weight) / total for c in programme.criteria})


# --------------------------------------------------------------------------- sweeps


def wide_metrics(metrics: pd.DataFrame) -> dict[str, float]:
    """Return a tidy metrics table as one flat row.

    Cohort-wide metrics keep their name; a group's metric is named ``metric[group]``,
    e.g. ``match_rate[status=student]`` or ``min_match_rate_ratio[status]``.

    Parameters
    ----------
    metrics
        A table from :func:`matching.evaluation.evaluate`.

    Returns
    -------
    dict
    """
    return {
        (metric if group == ALL else f"{metric}[{group}]"): float(value)
        for metric, group, value in metrics[["metric", "group", "value"]].itertuples(index=False)
    }


def _settings(
    grid_or_samples: Mapping[str, Any] | Sequence[Mapping[str, Any]] | Iterable[dict[str, Any]],
    n_iter: int | None,
    seed: int,
) -> list[dict[str, Any]]:
    """The settings to evaluate, in a fixed order."""
    if isinstance(grid_or_samples, ParameterGrid | ParameterSampler):
        return [dict(s) for s in grid_or_samples]
    if isinstance(grid_or_samples, Mapping):
        if n_iter is not None:
            sampler = ParameterSampler(grid_or_samples, n_iter=n_iter, random_state=seed)
            return [dict(s) for s in sampler]
        return [dict(s) for s in ParameterGrid(grid_or_samples)]
    return [dict(s) for s in grid_or_samples]


def _run(estimator: MatchingEstimator, setting: dict[str, Any], people: tuple[Any, Any]) -> Any:
    """Fit one setting; return its flat metrics row (runs in a joblib worker)."""
    fitted = clone(estimator).set_params(**setting).fit(*people)
    weights = {f"weight_{c.name}": float(c.weight) for c in fitted.programme_.criteria}
    row: dict[str, Any] = {f"param_{k}": v for k, v in setting.items()}
    row.update(weights)
    row["objective"] = fitted.programme_.objective
    row.update(wide_metrics(fitted.metrics_))
    row["seconds"] = float(fitted.result_.summary.seconds)
    return row


def sweep(
    estimator: MatchingEstimator,
    mentees: People,
    mentors: People,
    grid_or_samples: Mapping[str, Any] | Sequence[Mapping[str, Any]] | Iterable[dict[str, Any]],
    *,
    n_iter: int | None = None,
    n_jobs: int = 1,
    seed: int = 0,
    backend: str | None = None,
) -> pd.DataFrame:
    """Match and evaluate the cohort under many settings of the estimator's parameters.

    Parameters
    ----------
    estimator
        The base estimator; each setting is applied to a ``clone`` of it.
    mentees, mentors
        The participants.
    grid_or_samples
        A mapping of parameter -> values (a grid, expanded with scikit-learn's
        ``ParameterGrid``; or distributions / lists sampled ``n_iter`` times with
        ``ParameterSampler``), a ``ParameterGrid`` / ``ParameterSampler`` itself, or a list
        of explicit settings (dicts of parameter -> value).
    n_iter
        With a mapping: sample this many settings instead of the full grid.
    n_jobs
        Settings matched in parallel (``-1`` for every core). Worth it when one match
        takes longer than starting a worker process (which imports the engine, a few
        seconds), i.e. for cohorts of thousands.
    seed
        Seed of ``ParameterSampler``; the matching itself is deterministic.
    backend
        joblib backend: default processes (``loky``); ``"threading"`` starts at once and
        still overlaps the numpy and OR-Tools parts of the work.

    Returns
    -------
    pandas.DataFrame
        One row a setting, in order: ``param_<name>`` (the setting as given),
        ``weight_<criterion>`` (the weights actually used, normalised), ``objective``,
        then every metric of :meth:`MatchingEstimator.fit` flattened by
        :func:`wide_metrics` (``total_score``, ``min_score``, ``coverage``, ...), and
        ``seconds``.
    """
    settings = _settings(grid_or_samples, n_iter, seed)
    mentee_frame = participants_frame(mentees, "mentee")
    mentor_frame = participants_frame(mentors, "mentor")
    people = (mentee_frame, mentor_frame)
    if n_jobs == 1:
        rows = [_run(estimator, setting, people) for setting in settings]
    else:
        parallel = Parallel(n_jobs=n_jobs, backend=backend)
        rows = parallel(delayed(_run)(estimator, s, people) for s in settings)
    return pd.DataFrame.from_records(rows)


# --------------------------------------------------------------------------- Pareto front


def pareto_front(
    table: pd.DataFrame,
    maximise: Sequence[str] = ("total_score", "min_score", "coverage"),
    minimise: Sequence[str] = (),
) -> pd.DataFrame:
    """Return the rows that no other row beats on every chosen metric.

    A row is dominated when another row is at least as good on every metric and better
    on one. Rows with equal metrics do not dominate each other (both are kept). A missing
    value counts as the worst possible.

    Parameters
    ----------
    table
        E.g. the result of :func:`sweep`.
    maximise
        Columns where higher is better.
    minimise
        Columns where lower is better (e.g. ``load_gini``, ``blocking_pairs``).

    Returns
    -------
    pandas.DataFrame
        The non-dominated rows (original index kept), sorted by the first metric, best
        first.
    """
    columns = [*maximise, *minimise]
    if not columns:
        raise ValueError("pareto_front needs at least one metric")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"no such metric columns: {missing}")
    signs = np.array([1.0] * len(maximise) + [-1.0] * len(minimise))
    values = table[columns].to_numpy(np.float64) * signs
    values = np.where(np.isnan(values), -np.inf, values)
    # at_least[a, b]: row a is at least as good as row b everywhere (n x n, n = settings)
    at_least = (values[:, None, :] >= values[None, :, :]).all(axis=2)
    better = (values[:, None, :] > values[None, :, :]).any(axis=2)
    dominated = (at_least & better).any(axis=0)
    front = table.iloc[np.flatnonzero(~dominated)]
    ascending = columns[0] in minimise
    return front.sort_values(columns[0], ascending=ascending, kind="stable")
