"""Read-only queries behind the review page, one module per concept:

- :mod:`.columns`: which columns hold names, groups, region, needs and languages (from
  the programme's configuration);
- :mod:`.fields`: participants' fields (names, regions, groups, tags, capacities) by id;
- :mod:`.pairs`: a run's pairs as light tuples, shared by the review table and the charts;
- :mod:`.table`: the review table (filters, sort, pages, rows with alternatives),
  decision counts and the rows of the exports;
- :mod:`.gaps`: unmatched mentees (a page at a time) with what would help, and recruitment
  gaps;
- :mod:`.stats`: the figures behind the charts;
- :mod:`.rematch`: what a rematch changed (the diff page);
- :mod:`.dashboard`: the dashboard's programmes, counts, runs and pairs in effect.

Nothing here writes: decisions, runs and publishing go through :mod:`service.ops`.
Runs can hold 30,000 pairs, so bulk reads are column tuples (never ORM entities), whole
sides of a programme are read in one query with only the fields needed extracted in SQL
(never thousands of bound ids), and rows are filtered and sorted in Python, which keeps
the filters identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from service.web._queries.columns import Columns, programme_columns, run_columns
from service.web._queries.dashboard import (
    active_pairs,
    participant_counts,
    programme_runs,
    programmes,
)
from service.web._queries.fields import people
from service.web._queries.gaps import (
    GapMatrix,
    GroupGap,
    UnmatchedPage,
    UnmatchedView,
    gap_matrix,
    group_gaps,
    unmatched,
)
from service.web._queries.pairs import RunPairs, run_pairs
from service.web._queries.rematch import Change, Diff, diff
from service.web._queries.stats import MISSING, GroupStat, RunStats, run_stats
from service.web._queries.table import (
    DECISIONS,
    PAGE_SIZE,
    AltView,
    ExportRow,
    Filters,
    GroupChoice,
    PairView,
    Review,
    ReviewRow,
    decision_counts,
    decisions_made,
    export_rows,
    filtered_lines,
    review,
    review_row,
    run_criteria,
)

__all__ = [
    "DECISIONS",
    "MISSING",
    "PAGE_SIZE",
    "AltView",
    "Change",
    "Columns",
    "Diff",
    "ExportRow",
    "Filters",
    "GapMatrix",
    "GroupChoice",
    "GroupGap",
    "GroupStat",
    "PairView",
    "Review",
    "ReviewRow",
    "RunPairs",
    "RunStats",
    "UnmatchedPage",
    "UnmatchedView",
    "active_pairs",
    "decision_counts",
    "decisions_made",
    "diff",
    "export_rows",
    "filtered_lines",
    "gap_matrix",
    "group_gaps",
    "participant_counts",
    "people",
    "programme_columns",
    "programme_runs",
    "programmes",
    "review",
    "review_row",
    "run_columns",
    "run_criteria",
    "run_pairs",
    "run_stats",
    "unmatched",
]
