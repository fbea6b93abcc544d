"""Draw the README's research plot: docs/img/weight_tradeoffs.png.

Run from the repository root with ``.venv/bin/python docs/make_research_plots.py``; it
matches a seeded synthetic cohort under a grid of weights and objectives (about a
minute) with the same calls as ``notebooks/01_tune_weights.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt

from matching.synthetic import generate_cohort
from matching.tuning import MatchingEstimator, pareto_front, sweep

OUT = Path(__file__).resolve().parent / "img" / "weight_tradeoffs.png"


def main() -> None:
    """Sweep the weight of needs and the objective; plot total vs lowest score."""
    cohort = generate_cohort(300, seed=0)
    estimator = MatchingEstimator(cohort.programme)
    grid = {
        "weight__needs": [0.1, 0.25, 0.4, 0.6, 0.8],
        "weight__language": [0.0, 0.2],
        "objective": ["coverage", "fair"],
    }
    table = sweep(estimator, cohort.mentees, cohort.mentors, grid)
    front = pareto_front(
        table, maximise=("reference_total_score", "reference_min_score", "coverage")
    )

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for objective, marker in (("coverage", "o"), ("fair", "^")):
        rows = table[table["objective"] == objective]
        points = left.scatter(
            rows["reference_total_score"],
            rows["reference_min_score"],
            c=rows["weight_needs"],
            cmap="viridis",
            marker=marker,
            s=60,
            label=f"objective = {objective}",
        )
    left.scatter(
        front["reference_total_score"],
        front["reference_min_score"],
        s=220,
        facecolors="none",
        edgecolors="crimson",
        linewidths=1.5,
        label="Pareto front",
    )
    fig.colorbar(points, ax=left, label="weight of needs")
    left.set_xlabel("total score under the default weights")
    left.set_ylabel("lowest pair score under the default weights")
    left.legend(loc="upper left", fontsize=8)
    rows = table[(table["objective"] == "coverage") & (table["param_weight__language"] == 0.2)]
    right.plot(rows["weight_needs"], rows["similarity_needs"], marker="o", label="needs covered")
    right.plot(
        rows["weight_needs"], rows["similarity_language"], marker="s", label="language shared"
    )
    right.plot(
        rows["weight_needs"], rows["similarity_availability"], marker="^", label="hours in common"
    )
    right.set_xlabel("weight of needs (weights sum to 1)")
    right.set_ylabel("mean similarity of the pairs")
    right.legend(fontsize=8)
    fig.suptitle("300 mentees, 30 mentors: what the weight of needs trades away")
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(OUT)


if __name__ == "__main__":
    main()
