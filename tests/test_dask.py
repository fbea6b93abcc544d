"""``match(..., dask=...)`` on a real Dask cluster against one process: identical results.

A ``distributed.LocalCluster`` of two worker processes (one thread each) computes the
criteria's distinct-values tables and runs the candidate scan and the certificate's
pricing scans; the pairs, their scores, the totals,
bounds, gaps and every explanation must be those of the run in this process. The
cut-offs below which the work stays here are lowered so that small cohorts use the
cluster for every step it can take, and the task stream proves the workers ran it.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from distributed import Client, LocalCluster, get_task_stream
from typer.testing import CliRunner

import matching
from matching import ClusterError, ConfigError, _dask
from matching._dask import ClusterBlockwise
from matching.candidates import CandidatePricer, build_candidates
from matching.cli import app
from matching.model import Programme, participants_frame
from matching.scoring import PairScorer
from matching.solver import _contention
from matching.synthetic import generate_cohort


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two worker processes of one thread each, for the whole module."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster, set_as_default=False) as connected,
    ):
        yield connected


@pytest.fixture(autouse=True)
def everything_on_the_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small cohorts in several scan parts, every table and pricing round on the
    workers, and the contention prices that large cohorts use to choose candidates."""
    monkeypatch.setattr(_dask, "LOCAL_TABLE_ENTRIES", 0)
    monkeypatch.setattr(_dask, "TABLE_TASK_ENTRIES", 2**12)
    monkeypatch.setattr(_dask, "PART_ENTRIES", 2**14)
    monkeypatch.setattr(_dask, "LOCAL_PRICING_ENTRIES", 0)
    monkeypatch.setattr(_dask, "PRICING_TASK_ENTRIES", 2**15)
    monkeypatch.setattr(_contention, "MIN_MENTEES", 1)


def _programme(**solver: Any) -> Programme:
    config = matching.default_programme().model_dump()
    config["solver"] |= solver
    return Programme.from_dict(config)


def _same(local: matching.MatchResult, cluster: matching.MatchResult) -> None:
    """Same pairs, scores, explanations, unmatched reasons, totals and certificate."""
    assert cluster.pairs == local.pairs
    assert cluster.unmatched == local.unmatched
    assert cluster.alternatives == local.alternatives
    assert cluster.gaps == local.gaps
    skip = {"seconds", "timings"}
    theirs = {k: v for k, v in cluster.summary.to_dict().items() if k not in skip}
    ours = {k: v for k, v in local.summary.to_dict().items() if k not in skip}
    assert theirs == ours


def _tasks(stream: Any) -> set[str]:
    """The kinds of task the workers ran (``scan_part``, ``_violators``...)."""
    return {
        str(task["key"][0] if isinstance(task["key"], tuple) else task["key"]).split("-")[0]
        for task in stream.data
    }


@pytest.mark.parametrize(
    ("n", "m", "seed", "objective", "solver"),
    [
        (1200, 90, 3, "total", {"top_k": 2}),
        (1000, 70, 4, "coverage", {"top_k": 3}),
        (900, 60, 5, "fair", {"top_k": 2}),
        (800, 300, 6, "total", {"top_k": 4, "block_size": 64}),
    ],
)
def test_the_cluster_gives_the_local_result(
    client: Client, n: int, m: int, seed: int, objective: str, solver: dict[str, Any]
) -> None:
    cohort = generate_cohort(n, m, seed=seed)
    programme = _programme(**solver)
    local = matching.match(cohort.mentees, cohort.mentors, programme, objective=objective)
    with get_task_stream(client) as stream:
        on_cluster = matching.match(
            cohort.mentees, cohort.mentors, programme, objective=objective, dask=client
        )
    _same(local, on_cluster)
    assert local.summary.gap == on_cluster.summary.gap
    assert {"_table_rows", "scan_part"} <= _tasks(stream)


def _frames(cohort: Any) -> tuple[Any, Any]:
    mentees = participants_frame(cohort.mentees, "mentee").sort_values("id")
    mentors = participants_frame(cohort.mentors, "mentor").sort_values("id")
    return mentees.reset_index(drop=True), mentors.reset_index(drop=True)


