"""The review page's reads at scale, cheaply (SQLite and PostgreSQL): no statement binds
more parameters than a page's worth (a run of 30,000 mentees must not become an IN list
of 30,000 ids: SQLite refuses more than 32,766 variables), and the table's filters, sort
and pages, the charts and the unmatched list give what a straightforward reading of the
stored rows gives, including fields stored as numbers or flags."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from service import db as db_module
from service.models import Participant, Run, RunAlternative, RunPair, RunUnmatched
from service.spreadsheets import escape_cell
from service.web import _queries as queries
from service.web._queries import fields as fields_module
from service.web._queries import gaps as gaps_module
from service.web._queries import table as table_module
from tests.browser.cohort import setup_programme
from tests.service.conftest import Api
from tests.service.test_web_pages import sign_in

PAGE = 7
"""The page size during these tests, so that 60 pairs make several pages."""
ROW = re.compile(r'<tr id="pair-(\d+)"')
SHOWN = re.compile(r"(\d+) of (\d+) pairs shown")


@dataclass
class Setting:
    api: Api
    programme: str
    key: str
    run: str
    rematch: str
    odd: bool
    """Whether some fields are stored as numbers or flags."""

    def session(self) -> Session:
        return self.api.client.app.state.sessions()  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(params=["text-fields", "odd-fields"])
def setting(api: Api, request: pytest.FixtureRequest) -> Setting:
    """A finished run of 60 mentees with decisions of every kind and its rematch; then a
    few unmatched mentees with alternatives, an erased mentee, padded and escaped names,
    and (``odd-fields``) fields stored as numbers or flags, which SQL's JSON functions
    do not read back exactly (after the rematch, so the engine never reads them)."""
    odd_fields = request.param == "odd-fields"
    programme, key = setup_programme(api.client, api.admin_key, "Scale", seed=31, mentees=60)
    run_id = api.finished_run(programme)
    sessions = api.client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        pairs = list(
            session.scalars(
                select(RunPair).where(RunPair.run_id == run_id).order_by(RunPair.position)
            )
        )
        for index, pair in enumerate(pairs):
            pair.decision = ("suggested", "approved", "rejected", "suggested", "locked")[index % 5]
        session.commit()
    rematch = api.finished_run(programme, {"rematch_of": run_id})
    with sessions() as session:
        pairs = list(
            session.scalars(
                select(RunPair).where(RunPair.run_id == run_id).order_by(RunPair.position)
            )
        )
        mentees = {
            p.person_id: p
            for p in session.scalars(
                select(Participant).where(
                    Participant.programme_id == programme, Participant.side == "mentee"
                )
            )
        }
        odd = [mentees[m] for m in dict.fromkeys(p.mentee_id for p in pairs)]
        odd[2].data = {**odd[2].data, "name": '  Zoë "Q" \\ ', "region": None}
        odd[3].data = {k: v for k, v in odd[3].data.items() if k != "status"}
        session.delete(odd[4])  # erased: her pairs remain, her fields are gone
        if odd_fields:
            odd[0].data = {**odd[0].data, "region": 0.30000000000000004, "status": True}
            odd[1].data = {**odd[1].data, "region": 3, "status": False, "name": 1.5}
        mentor = session.scalars(
            select(Participant).where(
                Participant.programme_id == programme,
                Participant.side == "mentor",
                Participant.person_id == pairs[0].mentor_id,
            )
        ).one()
        mentor.data = {**mentor.data, "name": " Ana\t"}
        if odd_fields:
            mentor.data = {**mentor.data, "capacity": 2.5, "name": True}
        mentor_ids = sorted({p.mentor_id for p in pairs})
        for pair in pairs[5:9]:
            session.add(
                RunUnmatched(
                    run_id=run_id, mentee_id=pair.mentee_id, reason="capacity_exhausted", detail="-"
                )
            )
            for rank, mentor_id in enumerate(mentor_ids[:3]):
                session.add(
                    RunAlternative(
                        run_id=run_id,
                        mentee_id=pair.mentee_id,
                        rank=10 + rank,
                        mentor_id=mentor_id,
                        score=0.5,
                        spare_capacity=0,
                    )
                )
        session.add(
            RunUnmatched(run_id=run_id, mentee_id="nobody", reason="no_allowed_mentor", detail="")
        )
        session.commit()
    return Setting(api, programme, key, run_id, rematch, odd_fields)


@pytest.fixture(params=[500, 5], ids=["ids-looked-up", "whole-side-read"])
def small_pages(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Pages of 7 rows; ids looked up in IN lists up to the real limit, or up to 5 (so
    that the 60 mentees are read as a whole side)."""
    monkeypatch.setattr(table_module, "PAGE_SIZE", PAGE)
    monkeypatch.setattr(gaps_module, "UNMATCHED_PAGE_SIZE", 2)
    monkeypatch.setattr(fields_module, "BIND_LIMIT", request.param)
    monkeypatch.setattr(db_module, "BIND_LIMIT", request.param)  # batches()
    return int(request.param)


