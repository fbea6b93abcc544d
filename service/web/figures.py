"""The review page's charts from a run's figures (:class:`~service.web._queries.RunStats`):
score distribution, mentor load, match rate and mean score by group and by region — for
one run, or for a run and the run it rematched side by side."""

from __future__ import annotations

from service.web._queries import GROUP_COLUMN, MISSING, REGION_COLUMN, GroupStat, RunStats
from service.web.charts import Chart, Series, bar_chart, histogram
from service.web.rendering import Page

__all__ = ["compare_charts", "run_charts"]

SCORE_EDGES = [i / 10 for i in range(11)]
LOAD_EDGES = [0.0, 0.0001, 0.25, 0.5, 0.75, 0.9999, 1.0]


def _group_label(page: Page, column: str, group: str) -> str:
    if column == GROUP_COLUMN or group == MISSING:
        key = f"group.{group}"
        text = page.t(key)
        return group if text == key else text
    return group.replace("_", " ")


def _score_chart(page: Page, stats: RunStats, suffix: str) -> Chart:
    return histogram(
        stats.scores,
        SCORE_EDGES,
        chart_id=f"scores{suffix}",
        title=page.t("chart.scores"),
        x_label=page.t("chart.scores.x"),
        y_label=page.t("chart.scores.y"),
        bin_label=lambda lo, hi: page.num(lo, 1),
    )


def _load_label(page: Page, lo: float, hi: float) -> str:
    if hi <= 0.0001:
        return "0"
    if lo >= 0.9999:
        return page.pct(1.0)
    return f"{page.pct(lo)}–{page.pct(hi)}"


def _load_chart(page: Page, stats: RunStats) -> Chart:
    shares = [load / capacity if capacity else 1.0 for load, capacity in stats.loads]
    return histogram(
        [min(1.0, s) for s in shares],
        LOAD_EDGES,
        chart_id="load",
        title=page.t("chart.load"),
        x_label=page.t("chart.load.x"),
        y_label=page.t("chart.load.y"),
        bin_label=lambda lo, hi: _load_label(page, lo, hi),
    )


def _by_group(
    page: Page,
    column: str,
    runs: list[tuple[str, list[GroupStat]]],
    metric: str,
    chart_id: str,
) -> Chart:
    groups = sorted({g.group for _, stats in runs for g in stats})
    series = []
    for index, (label, stats) in enumerate(runs):
        found = {g.group: g for g in stats}
        values: list[float | None] = [
            (found[g].match_rate if metric == "rate" else found[g].mean_score)
            if g in found
            else None
            for g in groups
        ]
        series.append(Series(label=label, values=values, css=f"series-{index}"))
    what = "group" if column == GROUP_COLUMN else "region"
    title = page.t(f"chart.{what}_{'rate' if metric == 'rate' else 'score'}")
    return bar_chart(
        [_group_label(page, column, g) for g in groups],
        series,
        chart_id=chart_id,
        title=title,
        category_label=page.t("chart.group"),
        fmt=page.pct if metric == "rate" else page.num,
    )


def run_charts(page: Page, stats: RunStats) -> list[Chart]:
    """Charts of one run."""
    charts = [_score_chart(page, stats, ""), _load_chart(page, stats)]
    for column in (GROUP_COLUMN, REGION_COLUMN):
        series = [(page.t("chart.match_rate"), stats.by_column.get(column, []))]
        for metric in ("rate", "score"):
            charts.append(_by_group(page, column, series, metric, f"{column}-{metric}"))
    return charts


def compare_charts(page: Page, before: RunStats, after: RunStats) -> list[Chart]:
    """Before and after a rematch, side by side."""
    charts = []
    labels = (page.t("diff.before"), page.t("diff.after"))
    for column in (GROUP_COLUMN, REGION_COLUMN):
        runs = [
            (labels[0], before.by_column.get(column, [])),
            (labels[1], after.by_column.get(column, [])),
        ]
        for metric in ("rate", "score"):
            charts.append(_by_group(page, column, runs, metric, f"cmp-{column}-{metric}"))
    score_before = _score_chart(page, before, "-before")
    score_after = _score_chart(page, after, "-after")
    charts.insert(
        0,
        Chart(
            f"{score_before.title} — {labels[0]}",
            score_before.svg,
            score_before.headers,
            score_before.rows,
        ),
    )
    charts.insert(
        1,
        Chart(
            f"{score_after.title} — {labels[1]}",
            score_after.svg,
            score_after.headers,
            score_after.rows,
        ),
    )
    return charts