def test_tables_computed_on_the_workers_score_every_pair_as_here(client: Client) -> None:
    """A scorer whose distinct-values tables came from the workers, in many tasks,
    scores every block, column subset and exact pair to the last bit as one fitted
    here."""
    cohort = generate_cohort(700, 90, seed=13)
    mentees, mentors = _frames(cohort)
    here = PairScorer(cohort.programme).fit(mentees, mentors)
    cluster = ClusterBlockwise(client, "local")
    with get_task_stream(client) as stream:
        there = PairScorer(cohort.programme).fit(mentees, mentors, table_rows=cluster.table_rows)
    assert len([t for t in stream.data if "_table_rows" in str(t["key"])]) > 1
    rows = np.arange(0, 700, 3, dtype=np.int64)
    columns = np.arange(0, 90, 4, dtype=np.int64)
    for ours, theirs in (
        (here.score_block(rows), there.score_block(rows)),
        (here.score_block(rows, columns), there.score_block(rows, columns)),
    ):
        np.testing.assert_array_equal(theirs.score, ours.score)
        np.testing.assert_array_equal(theirs.allowed, ours.allowed)
    mentee, mentor = np.repeat(rows, 90), np.tile(np.arange(90), rows.size)
    np.testing.assert_array_equal(
        there.pair_contributions(mentee, mentor), here.pair_contributions(mentee, mentor)
    )


@pytest.mark.parametrize("seed", [11, 12])
def test_pricing_scans_on_the_workers_find_the_local_violators(client: Client, seed: int) -> None:
    """The certificate's pricer, local and on the cluster, under prices that leave many
    pairs violating (rows past their pools scanned densely, or on the cheap mentors):
    the same pairs and exact scores, found by tasks on the workers."""
    cohort = generate_cohort(900, 80, seed=seed)
    scorer = PairScorer(cohort.programme).fit(*_frames(cohort))
    forbidden = [(i, (i * 7) % 80) for i in range(0, 900, 4)]
    graph = build_candidates(scorer, top_k=2, pool=8, forbidden=forbidden)
    local = CandidatePricer(scorer, graph, forbidden=forbidden)
    on_cluster = ClusterBlockwise(client, "local").pricer(scorer, graph, forbidden=forbidden)
    rng = np.random.default_rng(seed)
    known = graph.arcs.keys(80)
    for scale in (0.0, 0.05, 0.2):
        u = rng.uniform(0.0, scale, 900)
        v = rng.uniform(0.0, scale, 80)
        with get_task_stream(client) as stream:
            found = on_cluster.price(u, v, 1e-9, known)
        expected = local.price(u, v, 1e-9, known)
        for theirs, ours in zip(found, expected, strict=True):
            np.testing.assert_array_equal(theirs, ours)
        assert expected[0].size > 0
        assert "_violators" in _tasks(stream)
    assert local.rescanned_ + local.narrowed_ > 0


def test_another_programme_gives_the_local_result(client: Client) -> None:
    """A programme of its own: three criteria, other weights, one rule, the goals text
    weighted most, a minimum score."""
    config = matching.default_programme().model_dump()
    kept = {"goals": 0.5, "language": 0.2, "sector": 0.3}
    config["criteria"] = [
        {**criterion, "weight": kept[criterion["name"]]}
        for criterion in config["criteria"]
        if criterion["name"] in kept
    ]
    config["rules"] = config["rules"][:1]
    config["min_score"] = 0.05
    config["solver"] |= {"top_k": 2}
    programme = Programme.from_dict(config)
    cohort = generate_cohort(1000, 80, seed=21)
    local = matching.match(cohort.mentees, cohort.mentors, programme, objective="total")
    on_cluster = matching.match(
        cohort.mentees, cohort.mentors, programme, objective="total", dask=client
    )
    _same(local, on_cluster)
    assert on_cluster.summary.criteria == ("language", "sector", "goals")


