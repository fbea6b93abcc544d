"""The benchmark harnesses run end to end on tiny programmes and write valid JSON.

No timing assertions (speed lives in ``benchmarks/``): this only checks that every method
runs in its subprocess, that the results file has the documented shape, and that the exact
methods agree on the objective. The hospital–residents baseline needs its own venv (made by
``benchmarks/setup.sh`` from the registry), so it is left out here, and so is
``make bench-solve``'s LEMON reference (same venv).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import (
    dask_scale,
    objectives,
    paired,
    publish,
    review_browser,
    run,
    score_tables,
    service,
    solve_scaling,
    stable,
    startup,
)


@pytest.mark.xdist_group("benchmarks")
def test_harness_runs_50_by_5_and_writes_json(tmp_path: Path) -> None:
    run.main(
        [
            "--sizes",
            "50x5",
            "--methods",
            "ours,mcf_full,scipy_lsa,networkx,greedy",
            "--no-cli",
            "--no-plot",
            "--repeat",
            "2",
            "--name",
            "smoke",
            "--out-dir",
            str(tmp_path / "results"),
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    data = json.loads((tmp_path / "results" / "smoke.json").read_text())
    assert data["config"]["sizes"] == ["50x5"]
    (row,) = data["rows"]
    assert row["n"] == 50
    assert row["m"] == 5
    methods = row["methods"]
    assert set(methods) == {"ours", "mcf_full", "scipy_lsa", "networkx", "greedy"}
    for name, record in methods.items():
        assert record["status"] == "ok", (name, record.get("note"))
        assert record["valid"], name
        assert record["peak_rss_bytes"] > 0
        # Short runs are repeated (fresh processes) and the median run is reported.
        assert len(record["runs_seconds"]) == 2
        assert record["seconds"] in record["runs_seconds"]
    exact = [methods[m] for m in ("ours", "mcf_full", "scipy_lsa", "networkx")]
    best = row["best"]
    for record in exact:
        assert record["matched"] == best["matched"]
        assert record["total_score"] == pytest.approx(best["total_score"], rel=1e-6)
    assert methods["greedy"]["total_score"] <= best["total_score"] + 1e-6
    assert methods["ours"]["certified_gap"] <= 1e-6
    assert "ours" in data["exponents"]
    assert (tmp_path / "results" / "smoke.md").exists()


@pytest.mark.xdist_group("benchmarks")
def test_solve_scaling_runs_and_records_the_round_one_flow(tmp_path: Path) -> None:
    results = solve_scaling.main(
        [
            "--sizes",
            "200x20,400x40",
            "--top-k",
            "10,20",
            "--repeat",
            "1",
            "--flow-reference",
            "ortools",  # LEMON needs the baseline venv (from the registry)
            "--name",
            "smoke",
            "--out-dir",
            str(tmp_path),
        ]
    )
    assert json.loads((tmp_path / "smoke.json").read_text())["rows"] == results["rows"]
    assert (tmp_path / "smoke.md").exists()
    assert [(c["size"], c["top_k"]) for c in results["rows"]] == [
        ("200x20", 10), ("200x20", 20), ("400x40", 10), ("400x40", 20)
    ]  # fmt: skip
    for cell in results["rows"]:
        assert cell["status"] == ["optimal"]
        assert cell["gap"] == 0.0
    for size in results["sizes"]:
        # Pruning harder changes the rounds, never the certified optimum.
        assert size["total_score_consistent"]
        reference = size["flow_reference"]
        assert reference["lemon"] == {"status": "skipped"}
        assert reference["candidate_arcs"] > 0
        assert reference["network_arcs"] > reference["candidate_arcs"]
        assert len(reference["ortools_runs_seconds"]) == 1
    # Linear work for scale: whole copies of the smallest network, about as many arcs.
    smallest, larger = (size["flow_reference"] for size in results["sizes"])
    assert smallest["linear_reference"]["copies"] == 1
    assert smallest["linear_reference"]["candidate_arcs"] == smallest["candidate_arcs"]
    copies = larger["linear_reference"]["copies"]
    assert copies == round(larger["candidate_arcs"] / smallest["candidate_arcs"]) >= 2
    assert larger["linear_reference"]["candidate_arcs"] == copies * smallest["candidate_arcs"]
    fits = results["fits"]["one_flow_across_sizes"]
    assert fits["ortools_seconds"]["sizes"] == 2
    assert fits["linear_reference"]["sizes"] == 2
    assert fits["lemon_seconds"]["sizes"] == 0
    assert results["flags"] == []


@pytest.mark.xdist_group("benchmarks")
def test_objectives_benchmark_runs_every_objective_and_a_quota(tmp_path: Path) -> None:
    results = objectives.main(
        [
            "--sizes",
            "200x20",
            "--quota-sizes",
            "300x12",
            "--name",
            "smoke",
            "--out-dir",
            str(tmp_path),
        ]
    )
    assert json.loads((tmp_path / "smoke.json").read_text())["rows"] == results["rows"]
    assert (tmp_path / "smoke.md").exists()
    rows = results["rows"]
    quota_objectives = ["coverage"] * 3 + ["fair", "coverage", "coverage"]
    assert [r["objective"] for r in rows] == ["coverage", "total", "fair", *quota_objectives]
    assert [bool(r["quota"]) for r in rows] == [False] * 3 + [True] * 6
    assert "each country" in rows[5]["quota"]
    assert rows[6]["quota"] == rows[5]["quota"]  # the same quotas under fair
    assert "cooperative" in rows[7]["quota"]
    assert "each country" in rows[7]["quota"]
    assert "soft" in rows[8]["quota"]
    for row in rows[:3]:
        assert row["status"] == "optimal"
        assert row["gap"] == 0.0
    # coverage matches the most mentees; total may leave some out for a higher score
    assert rows[0]["matched"] >= max(r["matched"] for r in rows[1:3])
    for row in rows[3:]:
        assert isinstance(row["met_without_quota"], bool)
        assert row["status"] in {"optimal", "feasible", "quota cannot be met"}


@pytest.mark.xdist_group("benchmarks")
def test_objectives_benchmark_records_a_quota_too_big_for_its_cohort(tmp_path: Path) -> None:
    # 6 mentors cannot take 95% of the cooperative members: a row says so, the run goes on.
    arguments = ["--sizes", "100x10", "--quota-sizes", "120x6", "--out-dir", str(tmp_path)]
    rows = objectives.main(arguments)["rows"]
    assert [r["status"] for r in rows[3:5]] == ["quota cannot be met"] * 2
    assert "quota cannot be met" in (tmp_path / "objectives.md").read_text()
    assert "NaN" not in (tmp_path / "objectives.json").read_text()


def test_disjoint_copies_solve_to_the_same_optimum_per_copy() -> None:
    # The linear-work reference is only a reference if the copies are independent.
    network = {
        "tails": np.array([0, 0, 1, 2, 0, 1, 2, 3], dtype=np.int64),
        "heads": np.array([2, 3, 3, 4, 4, 4, 4, 4], dtype=np.int64),
        "caps": np.array([1, 1, 1, 1, 1, 1, 2, 1], dtype=np.int64),
        "costs": np.array([-5, -3, -4, 0, 0, 0, 0, 0], dtype=np.int64),
        "supplies": np.array([1, 1, 0, 0, -2], dtype=np.int64),
    }
    _, single = solve_scaling._timed_flows(network, network["costs"], 1)
    copies = solve_scaling._disjoint_copies(network, 3)
    assert copies["supplies"].size == 15
    _, tripled = solve_scaling._timed_flows(copies, copies["costs"], 1)
    assert single == -9
    assert tripled == 3 * single


@pytest.mark.xdist_group("benchmarks")
def test_stable_benchmark_runs_the_cli_and_writes_json(tmp_path: Path) -> None:
    stable.main(
        [
            "--sizes",
            "60x30",
            "--scale",
            "200x20",
            "--no-library",
            "--no-reference",
            "--name",
            "smoke-stable",
            "--out-dir",
            str(tmp_path),
        ]
    )
    data = json.loads((tmp_path / "smoke-stable.json").read_text())
    (row,) = data["library"]
    assert row["ours"]["status"] == "ok", row["ours"].get("note")
    assert row["ours"]["blocking_pairs"] == 0
    assert row["ours"]["pairs_checked"] == 60 * 30
    assert row["library"]["status"] == "skipped"
    assert data["scale"]["status"] == "ok"
    assert data["scale"]["blocking_pairs"] == 0
    assert (tmp_path / "smoke-stable.md").exists()


@pytest.mark.xdist_group("benchmarks")
def test_service_benchmark_runs_a_stored_run_and_writes_json(tmp_path: Path) -> None:
    results = service.main(
        [
            "--sizes",
            "200x20",
            "--quick",
            "--sqlite-only",
            "--name",
            "smoke",
            "--out-dir",
            str(tmp_path),
        ]
    )
    assert json.loads((tmp_path / "smoke.json").read_text())["runs"] == results["runs"]
    (row,) = results["runs"]
    assert (row["database"], row["mentees"], row["mentors"]) == ("sqlite", 200, 20)
    assert row["matched"] > 0
    assert row["run_seconds"] >= row["match_seconds"] > 0
    assert "ratio" in (tmp_path / "smoke.md").read_text()


@pytest.mark.browser  # a real server and Debian's chromium
@pytest.mark.xdist_group("benchmarks")
def test_review_page_benchmark_opens_every_view_in_chromium_and_writes_json(
    tmp_path: Path,
) -> None:
    args = ["--sizes", "200x20", "--name", "smoke", "--out-dir", str(tmp_path)]
    results = review_browser.main(args)
    assert json.loads((tmp_path / "smoke.json").read_text())["rows"] == results["rows"]
    (row,) = results["rows"]
    assert (row["mentees"], row["mentors"]) == (200, 20)
    assert set(row["views"]) == {
        "first view",
        "review",
        "page 20",
        "lowest first",
        "one region",
        "by a criterion",
        "unmet criterion",
        "unmatched, page 2",
    }
    for timing in row["views"].values():
        assert 0 < timing["server"] <= timing["interactive"] <= timing["loaded"]
    assert "interactive" in (tmp_path / "smoke.md").read_text()


@pytest.mark.xdist_group("benchmarks")
def test_startup_benchmark_times_every_command_and_writes_json(tmp_path: Path) -> None:
    results = startup.main(["--rounds", "1", "--name", "smoke", "--out-dir", str(tmp_path)])
    assert json.loads((tmp_path / "smoke.json").read_text())["rows"] == results["rows"]
    commands = [row["command"] for row in results["rows"]]
    assert commands == list(startup.COMMANDS)
    assert all(row["median_seconds"] > 0 for row in results["rows"])


@pytest.mark.xdist_group("benchmarks")
def test_score_tables_benchmark_runs_every_command_and_agrees_with_the_flow(
    tmp_path: Path,
) -> None:
    args = ["--scale", "0.01", "--rounds", "1", "--name", "smoke", "--out-dir", str(tmp_path)]
    results = score_tables.main([*args, "--cache-dir", str(tmp_path / "cache")])
    assert json.loads((tmp_path / "smoke.json").read_text())["rows"] == results["rows"]
    assert {(row["instance"], row["method"]) for row in results["rows"]} == {
        (instance.name, method) for instance in score_tables.INSTANCES
        for method in score_tables.METHODS
    }  # fmt: skip
    assert all(row["status"] == "ok" for row in results["rows"])
    # our --objective total reaches the full-graph flow's optimum on both instances
    assert [v["same_total"] for v in results["verdicts"]] == [True, True]
    assert "x faster than the flow" in (tmp_path / "smoke.md").read_text()


@pytest.mark.slow  # a cluster, a warm-up, and a process per ceiling size: a minute or two
@pytest.mark.xdist_group("benchmarks")
def test_dask_benchmark_runs_on_a_local_cluster_and_matches_the_local_result(
    tmp_path: Path,
) -> None:
    results = dask_scale.main(
        [
            "--quick",
            "--size",
            "4500x45",  # three chunks of 2,048 mentees: three scan tasks
            "--workers",
            "2",
            "--ceiling-sizes",
            "300x30,600x60",
            "--name",
            "smoke",
            "--out-dir",
            str(tmp_path),
        ]
    )
    assert json.loads((tmp_path / "smoke.json").read_text())["cluster"] == results["cluster"]
    assert (tmp_path / "smoke.md").exists()
    run = results["cluster"]
    assert run["identical"] == {"pairs": True, "total_score": True, "upper_bound": True,
                                "gap": True}  # fmt: skip
    assert run["status"] == "optimal"
    assert run["scan"]["tasks"] == 3
    assert len(run["worker_peak_rss_bytes"]) == 2
    assert results["projection"]["workers"] == 16
    assert [row["status"] for row in results["ceiling"]["rows"]] == ["ok", "ok"]
    assert "extrapolated_n" in results["ceiling"]


@pytest.mark.xdist_group("benchmarks")
def test_publish_benchmark_publishes_with_both_trees_and_queues_every_message(
    tmp_path: Path,
) -> None:
    args = ["--baseline", "HEAD", "--pairs", "50", "--rounds", "1", "--sqlite-only"]
    report = publish.main([*args, "--name", "smoke", "--out-dir", str(tmp_path)])
    assert json.loads((tmp_path / "smoke.json").read_text()) == report
    assert set(report["runs"]["sqlite"]) == {"baseline", "this tree"}
    for (done,) in report["runs"]["sqlite"].values():
        assert done["messages"] == 4 * 50, "every pair's four messages queued in the end"


def test_paired_benchmark_runs_both_trees_and_finds_the_same_result(tmp_path: Path) -> None:
    out = tmp_path / "paired.json"
    sizes = ["--size", "60x6", "--scores", "40x5"]
    report = paired.main(["--baseline", "HEAD", "--rounds", "2", *sizes, "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert set(report["cases"]) == {"programme", "scores"}
    for case, row in report["cases"].items():
        assert row["same_result"], case
        assert row["median_paired_ratio"] > 0
        for tree in ("current", "baseline"):
            assert len(report["runs"][case][tree]) == 2
    assert len(report["baseline"]["commit"]) == 40
