"""``match()``: participant tables to a :class:`MatchResult` (docs/architecture.md).

participants -> features + scoring -> candidates -> solver (+ certificate) -> explanations.
Participants are sorted by id first, so the result does not depend on row order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching import explain
from matching._blockwise import Blockwise, DaskTarget, blockwise
from matching._outcomes import group_outcomes, quota_outcomes
from matching._outlook import QuotaOutlook, outlooks, quota_members, quota_outlook
from matching._pairs import ScoredPairs, keys_of
from matching._preferences import RankTable, rank_table, scores_from_ranks
from matching._stable_stage import (
    Pool,
    StableInput,
    StableRun,
    solve_stable_stage,
)
from matching._table_scores import TablePricer, candidate_mask, table_arcs
from matching._version import VERSION
from matching.candidates import CandidateGraph, CandidateScan
from matching.defaults import default_programme
from matching.errors import InputError, InputErrors, QuotaError, RuleError
from matching.features import check_participants
from matching.inputs import InputWarning, prepare_participants, review_columns, strict_check
from matching.messages import STABLE_PAIR, Evidence, Language, Message, plural_message
from matching.model import (
    Mentee,
    Mentor,
    Objective,
    Programme,
    StableOptions,
)
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
    Proposing,
    QuotaConstraint,
    SolverConfig,
    connected_components,
    contention_prices,
    solve,
    subsample,
)

__all__ = ["ProgressCallback", "QuotaOutlook", "match", "quota_outlook"]

ProgressCallback = Callable[[str, float], None]
"""Called with a step name (``encode``, ``score``, ``solve``, ``explain``, ``done``) and
the share of the whole match done so far, in [0, 1]."""

IntArray = NDArray[np.int64]
PairList = Iterable[tuple[str, str]]

# Share of the progress bar each step owns (measured on synthetic cohorts, roughly).
_STEPS = {"encode": (0.0, 0.05), "score": (0.05, 0.43), "prices": (0.43, 0.45)}
_STEPS |= {"solve": (0.45, 0.85)}
_STEPS |= {"explain": (0.85, 1.0)}


def match(
    mentees: Sequence[Mentee] | pd.DataFrame,
    mentors: Sequence[Mentor] | pd.DataFrame,
    programme: Programme | None = None,
    *,
    scores: pd.DataFrame | None = None,
    objective: Objective | None = None,
    proposing: Proposing | None = None,
    locked: PairList = (),
    forbidden: PairList = (),
    previous: PairList = (),
    incumbent: PairList = (),
    mentee_ranks: pd.DataFrame | None = None,
    mentor_ranks: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
    language: Language | None = None,
    strict: bool = False,
    dask: DaskTarget = None,
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
        Overrides ``programme.objective``: ``coverage``, ``total``, ``fair`` or
        ``stable`` (deferred acceptance: no mentee and mentor who both prefer each other
        to what they got; ``solver.method = "stable"`` asks for it too).
    proposing
        Overrides ``programme.stable.proposing`` for the ``stable`` objective:
        ``mentees`` (the mentee-optimal stable matching) or ``mentors`` (the
        mentor-optimal one) — so that a score table or rank files need no programme.
    locked
        (mentee_id, mentor_id) pairs that must be in the result.
    forbidden
        Pairs that must not be in the result.
    previous
        Earlier pairs, not proposed again unless ``programme.allow_repeat_pairs``.
    incumbent
        Pairs of an earlier suggestion; among optimal results the one keeping most of them
        is returned, so a rematch changes as few pairs as the objective allows.
    mentee_ranks, mentor_ranks
        Ranked preferences ``mentee_id, mentor_id, rank`` (1 = first choice) of each side,
        for the ``stable`` objective (implied when ``objective`` is not given). A side's
        ranks replace its ranking by score and its unranked pairs are not acceptable;
        ties are broken by id. Without scores and without a programme, the ranked pairs
        are the allowed ones (see :mod:`matching._preferences`).
    progress
        Called as the work advances (see :data:`ProgressCallback`).
    language
        Language of every ``why`` and unmatched ``detail``: ``en``, ``fr`` or ``ar``
        (default ``programme.language``). The evidence is kept as data in each pair, so
        :meth:`MatchResult.in_language` renders it again in another language.
    strict
        Refuse the run (:class:`matching.inputs.StrictInputError`, listing them) when
        the input draws any warning (:attr:`MatchResult.warnings`).
    dask
        Where the scoring of every pair and the certificate's scans run: a Dask
        scheduler's address (``tcp://host:8786``) or a ``distributed.Client`` puts them
        on that cluster's workers (the ``[dask]`` extra); ``False`` keeps them in this
        process; None (default) reads the ``MARRAINE_DASK_SCHEDULER`` environment
        variable, and without it stays here. The result is the same either way.

    Returns
    -------
    MatchResult
        Pairs with per-criterion contributions and evidence, unmatched mentees with
        reasons, alternatives, recruitment gaps, and a summary with the optimality gap.

    Raises
    ------
    InputError
        A participant table or the scores are invalid (names the row and column), a
        rule that is not optional reads an absent column, or ``strict`` and warnings.
    RuleError
        Locked pairs contradict the rules, the forbidden pairs or the capacities.
    ClusterError
        The Dask scheduler given cannot be reached, or the cluster failed.
    """
    with blockwise(dask) as work:
        return _match(
            mentees,
            mentors,
            programme,
            scores=scores,
            objective=objective,
            proposing=proposing,
            locked=locked,
            forbidden=forbidden,
            previous=previous,
            incumbent=incumbent,
            mentee_ranks=mentee_ranks,
            mentor_ranks=mentor_ranks,
            progress=progress,
            language=language,
            strict=strict,
            work=work,
        )


