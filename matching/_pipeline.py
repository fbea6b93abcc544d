"""``match()``: the data flow of DESIGN §3 from participant tables to a :class:`MatchResult`.

participants -> features + scoring -> candidates -> solver (+ certificate) -> explanations.
Participants are sorted by id first, so the result does not depend on row order.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching import explain
from matching._runtime import match_settings
from matching._table_scores import TablePricer, candidate_mask, table_arcs
from matching._version import VERSION
from matching.candidates import CandidatePricer, CandidateScan, scan_candidates
from matching.defaults import default_programme
from matching.errors import InputError, InputErrors, RuleError
from matching.features import check_participants
from matching.messages import Evidence, Language
from matching.model import Mentee, Mentor, Objective, Programme, participants_frame
from matching.result import (
    Alternative,
    MatchResult,
    Pair,
    RecruitmentGap,
    Summary,
    Unmatched,
)
from matching.scoring import PairScorer
from matching.solver import (
    ArcPricer,
    AssignmentProblem,
    AssignmentSolution,
    QuotaConstraint,
    SolverConfig,
    connected_components,
    solve,
)
from matching.solver._contention import contention_prices, subsample

__all__ = ["ProgressCallback", "match"]

ProgressCallback = Callable[[str, float], None]
"""Called with a step name (``encode``, ``score``, ``solve``, ``explain``, ``done``) and
the share of the whole match done so far, in [0, 1]."""

IntArray = NDArray[np.int64]
PairList = Iterable[tuple[str, str]]

# Share of the progress bar each step owns (measured on synthetic cohorts, roughly).
_STEPS = {"encode": (0.0, 0.05), "score": (0.05, 0.43), "prices": (0.43, 0.45)}
_STEPS |= {"solve": (0.45, 0.85)}
_STEPS |= {"explain": (0.85, 1.0)}


@match_settings()  # fresh for each call (contextlib's ContextDecorator)
def match(
    mentees: Sequence[Mentee] | pd.DataFrame,
    mentors: Sequence[Mentor] | pd.DataFrame,
    programme: Programme | None = None,
    *,
    scores: pd.DataFrame | None = None,
    objective: Objective | None = None,
    locked: PairList = (),
    forbidden: PairList = (),
    previous: PairList = (),
    incumbent: PairList = (),
    progress: ProgressCallback | None = None,
    language: Language | None = None,
) -> MatchResult:
    """Match a cohort of mentees with mentors.

    Parameters
    ----------
    mentees, mentors
        Participants as model objects or DataFrames (one row a person, ``id`` column).
    programme
        Criteria, rules, objective and solver options. Default: the digital-business
        example's configuration (:func:`matching.default_programme`).
    scores
        Precomputed pair scores, long format ``mentee_id, mentor_id, score``; replaces the
        programme's criteria. A pair absent from it is not allowed.
    objective
        Overrides ``programme.objective``: ``coverage``, ``total`` or ``fair``.
    locked
        (mentee_id, mentor_id) pairs that must be in the result.
    forbidden
        Pairs that must not be in the result.
    previous
        Earlier pairs, not proposed again unless ``programme.allow_repeat_pairs``.
    incumbent
        Pairs of an earlier suggestion; among optimal results the one keeping most of them
        is returned, so a rematch changes as few pairs as the objective allows.
    progress
        Called as the work advances (see :data:`ProgressCallback`).
    language
        Language of every ``why`` and unmatched ``detail``: ``en``, ``fr`` or ``ar``
        (default ``programme.language``). The evidence is kept as data in each pair, so
        :meth:`MatchResult.in_language` renders it again in another language.

    Returns
    -------
    MatchResult
        Pairs with per-criterion contributions and evidence, unmatched mentees with
        reasons, alternatives, recruitment gaps, and a summary with the optimality gap.

    Raises
    ------
    InputError
        A participant table or the scores are invalid (names the row and column).
    RuleError
        Locked pairs contradict the rules, the forbidden pairs or the capacities.
    """
    clock = _Clock(progress)
    started = time.perf_counter()
    explicit_programme = programme is not None
    programme = programme if programme is not None else default_programme()
    objective = objective or programme.objective

    with clock.step("encode"):
        mentee_frame = _sorted(participants_frame(mentees, "mentee"))
        mentor_frame = _sorted(participants_frame(mentors, "mentor"))
        for side, frame in (("mentee", mentee_frame), ("mentor", mentor_frame)):
            if frame.empty:
                raise InputError(f"no {side}s: the {side} table has no rows")
        ids = _Ids(mentee_frame["id"].tolist(), mentor_frame["id"].tolist())
        locked_idx = ids.pairs(locked, "locked")
        forbidden_idx = ids.pairs(forbidden, "forbidden")
        previous_idx = [] if programme.allow_repeat_pairs else ids.pairs(previous, "previous")
        incumbent_idx = ids.pairs(incumbent, "incumbent")
        _check_locked(locked_idx, forbidden_idx + previous_idx)

    if scores is None:
        stage = _score_with_programme(
            programme, mentee_frame, mentor_frame, locked_idx, (forbidden_idx, previous_idx), clock
        )
    else:
        with clock.step("score"):
            # Every listed pair is allowed unless the configuration sets a minimum.
            chosen = explicit_programme and "min_score" in programme.model_fields_set
            min_score = programme.min_score if chosen else -math.inf
            stage = _score_from_table(
                scores,
                ids,
                locked_idx,
                (forbidden_idx, previous_idx),
                min_score,
                programme.solver.top_k,
            )

    with clock.step("solve"):
        problem = AssignmentProblem(
            n_mentees=len(ids.mentees),
            n_mentors=len(ids.mentors),
            arc_mentee=stage.arc_mentee,
            arc_mentor=stage.arc_mentor,
            arc_score=stage.arc_score,
            demand=mentee_frame["demand"].to_numpy(np.int64),
            capacity=mentor_frame["capacity"].to_numpy(np.int64),
            min_load=mentor_frame["min_load"].to_numpy(np.int64),
            arc_locked=_mark(stage, locked_idx, len(ids.mentors)),
            quotas=_quotas(programme, mentee_frame),
            arc_incumbent=_mark(stage, incumbent_idx, len(ids.mentors)),
        )
        options = programme.solver
        config = SolverConfig(
            objective=objective,
            method=options.method,
            certify=options.certify,
            max_rounds=options.max_rounds,
            time_limit_seconds=options.time_limit_seconds,
            workers=options.workers,
            seed=options.seed,
        )
        solution = solve(problem, config, stage.pricer if options.certify else None)
        components = len(connected_components(problem))

    with clock.step("explain"):
        result = _explain(
            programme if scores is None else None,
            programme.alternatives,
            stage,
            solution,
            mentee_frame,
            mentor_frame,
            ids,
            language or programme.language,
        )
    seconds = time.perf_counter() - started
    summary = Summary(
        objective=objective,
        total_score=solution.total_score,
        upper_bound=solution.upper_bound,
        gap=solution.gap,
        mentees=len(ids.mentees),
        mentors=len(ids.mentors),
        matched=len(ids.mentees) - len(result.unmatched),
        unmatched=len(result.unmatched),
        pairs=solution.matched,
        criteria=stage.criteria,
        seconds=round(seconds, 4),
        config_sha256=programme.sha256() if scores is None else _scores_sha256(programme, scores),
        version=VERSION,
        min_score=float(solution.score.min()) if solution.matched else None,
        mean_score=float(solution.score.mean()) if solution.matched else None,
        status=solution.status,
        method=solution.method,
        rounds=solution.rounds,
        candidate_arcs=int(stage.arc_mentee.size),
        components=components,
        timings=clock.timings,
    )
    clock.report("done", 1.0)
    return MatchResult(result.pairs, result.unmatched, result.alternatives, result.gaps, summary)


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class _Stage:
    """What scoring hands to the solver and the explanations."""

    criteria: tuple[str, ...]
    arc_mentee: IntArray
    arc_mentor: IntArray
    arc_score: NDArray[np.float64]
    eligibility: explain.Eligibility
    min_score: float
    scorer: PairScorer | None = None
    pricer: ArcPricer | None = None


def _score_with_programme(
    programme: Programme,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    locked: list[tuple[int, int]],
    excluded: tuple[list[tuple[int, int]], list[tuple[int, int]]],
    clock: _Clock,
) -> _Stage:
    """Encode, score blockwise and keep the candidate arcs (DESIGN §3); ``excluded``:
    the forbidden pairs and the previous ones not to repeat, reported apart."""
    forbidden, previous = excluded
    with clock.step("encode"):
        problems = check_participants(mentees, programme, "mentee")
        problems += check_participants(mentors, programme, "mentor")
        if problems:
            raise InputErrors(problems)
        scorer = PairScorer(programme).fit(mentees, mentors)
    with clock.step("score"):
        scan = scan_candidates(
            scorer,
            top_k=programme.solver.top_k,
            locked=locked,
            forbidden=forbidden,
            previous=previous,
            block_size=programme.solver.block_size,
            progress=clock.within("score"),
        )
    with clock.step("prices"):
        price = _contention_prices(scan, mentees, mentors)
    with clock.step("score"):
        graph = scan.select(price)
    eligibility = explain.Eligibility(
        exclusion_names=tuple(graph.exclusion_names),
        allowed=graph.allowed_count,
        rule_allowed=graph.rule_allowed_count,
        exclusion_counts=graph.exclusion_counts,
        best_rule_allowed=graph.best_rule_allowed_score,
    )
    pricer = CandidatePricer(scorer, graph, forbidden=forbidden + previous)
    return _Stage(
        criteria=tuple(scorer.criterion_names_),
        arc_mentee=graph.arc_mentee,
        arc_mentor=graph.arc_mentor,
        arc_score=graph.arc_score,
        eligibility=eligibility,
        min_score=programme.min_score,
        scorer=scorer,
        pricer=pricer,
    )


def _contention_prices(
    scan: CandidateScan, mentees: pd.DataFrame, mentors: pd.DataFrame
) -> NDArray[np.float64] | None:
    """Mentor prices estimated on a subsample, to choose candidates by score less price
    (:mod:`matching.solver._contention`); None for a cohort too small to need them."""
    rows = subsample(scan.n_mentees)
    sample = None if rows is None else scan.sample(rows)
    if sample is None or sample.mentee.size == 0:
        return None
    return contention_prices(
        sample.mentee,
        sample.mentor,
        sample.score,
        mentees["demand"].to_numpy(np.int64)[sample.rows],
        mentors["capacity"].to_numpy(np.int64),
        share=sample.rows.size / scan.n_mentees,
    )


def _score_from_table(
    scores: pd.DataFrame,
    ids: _Ids,
    locked: list[tuple[int, int]],
    excluded: tuple[list[tuple[int, int]], list[tuple[int, int]]],
    min_score: float,
    top_k: int,
) -> _Stage:
    """Arcs from a long ``mentee_id, mentor_id, score`` table: absent pairs are not allowed,
    nor forbidden and previous ones (``excluded``, reported apart).

    A large table is pruned to candidates and priced in by the certificate, like criteria.
    """
    arcs = table_arcs(scores, ids.mentee_index, ids.mentor_index, locked, excluded, min_score)
    candidates = candidate_mask(arcs, top_k, locked, len(ids.mentors))
    if candidates is None:
        return _Stage((), arcs.mentee, arcs.mentor, arcs.score, arcs.eligibility, min_score)
    return _Stage(
        criteria=(),
        arc_mentee=arcs.mentee[candidates],
        arc_mentor=arcs.mentor[candidates],
        arc_score=arcs.score[candidates],
        eligibility=arcs.eligibility,
        min_score=min_score,
        pricer=TablePricer(arcs, len(ids.mentors)),
    )


_TABLE_SCORE = Evidence("table_score")
"""The evidence of a pair scored by a scores table."""


@dataclass(frozen=True)
class _Explained:
    """The explanation part of a result (the summary is added last)."""

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    alternatives: dict[str, tuple[Alternative, ...]]
    gaps: tuple[RecruitmentGap, ...]


def _explain(
    programme: Programme | None,
    n_alternatives: int,
    stage: _Stage,
    solution: AssignmentSolution,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    ids: _Ids,
    language: str,
) -> _Explained:
    """Pairs with contributions and evidence, unmatched reasons, alternatives, gaps."""
    order = np.lexsort((-solution.score, solution.mentee_idx))
    mentee_idx, mentor_idx = solution.mentee_idx[order], solution.mentor_idx[order]
    if stage.scorer is not None:
        contributions = stage.scorer.pair_contributions(mentee_idx, mentor_idx)
        evidence = stage.scorer.evidence_data(mentee_idx, mentor_idx)
    else:
        contributions = np.zeros((mentee_idx.size, 0))
        evidence = [(_TABLE_SCORE,)] * int(mentee_idx.size)
    pairs = explain.pairs(
        ids.mentees,
        ids.mentors,
        mentee_idx,
        mentor_idx,
        solution.score[order],
        contributions,
        stage.criteria,
        evidence,
        language,
    )
    demand = mentees["demand"].to_numpy(np.int64)
    unmatched = explain.unmatched(
        ids.mentees,
        demand,
        mentee_idx,
        stage.eligibility,
        len(ids.mentors),
        stage.min_score,
        language,
    )
    unmatched_idx = ids.mentee_index.get_indexer(pd.Index([u.mentee_id for u in unmatched]))
    arcs = (stage.arc_mentee, stage.arc_mentor, stage.arc_score)
    alternatives = explain.alternatives(
        ids.mentors,
        *arcs,
        mentee_idx,
        mentor_idx,
        mentors["capacity"].to_numpy(np.int64),
        n_alternatives,
        ids.mentees,
        stage.criteria,
        stage.scorer.pair_contributions if stage.scorer is not None else None,
    )
    gaps = explain.recruitment_gaps(programme, mentees, unmatched_idx.astype(np.int64))
    return _Explained(pairs, unmatched, alternatives, gaps)


# --------------------------------------------------------------------------- helpers


class _Ids:
    """Ids <-> indices for both sides (sorted by id)."""

    def __init__(self, mentees: list[str], mentors: list[str]) -> None:
        self.mentees = mentees
        self.mentors = mentors
        self.mentee_index = pd.Index(mentees)
        self.mentor_index = pd.Index(mentors)

    def pairs(self, pairs: PairList, what: str) -> list[tuple[int, int]]:
        """Index pairs; an unknown id is named by its position, never quoted."""
        listed = [(str(a).strip(), str(b).strip()) for a, b in pairs]
        if not listed:
            return []
        mentee = self.mentee_index.get_indexer(pd.Index([a for a, _ in listed]))
        mentor = self.mentor_index.get_indexer(pd.Index([b for _, b in listed]))
        for side, found in (("mentee_id", mentee), ("mentor_id", mentor)):
            if (found < 0).any():
                position = int(np.argmax(found < 0)) + 1
                raise InputError(f"{what} pair {position}: unknown {side}", column=side)
        return list(dict.fromkeys(zip(mentee.tolist(), mentor.tolist(), strict=True)))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Participants in id order, so results do not depend on row order."""
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def _check_locked(locked: list[tuple[int, int]], excluded: list[tuple[int, int]]) -> None:
    """A pair cannot be both locked and forbidden (or a forbidden repeat)."""
    clash = set(locked) & set(excluded)
    if clash:
        raise RuleError(f"{len(clash)} locked pair(s) are also forbidden or previous pairs")