# --------------------------------------------------------------------------- reference


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


@dataclass
class Reference:
    """The run read the plain way: every row as an ORM entity, filtered in the test."""

    pairs: list[RunPair]
    mentees: dict[str, dict[str, Any]]
    mentors: dict[str, dict[str, Any]]
    unmatched: list[RunUnmatched]
    alternatives: list[RunAlternative]

    @classmethod
    def read(cls, session: Session, run_id: str) -> Reference:
        run = session.get(Run, run_id)
        assert run is not None

        def side(name: str) -> dict[str, dict[str, Any]]:
            return {
                p.person_id: dict(p.data)
                for p in session.scalars(
                    select(Participant).where(
                        Participant.programme_id == run.programme_id, Participant.side == name
                    )
                )
            }

        return cls(
            pairs=list(
                session.scalars(
                    select(RunPair).where(RunPair.run_id == run_id).order_by(RunPair.position)
                )
            ),
            mentees=side("mentee"),
            mentors=side("mentor"),
            unmatched=list(
                session.scalars(
                    select(RunUnmatched)
                    .where(RunUnmatched.run_id == run_id)
                    .order_by(RunUnmatched.mentee_id)
                )
            ),
            alternatives=list(
                session.scalars(
                    select(RunAlternative)
                    .where(RunAlternative.run_id == run_id)
                    .order_by(RunAlternative.mentee_id, RunAlternative.rank)
                )
            ),
        )

    def region(self, pair: RunPair) -> str:
        return _text(self.mentees.get(pair.mentee_id, {}), "region")

    def group(self, pair: RunPair) -> str:
        return _text(self.mentees.get(pair.mentee_id, {}), "status")

    def kept(self, f: queries.Filters) -> list[int]:
        """Pair ids that pass the filters, in the order of the sort."""
        found = [
            p
            for p in self.pairs
            if (not f.decision or p.decision == f.decision)
            and (not f.region or self.region(p) == f.region)
            and all(self.group(p) == value for _, value in f.groups)
            and (not f.unmet or p.contributions.get(f.unmet, 0.0) <= 0.0)
            and (f.min_score is None or p.score >= f.min_score - 1e-12)
            and (f.max_score is None or p.score <= f.max_score + 1e-12)
        ]
        if f.sort == "score_asc":
            found.sort(key=lambda p: (p.score, p.position))
        elif f.sort == "mentee":
            found.sort(key=lambda p: (p.mentee_id, p.position))
        elif f.sort.startswith("crit:"):
            found.sort(key=lambda p: (p.contributions.get(f.sort[5:], 0.0), p.position))
        else:
            found.sort(key=lambda p: (-p.score, p.position))
        return [p.id for p in found]

    def stats(self) -> tuple[list[float], list[tuple[int, int]], dict[str, list[Any]]]:
        kept = [p for p in self.pairs if p.decision != "rejected"]
        rejected = {p.mentee_id for p in self.pairs if p.decision == "rejected"}
        in_run = {p.mentee_id for p in kept} | {u.mentee_id for u in self.unmatched} | rejected
        scores: dict[str, list[float]] = defaultdict(list)
        for p in kept:
            scores[p.mentee_id].append(p.score)
        by_column: dict[str, list[Any]] = {}
        for column in ("status", "country", "region"):  # the default programme's groups
            members: dict[str, list[str]] = defaultdict(list)
            for mentee_id in sorted(in_run):
                if mentee_id in self.mentees:
                    group = _text(self.mentees[mentee_id], column) or "(missing)"
                    members[group].append(mentee_id)
            rows = []
            for group, ids in sorted(members.items()):
                got = [s for m in ids for s in scores.get(m, [])]
                mean = pytest.approx(sum(got) / len(got)) if got else None
                rows.append((group, len(ids), sum(1 for m in ids if scores.get(m)), mean))
            by_column[column] = rows
        load = Counter(p.mentor_id for p in kept)
        loads = []
        for mentor_id, data in sorted(self.mentors.items()):
            seats = data.get("capacity")
            loads.append((load[mentor_id], int(seats) if isinstance(seats, int | float) else 1))
        return sorted(p.score for p in kept), loads, by_column

    def unmatched_view(self) -> list[tuple[Any, ...]]:
        load = Counter(p.mentor_id for p in self.pairs if p.decision != "rejected")
        found = []
        for u in self.unmatched:
            data = self.mentees.get(u.mentee_id, {})
            alternatives = []
            for a in self.alternatives:
                if a.mentee_id == u.mentee_id:
                    mentor = self.mentors.get(a.mentor_id, {})
                    seats = mentor.get("capacity")
                    seats = int(seats) if isinstance(seats, int | float) else 1
                    alternatives.append(
                        (a.mentor_id, _text(mentor, "name"), max(0, seats - load[a.mentor_id]))
                    )
            found.append(
                (
                    u.mentee_id,
                    _text(data, "name"),
                    u.reason,
                    [t.split(":")[0].strip() for t in _text(data, "needs").split("|") if t.strip()],
                    alternatives,
                )
            )
        return found


