"""``match()`` end to end on pruned candidates against a MILP over *every* allowed pair.

The engine's own scorer and pricer (float32 blocks, pools, a per-mentee cap) serve every
flow of the solver — pricing rounds, ``fair``'s levels, the quota groups of the flow,
CP-SAT's missing pairs — and a result that says
``optimal`` must be the optimum over all allowed pairs, not only over the candidates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import matching
from matching.model import Objective, Programme, participants_frame
from matching.scoring import PairScorer
from matching.solver import AssignmentProblem, QuotaConstraint, ScoredPairs, _contention
from matching.synthetic import generate_cohort
from tests.solver.oracles import milp_optimum


@pytest.fixture(params=["by score", "by contention price"])
def candidates(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each mentee's top_k chosen by score, or by score less the subsample's mentor
    prices (which large cohorts use; forced here on small ones)."""
    if request.param == "by contention price":
        monkeypatch.setattr(_contention, "MIN_MENTEES", 1)
    return str(request.param)


def _cohort(
    seed: int, n: int, m: int, *, quota: bool = True, penalty: float | None = None
) -> tuple[Programme, pd.DataFrame, pd.DataFrame]:
    """A synthetic cohort with candidates pruned to each mentee's best two. With
    ``quota``: one mentor each and 95% of the cooperative members to be matched; without:
    demands as drawn and a minimum load of one on every fourth mentor."""
    cohort = generate_cohort(n, m, seed=seed)
    mentees = participants_frame(cohort.mentees, "mentee").sort_values("id")
    mentors = participants_frame(cohort.mentors, "mentor").sort_values("id")
    config = matching.default_programme().model_dump()
    config["solver"] |= {"top_k": 2}
    if quota:
        mentees["demand"] = 1
        config["quotas"] = [{"field": "status", "value": "cooperative", "min_share": 0.95}]
        if penalty is not None:  # soft: each member short costs ``penalty``
            config["quotas"][0] |= {"hard": False, "penalty": penalty}
    else:
        mentors["min_load"] = np.where(np.arange(m) % 4 == 0, 1, 0)
    frames = mentees.reset_index(drop=True), mentors.reset_index(drop=True)
    return Programme.from_dict(config), *frames


def _every_allowed_pair(
    programme: Programme, mentees: pd.DataFrame, mentors: pd.DataFrame
) -> AssignmentProblem:
    """The problem over every allowed pair with its exact score (no pruning)."""
    scorer = PairScorer(programme).fit(mentees, mentors)
    block = scorer.score_block(np.arange(len(mentees)))
    mentee, mentor = np.nonzero(block.allowed)
    score, ok = scorer.exact_pairs(mentee, mentor)
    members = np.flatnonzero((mentees["status"] == "cooperative").to_numpy())
    quotas = tuple(
        QuotaConstraint(
            q.field,
            members,
            int(np.ceil(q.min_share * members.size)),
            q.hard,
            0.0 if q.hard else q.penalty,
        )
        for q in programme.quotas
    )
    return AssignmentProblem(
        n_mentees=len(mentees),
        n_mentors=len(mentors),
        arcs=ScoredPairs.of(
            mentee[ok].astype(np.int64),
            mentor[ok].astype(np.int64),
            np.asarray(score[ok], np.float64),
        ),
        demand=mentees["demand"].to_numpy(np.int64),
        capacity=mentors["capacity"].to_numpy(np.int64),
        min_load=mentors["min_load"].to_numpy(np.int64),
        arc_locked=np.zeros(int(ok.sum()), dtype=bool),
        quotas=quotas,
    )


@pytest.mark.parametrize("objective", ["total", "coverage", "fair"])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_objective_on_pruned_candidates_is_the_optimum_over_every_pair(
    objective: Objective, seed: int, candidates: str
) -> None:
    # fair's lowest-score level makes the MILP slow: a smaller cohort (still pruned).
    size = (100, 8) if objective == "fair" else (200, 16)
    programme, mentees, mentors = _cohort(seed, *size, quota=False)
    result = matching.match(mentees, mentors, programme, objective=objective)
    summary = result.summary
    full = _every_allowed_pair(programme, mentees, mentors)
    best = milp_optimum(full, objective)
    assert summary.status == "optimal"
    assert summary.gap == 0.0
    load = pd.Series([p.mentor_id for p in result.pairs]).value_counts()
    minimum = mentors.set_index("id")["min_load"]
    met = np.minimum(load.reindex(minimum.index, fill_value=0), minimum).sum()
    assert met == best.min_load
    if best.matched is not None:
        assert summary.pairs == best.matched
    if best.lowest is not None:
        assert summary.min_score == pytest.approx(best.lowest, abs=1e-6)
    assert summary.total_score == pytest.approx(best.total, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 3, 4, 5])