def test_rules_and_decisions_are_kept_on_the_cluster(client: Client) -> None:
    """Locked, forbidden and previous pairs and a minimum score: the same result."""
    cohort = generate_cohort(700, 70, seed=8)
    mentees = sorted(cohort.mentees["id"])
    mentors = sorted(cohort.mentors["id"])
    programme = _programme(top_k=2).model_copy(update={"min_score": 0.2})
    allowed = matching.match(cohort.mentees, cohort.mentors, programme).pairs
    decisions = {
        "locked": [
            (allowed[0].mentee_id, allowed[0].mentor_id),
            (allowed[3].mentee_id, allowed[3].mentor_id),
        ],
        "forbidden": [(mentees[i], mentors[i % 70]) for i in range(1, 200, 3)],
        "previous": [(mentees[i], mentors[(i * 7) % 70]) for i in range(2, 300, 5)],
    }
    local = matching.match(cohort.mentees, cohort.mentors, programme, **decisions)
    on_cluster = matching.match(cohort.mentees, cohort.mentors, programme, dask=client, **decisions)
    _same(local, on_cluster)
    pairs = {(p.mentee_id, p.mentor_id) for p in on_cluster.pairs}
    assert set(decisions["locked"]) <= pairs
    assert not pairs & set(decisions["forbidden"] + decisions["previous"])


def test_a_stable_matching_scans_on_the_cluster(client: Client) -> None:
    cohort = generate_cohort(600, 60, seed=9)
    local = matching.match(cohort.mentees, cohort.mentors, objective="stable")
    with get_task_stream(client) as stream:
        on_cluster = matching.match(cohort.mentees, cohort.mentors, objective="stable", dask=client)
    _same(local, on_cluster)
    assert "scan_part" in _tasks(stream)


def test_the_scheduler_address_in_the_environment_is_used(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort = generate_cohort(300, 30, seed=2)
    local = matching.match(cohort.mentees, cohort.mentors)
    monkeypatch.setenv("MARRAINE_DASK_SCHEDULER", client.scheduler.address)
    with get_task_stream(client) as stream:
        on_cluster = matching.match(cohort.mentees, cohort.mentors)
    _same(local, on_cluster)
    assert "scan_part" in _tasks(stream)


def _closed_port() -> str:
    """An address where nothing listens (a port just released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


def test_an_unreachable_scheduler_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dask, "CONNECT_SECONDS", 1)
    address = _closed_port()
    cohort = generate_cohort(50, 5, seed=1)
    with pytest.raises(ClusterError, match=f"cannot reach the Dask scheduler at {address}"):
        matching.match(cohort.mentees, cohort.mentors, dask=address)


def test_the_command_names_an_unreachable_scheduler(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``marraine match --dask`` and the environment variable: a message, no traceback,
    nothing written."""
    monkeypatch.setattr(_dask, "CONNECT_SECONDS", 1)
    address = _closed_port()
    cohort = generate_cohort(40, 5, seed=1)
    cohort.mentees.to_csv(tmp_path / "mentees.csv", index=False)
    cohort.mentors.to_csv(tmp_path / "mentors.csv", index=False)
    files = ["--mentees", str(tmp_path / "mentees.csv"), "--mentors", str(tmp_path / "mentors.csv")]
    out = tmp_path / "out"
    for args, env in (
        (["--dask", address], {}),
        ([], {"MARRAINE_DASK_SCHEDULER": address}),
    ):
        result = CliRunner().invoke(app, ["match", *files, "--out", str(out), *args], env=env)
        assert result.exit_code == 1
        assert f"cannot reach the Dask scheduler at {address}" in result.output
        assert "Traceback" not in result.output
        assert not out.exists()


def test_without_dask_installed_the_engine_runs_and_the_cluster_path_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine alone (no ``distributed``): a local match runs; asking for a cluster
    names the missing extra."""
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    monkeypatch.delitem(sys.modules, "matching._dask")
    monkeypatch.delattr(matching, "_dask")
    cohort = generate_cohort(60, 6, seed=1)
    result = matching.match(cohort.mentees, cohort.mentors, dask=False)
    assert result.summary.pairs > 0
    with pytest.raises(ConfigError, match=r"\[dask\] extra"):
        matching.match(cohort.mentees, cohort.mentors, dask="tcp://127.0.0.1:8786")


def test_a_cluster_without_workers_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheduler with no worker: a clear error after the wait, not a match that hangs."""
    monkeypatch.setattr(_dask, "CONNECT_SECONDS", 1)
    cohort = generate_cohort(50, 5, seed=1)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        address = empty.scheduler_address
        with pytest.raises(ClusterError, match=f"the Dask cluster at {address} has no worker"):
            matching.match(cohort.mentees, cohort.mentors, dask=address)