def _mark(stage: _Stage, pairs: list[tuple[int, int]], n_mentors: int) -> NDArray[np.bool_]:
    """Boolean mask over the stage's arcs of the given index pairs."""
    key = stage.arc_mentee * n_mentors + stage.arc_mentor
    wanted = np.array([i * n_mentors + j for i, j in pairs], dtype=np.int64)
    return np.isin(key, wanted)


def _quotas(programme: Programme, mentees: pd.DataFrame) -> tuple[QuotaConstraint, ...]:
    """Group quotas as index sets: at least ceil(share x group size) matched."""
    quotas = []
    for quota in programme.quotas:
        if quota.field not in mentees.columns:
            raise InputError("quota field is missing from the mentees", column=quota.field)
        values = mentees[quota.field].astype(str).str.strip().str.lower()
        members = np.flatnonzero(values.to_numpy() == quota.value.strip().lower())
        needed = math.ceil(quota.min_share * members.size - 1e-9)
        name = f"{quota.field}={quota.value}"
        quotas.append(QuotaConstraint(name, members.astype(np.int64), needed))
    return tuple(quotas)


def _scores_sha256(programme: Programme, scores: pd.DataFrame) -> str:
    """Hash identifying a scores-based run: the solver options plus the score table."""
    digest = hashlib.sha256(programme.solver.model_dump_json().encode())
    hashed = pd.util.hash_pandas_object(scores[["mentee_id", "mentor_id", "score"]], index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


class _Clock:
    """Times the steps and reports progress as a share of the whole match."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self._progress = progress
        self._done = 0.0
        self.timings: dict[str, float] = {}

    def report(self, step: str, done: float) -> None:
        # Never backwards: a step may be entered twice (encoding continues after checks).
        self._done = min(1.0, max(self._done, done))
        if self._progress is not None:
            self._progress(step, self._done)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        begin, _ = _STEPS[name]
        self.report(name, begin)
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.timings[name] = round(self.timings.get(name, 0.0) + elapsed, 4)
        self.report(name, _STEPS[name][1])

    def within(self, name: str) -> Callable[[float], None]:
        """A callback mapping a step's own progress (0..1) onto the whole match."""
        begin, end = _STEPS[name]
        return lambda share: self.report(name, begin + (end - begin) * share)