def _with_proposing(programme: Programme, proposing: Proposing | None) -> Programme:
    """``programme`` with ``proposing`` in place of its ``[stable] proposing`` (as it is
    when None)."""
    if proposing is None:
        return programme
    options = programme.stable.model_copy(update={"proposing": proposing})
    return programme.model_copy(update={"stable": options})


def _match(
    mentees: Sequence[Mentee] | pd.DataFrame,
    mentors: Sequence[Mentor] | pd.DataFrame,
    programme: Programme | None,
    *,
    scores: pd.DataFrame | None,
    objective: Objective | None,
    proposing: Proposing | None,
    locked: PairList,
    forbidden: PairList,
    previous: PairList,
    incumbent: PairList,
    mentee_ranks: pd.DataFrame | None,
    mentor_ranks: pd.DataFrame | None,
    progress: ProgressCallback | None,
    language: Language | None,
    strict: bool,
    work: Blockwise,
) -> MatchResult:
    """:func:`match` (same parameters), its blockwise work done by ``work``."""
    clock = _Clock(progress)
    started = time.perf_counter()
    explicit_programme = programme is not None
    programme = programme if programme is not None else default_programme()
    configured = programme  # its hash is recorded, even when an optional rule is off
    programme = _with_proposing(programme, proposing)
    ranked = mentee_ranks is not None or mentor_ranks is not None
    objective = _objective(objective, programme, ranked)
    stable = objective == "stable"
    given_score = _TABLE_SCORE
    if ranked and scores is None and not explicit_programme:
        scores = scores_from_ranks(mentee_ranks, mentor_ranks)
        side = "mentee" if mentee_ranks is not None else "mentor"
        given_score = Evidence("rank_score", values={"side": side})

    with clock.step("encode"):
        mentee_frame, mentor_frame, programme, warnings = _participants(
            mentees, mentors, programme, reviewed=scores is None, strict=strict
        )
        ids = _Ids(mentee_frame["id"].tolist(), mentor_frame["id"].tolist())
        locked_idx = ids.pairs(locked, "locked")
        forbidden_idx = ids.pairs(forbidden, "forbidden")
        previous_idx = [] if programme.allow_repeat_pairs else ids.pairs(previous, "previous")
        incumbent_idx = ids.pairs(incumbent, "incumbent")
        _check_locked(locked_idx, forbidden_idx + previous_idx)

    if scores is None:
        stage = _score_with_programme(
            programme,
            mentee_frame,
            mentor_frame,
            locked_idx,
            (forbidden_idx, previous_idx),
            clock,
            stable=stable,
            work=work,
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
                None if stable else programme.solver.top_k,
            )

    with clock.step("solve"):
        problem = AssignmentProblem(
            n_mentees=len(ids.mentees),
            n_mentors=len(ids.mentors),
            arcs=stage.arcs,
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
        if stable:
            ranks = (
                _ranks(mentee_ranks, ids, "mentee_ranks"),
                _ranks(mentor_ranks, ids, "mentor_ranks"),
            )
            stable_run = solve_stable_stage(
                StableInput(problem, config, programme, stage.scorer, ranks, stage.pool),
                _excluded_keys(locked_idx + forbidden_idx + previous_idx, len(ids.mentors)),
                (mentee_frame, mentor_frame),
            )
            solution, stage = stable_run.solution, _with_arcs(stage, stable_run)
        else:
            frames = (mentee_frame, mentor_frame)
            solution = _solve(problem, config, programme, stage, frames, language)
        components = len(connected_components(problem))
        outcomes = quota_outcomes(programme.quotas, problem, solution)

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
            stable=stable,
            given_score=given_score,
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
        config_sha256=_with_ranks(
            configured.sha256() if scores is None else _scores_sha256(configured, scores),
            (mentee_ranks, mentor_ranks),
        ),
        version=VERSION,
        min_score=float(solution.score.min()) if solution.matched else None,
        mean_score=float(solution.score.mean()) if solution.matched else None,
        status=solution.status,
        method=solution.method,
        rounds=solution.rounds,
        candidate_arcs=stage.arcs.size,
        components=components,
        timings=clock.timings,
        quota_penalty=solution.penalty,
        **_stability(solution, programme if stable else None),
    )
    clock.report("done", 1.0)
    done = MatchResult(
        result.pairs,
        result.unmatched,
        result.alternatives,
        result.gaps,
        summary,
        warnings=warnings,
        quotas=outcomes,
    )
    return dataclasses.replace(done, groups=group_outcomes(done, programme, mentee_frame))


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class _Stage:
    """What scoring hands to the solver and the explanations."""

    criteria: tuple[str, ...]
    arcs: ScoredPairs
    """The candidate pairs the solver starts from."""
    eligibility: explain.Eligibility
    min_score: float
    scorer: PairScorer | None = None
    pricer: ArcPricer | None = None
    pool: Pool | None = None
    """Each mentee's best mentors by block score (stable runs read first parts from it)."""


