"""The review page's charts from a run's figures (:class:`~service.web._queries.RunStats`):
score distribution, mentor load, match rate and mean score by each of the programme's
group columns and by its region — for one run, or for a run and the run it rematched
side by side."""

from __future__ import annotations

from service.web._queries import GroupStat, RunStats
from service.web.charts import Chart, Series, bar_chart, histogram
from service.web.rendering import Page

__all__ = ["compare_charts", "run_charts"]

SCORE_EDGES = [i / 10 for i in range(11)]
LOAD_EDGES = [0.0, 0.0001, 0.25, 0.5, 0.75, 0.9999, 1.0]


def _group_label(page: Page, group: str) -> str:
    """A group's value as the page shows it: translated when the page knows the value,
    else as written (underscores as spaces)."""
    key = f"group.{group}"
    text = page.t(key)
    return text if text != key else group.replace("_", " ")


def column_title(column: str) -> str:
    """A programme's column as a title (``pays_d_origine`` -> ``pays d origine``)."""
    return column.replace("_", " ")


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
    title = page.t(f"chart.{metric}_by", column=column_title(column))
    return bar_chart(
        [_group_label(page, g) for g in groups],
        series,
        chart_id=chart_id,
        title=title,
        category_label=column_title(column),
        fmt=page.pct if metric == "rate" else page.num,
    )


def _charted(stats: RunStats) -> list[tuple[str, str]]:
    """(column, chart id stem) of every column charted: the groups, then the region (ids
    from positions, as a programme's column names need not be valid HTML ids)."""
    columns = stats.columns
    if columns is None:
        return []
    found = [(column, f"group{index}") for index, column in enumerate(columns.groups)]
    if columns.region:
        found.append((columns.region, "region"))
    return found


def run_charts(page: Page, stats: RunStats) -> list[Chart]:
    """Charts of one run."""
    charts = [_score_chart(page, stats, ""), _load_chart(page, stats)]
    for column, stem in _charted(stats):
        series = [(page.t("chart.match_rate"), stats.by_column.get(column, []))]
        for metric in ("rate", "score"):
            charts.append(_by_group(page, column, series, metric, f"{stem}-{metric}"))
    return charts


def compare_charts(page: Page, before: RunStats, after: RunStats) -> list[Chart]:
    """Before and after a rematch, side by side."""
    charts = []
    labels = (page.t("diff.before"), page.t("diff.after"))
    for column, stem in _charted(after):
        runs = [
            (labels[0], before.by_column.get(column, [])),
            (labels[1], after.by_column.get(column, [])),
        ]
        for metric in ("rate", "score"):
            charts.append(_by_group(page, column, runs, metric, f"cmp-{stem}-{metric}"))
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