def _stats(stats: queries.RunStats) -> tuple[list[float], list[tuple[int, int]], Any]:
    by_column = {
        column: [(g.group, g.mentees, g.matched, g.mean_score) for g in groups]
        for column, groups in stats.by_column.items()
    }
    return sorted(stats.scores), stats.loads, by_column


def _variants(reference: Reference, criteria: list[str], odd: bool) -> list[queries.Filters]:
    regions = sorted({reference.region(p) for p in reference.pairs} - {""})
    groups = sorted({reference.group(p) for p in reference.pairs} - {""})
    assert odd == ("0.30000000000000004" in regions) == ("True" in groups)
    found = [queries.Filters(page=page) for page in (1, 2, 9, 1_000_000)]
    for sort in ("score_asc", "mentee", *(f"crit:{c}" for c in criteria), "crit:nothing"):
        found += [queries.Filters(sort=sort), queries.Filters(sort=sort, page=3)]
    found += [queries.Filters(decision=d, page=2) for d in queries.DECISIONS]
    found += [queries.Filters(region=r, sort="mentee") for r in [*regions[:3], "nowhere"]]
    found += [
        queries.Filters(groups=(("status", g),), sort="score_asc") for g in [*groups, "nobody"]
    ]
    found += [queries.Filters(unmet=c, page=2) for c in criteria]
    found += [
        queries.Filters(min_score=0.5, max_score=0.8, decision="suggested"),
        queries.Filters(min_score=0.3, region=regions[0], unmet=criteria[0], sort="mentee"),
    ]
    return found


def _query(f: queries.Filters) -> str:
    params = f.as_params()
    if f.page != 1:
        params.append(("page", str(f.page)))
    return urlencode(params)


# --------------------------------------------------------------------------- tests