def _score_with_programme(
    programme: Programme,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    locked: list[tuple[int, int]],
    excluded: tuple[list[tuple[int, int]], list[tuple[int, int]]],
    clock: _Clock,
    *,
    stable: bool = False,
    work: Blockwise,
) -> _Stage:
    """Encode, score blockwise and keep the candidate arcs (docs/architecture.md); ``excluded``:
    the forbidden pairs and the previous ones not to repeat, reported apart. For a
    stable matching the scan only records eligibility: the lists are built as the
    proposals need them (:mod:`matching._stable_lists`), the locked pairs are the arcs."""
    forbidden, previous = excluded
    with clock.step("encode"):
        problems = check_participants(mentees, programme, "mentee")
        problems += check_participants(mentors, programme, "mentor")
        if problems:
            raise InputErrors(problems)
        scorer = PairScorer(programme).fit(mentees, mentors, table_rows=work.table_rows)
    with clock.step("score"):
        scan = work.scan(
            scorer,
            top_k=programme.solver.top_k,
            locked=locked,
            forbidden=forbidden,
            previous=previous,
            block_size=programme.solver.block_size,
            per_mentor=0 if stable else None,  # the lists are the mentees' own
            progress=clock.within("score"),
        )
    if stable:
        graph = _locked_only(scan, locked)
    else:
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
    pricer = work.pricer(scorer, graph, forbidden=forbidden + previous)
    return _Stage(
        criteria=tuple(scorer.criterion_names_),
        arcs=graph.arcs,
        eligibility=eligibility,
        min_score=programme.min_score,
        scorer=scorer,
        pricer=None if stable else pricer,
        pool=_pool(graph) if stable else None,
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
    top_k: int | None,
) -> _Stage:
    """Arcs from a long ``mentee_id, mentor_id, score`` table: absent pairs are not allowed,
    nor forbidden and previous ones (``excluded``, reported apart).

    A large table is pruned to candidates and priced in by the certificate, like criteria;
    ``top_k`` None keeps every pair (the stable matching walks whole lists).
    """
    arcs = table_arcs(scores, ids.mentee_index, ids.mentor_index, locked, excluded, min_score)
    candidates = None if top_k is None else candidate_mask(arcs, top_k, locked, len(ids.mentors))
    if candidates is None:
        return _Stage((), arcs, arcs.eligibility, min_score)
    return _Stage(
        criteria=(),
        arcs=arcs.take(candidates),
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
    *,
    stable: bool = False,
    given_score: Evidence = _TABLE_SCORE,
) -> _Explained:
    """Pairs with contributions and evidence, unmatched reasons, alternatives, gaps
    (``given_score``: the ``why`` of a pair whose score came without criteria)."""
    chosen = solution.pairs.take(np.lexsort((-solution.score, solution.mentee_idx)))
    mentee_idx, mentor_idx = chosen.mentee, chosen.mentor
    if stage.scorer is not None:
        contributions = stage.scorer.pair_contributions(mentee_idx, mentor_idx)
        evidence = stage.scorer.evidence_data(mentee_idx, mentor_idx)
    else:
        contributions = np.zeros((mentee_idx.size, 0))
        evidence = [(given_score,)] * int(mentee_idx.size)
    if stable:
        evidence = [(STABLE_PAIR, *row) for row in evidence]
    pairs = explain.pairs(
        ids.mentees,
        ids.mentors,
        mentee_idx,
        mentor_idx,
        chosen.score,
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
        stable=stable,
    )
    unmatched_idx = ids.mentee_index.get_indexer(pd.Index([u.mentee_id for u in unmatched]))
    alternatives = explain.alternatives(
        stage.arcs,
        chosen,
        mentors["capacity"].to_numpy(np.int64),
        (ids.mentees, ids.mentors),
        n_alternatives,
        None if stage.scorer is None else (stage.criteria, stage.scorer.pair_contributions),
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
                # "locked pair 3: ...": the API locates the error by this prefix.
                reason = Message(
                    "{table} pair {position}: unknown {column}",
                    table=what,
                    position=position,
                    column=side,
                )
                raise InputError(reason, column=side)
        return list(dict.fromkeys(zip(mentee.tolist(), mentor.tolist(), strict=True)))


def _participants(
    mentees: Sequence[Mentee] | pd.DataFrame,
    mentors: Sequence[Mentor] | pd.DataFrame,
    programme: Programme,
    *,
    reviewed: bool,
    strict: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, Programme, tuple[InputWarning, ...]]:
    """Both sides in the engine's names and id order, the programme as run (optional
    rules without their column left out) and the warnings. Precomputed scores read no
    column but the ids: then nothing is ``reviewed``."""
    mentee_frame = _sorted(prepare_participants(mentees, programme, "mentee"))
    mentor_frame = _sorted(prepare_participants(mentors, programme, "mentor"))
    for side, frame in (("mentee", mentee_frame), ("mentor", mentor_frame)):
        if frame.empty:
            raise InputError(
                Message("no mentees: the mentee table has no rows")
                if side == "mentee"
                else Message("no mentors: the mentor table has no rows")
            )
    warnings: tuple[InputWarning, ...] = ()
    if reviewed:
        review = review_columns(mentee_frame, mentor_frame, programme)
        programme, warnings = review.programme, review.warnings
    strict_check(warnings, strict)
    return mentee_frame, mentor_frame, programme, warnings


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Participants in id order, so results do not depend on row order."""
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def _check_locked(locked: list[tuple[int, int]], excluded: list[tuple[int, int]]) -> None:
    """A pair cannot be both locked and forbidden (or a forbidden repeat)."""
    clash = set(locked) & set(excluded)
    if clash:
        raise RuleError(
            plural_message(
                "{count} locked pair is also forbidden or a previous pair",
                "{count} locked pairs are also forbidden or previous pairs",
                len(clash),
            )
        )


def _mark(stage: _Stage, pairs: list[tuple[int, int]], n_mentors: int) -> NDArray[np.bool_]:
    """Boolean mask over the stage's arcs of the given index pairs."""
    return stage.arcs.among(keys_of(pairs, n_mentors), n_mentors)


def _quotas(programme: Programme, mentees: pd.DataFrame) -> tuple[QuotaConstraint, ...]:
    """Group quotas as index sets: at least their count, or ceil(share x group size),
    matched; hard or soft as the programme says."""
    quotas = []
    for quota in programme.quotas:
        members = quota_members(quota, mentees)
        needed = quota.required(int(members.size))
        penalty = 0.0 if quota.hard else quota.penalty
        constraint = QuotaConstraint(
            quota.name, members.astype(np.int64), needed, quota.hard, penalty
        )
        quotas.append(constraint)
    return tuple(quotas)


def _solve(
    problem: AssignmentProblem,
    config: SolverConfig,
    programme: Programme,
    stage: _Stage,
    frames: tuple[pd.DataFrame, pd.DataFrame],
    language: str | None,
) -> AssignmentSolution:
    """The solver's answer (certified when the programme asks), or unmeetable hard quotas
    explained in plain words (in ``language``). Without the certificate the solver's
    proof covers the candidates only: its own words stay."""
    try:
        return solve(problem, config, stage.pricer if config.certify else None)
    except QuotaError as error:
        if not config.certify or stage.scorer is None:
            raise
        said = language or programme.language
        raise _unmeetable(programme, stage.scorer, *frames, said) from error


def _unmeetable(
    programme: Programme,
    scorer: PairScorer,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    language: str,
) -> QuotaError:
    """The solver's proof that hard quotas cannot be met, in plain words: per quota how
    many it asks, how many can be matched at most and what limits it
    (:mod:`matching._outlook`); quotas each meetable alone are said to clash with the
    rest. (Scores from a table have no rules to name: the caller keeps the solver's
    words.)"""
    found = [o for o in outlooks(programme, scorer, mentees, mentors, language) if o.hard]
    short = tuple(o.evidence for o in found if not o.meetable)
    if short:
        return QuotaError(Message("{limits}", limits=short))  # one line per quota
    names = ", ".join(o.name for o in found)
    together = Evidence("quotas_together", values={"names": names, "count": len(found)})
    return QuotaError(Message("{limits}", limits=(together,)))


def _scores_sha256(programme: Programme, scores: pd.DataFrame) -> str:
    """Hash identifying a scores-based run: the solver options plus the score table."""
    digest = hashlib.sha256(programme.solver.model_dump_json().encode())
    if programme.stable != StableOptions():  # unchanged hashes for runs that set none
        digest.update(programme.stable.model_dump_json().encode())
    hashed = pd.util.hash_pandas_object(scores[["mentee_id", "mentor_id", "score"]], index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def _with_ranks(sha256: str, ranks: tuple[pd.DataFrame | None, pd.DataFrame | None]) -> str:
    """The configuration hash, extended by the rank tables when there are any (and the
    stable options, which a score table's hash leaves out)."""
    if all(table is None for table in ranks):
        return sha256
    digest = hashlib.sha256(sha256.encode())
    for table in ranks:
        digest.update(b"|")
        if table is not None:
            hashed = pd.util.hash_pandas_object(
                table[["mentee_id", "mentor_id", "rank"]].astype(str), index=False
            )
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


# --------------------------------------------------------------------------- stable


def _objective(requested: Objective | None, programme: Programme, ranked: bool) -> Objective:
    """The objective to run: ``stable`` when asked for (objective or solver method) or
    implied by ranked preferences; ranks with another objective are refused."""
    objective = requested or programme.objective
    if programme.solver.method == "stable" or (ranked and requested is None):
        objective = "stable"
    if ranked and objective != "stable":
        raise RuleError(Message("ranked preferences need the 'stable' objective"))
    if objective == "stable" and programme.quotas:
        raise RuleError(Message("the 'stable' objective cannot honour quotas"))
    return objective


def _ranks(frame: pd.DataFrame | None, ids: _Ids, what: str) -> RankTable | None:
    return None if frame is None else rank_table(frame, ids.mentee_index, ids.mentor_index, what)


def _excluded_keys(pairs: list[tuple[int, int]], n_mentors: int) -> IntArray:
    """Sorted unique keys of pairs left out of every preference list."""
    return np.unique(keys_of(pairs, n_mentors))


def _locked_only(scan: CandidateScan, locked: list[tuple[int, int]]) -> CandidateGraph:
    """The scan's records with the locked pairs (exact scores) as the only arcs."""
    pairs = np.array(locked, dtype=np.int64).reshape(-1, 2)
    score, _ = scan.scorer.exact_pairs(pairs[:, 0], pairs[:, 1])
    return dataclasses.replace(scan.records, arcs=ScoredPairs(pairs[:, 0], pairs[:, 1], score))


def _pool(graph: CandidateGraph) -> Pool | None:
    """The graph's pools when it has them (mentor, block score, bound left out)."""
    if graph.pool_mentor is None or graph.pool_score is None or graph.pool_bound is None:
        return None
    return graph.pool_mentor, graph.pool_score, graph.pool_bound


def _with_arcs(stage: _Stage, run: StableRun) -> _Stage:
    """The stage with the pairs the stable lists built as arcs (alternatives come from
    them) and the acceptable counts of the ranked lists when there are ranks."""
    eligibility = stage.eligibility
    if run.acceptable is not None:
        eligibility = dataclasses.replace(eligibility, allowed=run.acceptable)
    return dataclasses.replace(
        stage,
        arcs=run.arcs,
        eligibility=eligibility,
        pricer=None,
    )


def _stability(solution: AssignmentSolution, programme: Programme | None) -> dict[str, Any]:
    """The summary's stability fields (a stable run only)."""
    if programme is None:
        return {}
    stats = solution.stats
    checked = "blocking_pairs" in stats
    return {
        "proposing": programme.stable.proposing,
        "blocking_pairs": int(stats["blocking_pairs"]) if checked else None,
        "pairs_checked": int(stats["pairs_checked"]) if checked else None,
    }