def test_a_binding_quota_on_pruned_candidates_gets_the_optimum_over_every_pair(
    seed: int, candidates: str
) -> None:
    programme, mentees, mentors = _cohort(seed, 240, 12)
    result = matching.match(mentees, mentors, programme, objective="coverage")
    summary = result.summary
    full = _every_allowed_pair(programme, mentees, mentors)
    best = milp_optimum(full, "coverage")
    free = milp_optimum(dataclasses.replace(full, quotas=()), "coverage")
    assert free.total > best.total + 1e-6  # the quota binds: it costs score
    assert summary.status == "optimal"
    assert summary.matched == best.matched
    assert summary.total_score == pytest.approx(best.total, abs=1e-6)
    members = set(mentees.loc[mentees["status"] == "cooperative", "id"])
    matched = {p.mentee_id for p in result.pairs} & members
    assert len(matched) >= 0.95 * len(members)


@pytest.mark.parametrize("seed", [0, 2, 3])
@pytest.mark.parametrize("penalty", [0.05, 0.4])
def test_a_soft_quota_on_pruned_candidates_gets_the_penalised_optimum_over_every_pair(
    seed: int, penalty: float, candidates: str
) -> None:
    programme, mentees, mentors = _cohort(seed, 240, 12, penalty=penalty)
    result = matching.match(mentees, mentors, programme, objective="coverage")
    summary = result.summary
    full = _every_allowed_pair(programme, mentees, mentors)
    best = milp_optimum(full, "coverage")  # the score less the penalties, over every pair
    assert summary.status == "optimal"
    assert summary.gap == 0.0
    assert summary.matched == best.matched
    assert summary.total_score - summary.quota_penalty == pytest.approx(best.total, abs=1e-6)
    (quota,) = result.quotas
    assert quota.penalty == pytest.approx(penalty * quota.short)
    assert summary.quota_penalty == pytest.approx(quota.penalty)


def test_a_quota_no_solution_meets_is_refused_by_name() -> None:
    programme, mentees, mentors = _cohort(2, 240, 12)  # the MILP finds no solution either
    with pytest.raises(matching.RuleError, match="cooperative") as caught:
        matching.match(mentees, mentors, programme, objective="coverage")
    # In plain words: what it asks, the most that can be matched, and why.
    assert "asks for 55 of its 57 members to be matched; at most 51 can be" in str(caught.value)
    assert "6 have no allowed mentor (6 of them because of 'language')" in str(caught.value)


@pytest.mark.parametrize("objective", ["total", "coverage"])
def test_locked_forbidden_and_previous_pairs_keep_the_optimum_over_every_pair(
    objective: Objective, candidates: str
) -> None:
    programme, mentees, mentors = _cohort(7, 200, 16, quota=False)
    full = _every_allowed_pair(programme, mentees, mentors)
    # By mentee, her arcs from best to worst.
    order = np.lexsort((-full.arc_score, full.arc_mentee))
    first = np.searchsorted(full.arc_mentee[order], np.arange(full.n_mentees))
    last = np.searchsorted(full.arc_mentee[order], np.arange(full.n_mentees), side="right") - 1
    best_arc, worst_arc = order[first[:8]], order[last[:8]]
    forbidden, previous, locked = best_arc[:3], best_arc[3:6], worst_arc[6:8]
    assert full.arc_mentor[locked[0]] != full.arc_mentor[locked[1]]  # one seat each is enough

    def ids(arcs: np.ndarray) -> list[tuple[str, str]]:
        return [
            (mentees["id"][full.arc_mentee[a]], mentors["id"][full.arc_mentor[a]]) for a in arcs
        ]

    result = matching.match(
        mentees,
        mentors,
        programme,
        objective=objective,
        locked=ids(locked),
        forbidden=ids(forbidden),
        previous=ids(previous),
    )
    keep = ~np.isin(np.arange(full.n_arcs), np.concatenate([forbidden, previous]))
    is_locked = np.isin(np.arange(full.n_arcs), locked)
    allowed = dataclasses.replace(
        full,
        arcs=ScoredPairs.of(full.arc_mentee[keep], full.arc_mentor[keep], full.arc_score[keep]),
        arc_locked=is_locked[keep],
    )
    best = milp_optimum(allowed, objective)
    summary = result.summary
    assert summary.status == "optimal"
    got = {(p.mentee_id, p.mentor_id) for p in result.pairs}
    assert set(ids(locked)) <= got
    assert not got & set(ids(forbidden) + ids(previous))
    if best.matched is not None:
        assert summary.pairs == best.matched
    assert summary.total_score == pytest.approx(best.total, abs=1e-6)