@pytest.fixture
def statements(setting: Setting) -> Iterator[list[tuple[int, str]]]:
    """(number of bound parameters, SQL) of every statement the app runs."""
    seen: list[tuple[int, str]] = []
    engine = setting.api.client.app.state.engine  # type: ignore[attr-defined]

    def count(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        # executemany passes a list of rows; a batched INSERT (insertmanyvalues) one mapping.
        rows = many and isinstance(parameters, list | tuple) and parameters
        first = parameters[0] if rows else parameters
        seen.append((len(first) if first else 0, statement))

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_pages_filters_and_sort_match_a_plain_reading(setting: Setting, small_pages: int) -> None:
    client = setting.api.client
    sign_in(client, setting.key)
    with setting.session() as session:
        reference = Reference.read(session, setting.run)
        run = session.get(Run, setting.run)
        assert run is not None
        criteria = queries.run_criteria(run)
    first = client.get(f"/runs/{setting.run}")
    options = re.search(r'<select id="f-region"(.*?)</select>', first.text, re.S)
    assert options is not None
    regions = [html.unescape(v) for v in re.findall(r'<option value="([^"]+)"', options.group(1))]
    assert regions == sorted({reference.region(p) for p in reference.pairs} - {""})
    for f in _variants(reference, criteria, setting.odd):
        kept = reference.kept(f)
        pages = max(1, -(-len(kept) // PAGE))
        page = min(f.page, pages)
        answer = client.get(f"/runs/{setting.run}?{_query(f)}")
        assert answer.status_code == 200, f
        shown = [int(i) for i in ROW.findall(answer.text)]
        assert shown == kept[(page - 1) * PAGE : page * PAGE], f
        assert SHOWN.search(answer.text).groups() == (  # type: ignore[union-attr]
            str(len(kept)),
            str(len(reference.pairs)),
        )
        if pages > 1:
            assert f"Page {page} of {pages}" in answer.text, f

    # The exports hold every pair the filters keep, in the table's order, with its names.
    by_pair = {p.id: p for p in reference.pairs}
    for f in _variants(reference, criteria, setting.odd)[::4]:
        export = client.get(f"/runs/{setting.run}/export.csv?{_query(f)}")
        assert export.status_code == 200
        got = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
        expected = []
        for pair_id in reference.kept(f):
            pair = by_pair[pair_id]
            mentee = reference.mentees.get(pair.mentee_id, {})
            mentor = reference.mentors.get(pair.mentor_id, {})
            expected.append(
                {
                    "mentee_id": pair.mentee_id,
                    "mentee_name": escape_cell(_text(mentee, "name")),
                    "mentor_id": pair.mentor_id,
                    "mentor_name": escape_cell(_text(mentor, "name")),
                    "decision": pair.decision,
                    "mentee_region": _text(mentee, "region"),
                    "mentee_status": _text(mentee, "status"),
                    "mentee_country": _text(mentee, "country"),
                }
            )
        assert [{k: row[k] for k in expected[0]} for row in got] == expected, f


def test_charts_rows_and_unmatched_match_a_plain_reading(
    setting: Setting, small_pages: int
) -> None:
    with setting.session() as session:
        reference = Reference.read(session, setting.run)
        run = session.get(Run, setting.run)
        assert run is not None
        assert _stats(queries.run_stats(session, run)) == reference.stats()
        shared = queries.run_pairs(session, run, with_contributions=True)
        assert _stats(queries.run_stats(session, run, shared)) == reference.stats()
        pages = [queries.unmatched(session, run, page) for page in (1, 2, 3)]
        assert [(p.total, p.page, p.pages) for p in pages] == [(5, 1, 3), (5, 2, 3), (5, 3, 3)]
        got = [
            (
                u.mentee_id,
                u.name,
                u.reason,
                u.needs,
                [(a.mentor_id, a.mentor_name, a.free) for a in u.alternatives],
            )
            for page in pages
            for u in page.rows
        ]
        assert got == reference.unmatched_view()
        # A page past the last shows the last, as the pairs' pager does.
        assert queries.unmatched(session, run, 99).rows == pages[-1].rows
        # Fields stored as numbers, flags or padded text read as Python's str() of them.
        rows = {r.pair_id: r for r in queries.export_rows(session, run, queries.Filters())}
        for pair in reference.pairs:
            row = rows[pair.id]
            data = reference.mentees.get(pair.mentee_id, {})
            assert (row.mentee_name, row.traits.region, row.traits.groups) == (
                _text(data, "name"),
                _text(data, "region"),
                (_text(data, "status"), _text(data, "country")) if data else (),
            )
            assert row.mentor_name == _text(reference.mentors.get(pair.mentor_id, {}), "name")
            one = queries.review_row(session, run, pair.id)
            assert one is not None
            assert (one.mentee_name, one.region, one.groups, one.mentor_name) == (
                row.mentee_name,
                row.traits.region,
                row.traits.groups,
                row.mentor_name,
            )
        assert queries.review_row(session, run, 10**9) is None


def test_no_statement_binds_more_than_a_page_of_ids(
    setting: Setting, monkeypatch: pytest.MonkeyPatch, statements: list[tuple[int, str]]
) -> None:
    """With pages of 7 rows and at most 5 ids per IN list, a run of 60 mentees never
    shows up as 60 bound parameters, whichever page, export or action is asked for."""
    monkeypatch.setattr(table_module, "PAGE_SIZE", PAGE)
    monkeypatch.setattr(gaps_module, "UNMATCHED_PAGE_SIZE", 2)
    monkeypatch.setattr(fields_module, "BIND_LIMIT", 5)
    monkeypatch.setattr(db_module, "BIND_LIMIT", 5)  # batches()
    client = setting.api.client
    csrf = sign_in(client, setting.key)
    with setting.session() as session:
        pair_ids = list(
            session.scalars(
                select(RunPair.id).where(RunPair.run_id == setting.run).order_by(RunPair.position)
            )
        )
    assert len(pair_ids) > 3 * PAGE
    statements.clear()
    for path in (
        f"/runs/{setting.run}",
        f"/runs/{setting.run}?page=3&sort=mentee",
        f"/runs/{setting.run}?unmet=needs&sort=crit:language",
        f"/runs/{setting.run}/export.csv",
        f"/runs/{setting.run}/export.xlsx?decision=suggested",
        f"/runs/{setting.rematch}",
        f"/runs/{setting.rematch}/diff",
        f"/programmes/{setting.programme}",
    ):
        assert client.get(path).status_code == 200, path
    decided = client.post(
        f"/runs/{setting.run}/decide",
        data={"pair_id": pair_ids[0], "action": "reject", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert decided.status_code == 200
    assert f'id="pair-{pair_ids[0]}"' in decided.text
    bulk = client.post(
        f"/runs/{setting.run}/bulk",
        data={"action": "approve", "scope": "selected", "pair": pair_ids[1:4], "csrf_token": csrf},
    )
    assert bulk.status_code == 200
    # Inserts bind one parameter a column; anything else binds ids and a few filters.
    most, sql = max((n, sql) for n, sql in statements if not sql.lstrip().startswith("INSERT"))
    assert most <= PAGE + 3, sql
