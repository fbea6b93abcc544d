"""The review page's routes without a browser (TestClient, SQLite and PostgreSQL): sign-in,
session cookie, CSRF, security headers, another programme's pages (404), decisions saved
through the API's operations with their audit rows, bulk, rematch diff, publish, exports
with formula escaping, languages, the unmatched list's pages."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlalchemy import func, select

from matching.synthetic import generate_cohort
from service.models import Decision, RunPair
from service.ops.participants import frame_records
from service.spreadsheets import CSV_CHUNK_ROWS, csv_chunks, escape_cell, to_csv, to_xlsx
from service.web._queries import gaps as gaps_module
from tests.browser.cohort import setup_programme
from tests.service.conftest import Api

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Web:
    api: Api
    programme: str
    key: str
    run: str
    other_programme: str
    other_run: str

    @property
    def client(self) -> TestClient:
        return self.api.client


def token(response: Response) -> str:
    found = TOKEN.search(response.text)
    assert found, response.text[:500]
    return found.group(1)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in with ``key``; returns the session's CSRF token."""
    client.cookies.clear()
    answer = client.post("/", data={"key": key, "csrf_token": token(client.get("/"))})
    assert answer.status_code == 200, answer.text[:300]
    return token(answer)


def run_of(api: Api, programme_id: str, body: dict[str, object] | None = None) -> str:
    return api.finished_run(programme_id, body)


@pytest.fixture
def web(api: Api) -> Web:
    programme, key = setup_programme(api.client, api.admin_key, "Digital", seed=21, mentees=40)
    other, _other_key = setup_programme(api.client, api.admin_key, "Other", seed=22, mentees=20)
    return Web(api, programme, key, run_of(api, programme), other, run_of(api, other))


def pair_ids(web: Web, run_id: str) -> list[int]:
    with web.api.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(
            session.scalars(
                select(RunPair.id).where(RunPair.run_id == run_id).order_by(RunPair.position)
            )
        )


def decisions(web: Web, run_id: str) -> int:
    with web.api.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(
            session.scalar(
                select(func.count()).select_from(Decision).where(Decision.run_id == run_id)
            )
            or 0
        )


def test_sign_in_session_cookie_and_headers(web: Web) -> None:
    client = web.client
    page = client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie

    # Without the token: refused, even with a good key.
    assert client.post("/", data={"key": web.key}).status_code == 403
    csrf = token(page)
    wrong = client.post("/", data={"key": "key_0000.nope", "csrf_token": csrf})
    assert wrong.status_code == 401
    assert "unknown, revoked or mistyped" in wrong.text
    researcher = web.api.key("researcher", web.programme)
    refused = client.post("/", data={"key": researcher, "csrf_token": csrf})
    assert refused.status_code == 403
    answer = client.post("/", data={"key": web.key, "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/programmes/{web.programme}"
    assert web.key not in answer.headers["set-cookie"]
    # The token changes at sign-in: the one seen before is worth nothing now.
    dashboard = client.get(answer.headers["location"])
    assert token(dashboard) != csrf
    assert client.post("/signout", data={"csrf_token": csrf}).status_code == 403
    assert client.post("/signout", data={"csrf_token": token(dashboard)}).status_code == 200
    assert client.get(f"/programmes/{web.programme}", follow_redirects=False).status_code == 303


def test_static_files_are_served_with_nosniff(web: Web) -> None:
    htmx = web.client.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert htmx.text.startswith("/*! htmx 2.")
    assert htmx.headers["x-content-type-options"] == "nosniff"
    assert web.client.get("/static/marraine.css").status_code == 200


def test_another_programme_is_not_found(web: Web) -> None:
    client = web.client
    csrf = sign_in(client, web.key)
    other_pair = pair_ids(web, web.other_run)[0]
    for path in (
        f"/programmes/{web.other_programme}",
        f"/runs/{web.other_run}",
        f"/runs/{web.other_run}/row",
        f"/runs/{web.other_run}/progress",
        f"/runs/{web.other_run}/diff",
        f"/runs/{web.other_run}/export.csv",
        f"/runs/{web.other_run}/export.xlsx",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Other" not in answer.text
    for path, data in (
        (f"/runs/{web.other_run}/decide", {"pair_id": str(other_pair), "action": "approve"}),
        (f"/runs/{web.other_run}/bulk", {"action": "approve", "scope": "shown"}),
        (f"/runs/{web.other_run}/rematch", {}),
        (f"/runs/{web.other_run}/publish", {}),
        (f"/programmes/{web.other_programme}/runs", {"objective": ""}),
    ):
        assert client.post(path, data={**data, "csrf_token": csrf}).status_code == 404, path
    # A pair of the other run named on this run's form is not found either.
    answer = client.post(
        f"/runs/{web.run}/decide",
        data={"pair_id": str(other_pair), "action": "approve", "csrf_token": csrf},
    )
    assert answer.status_code == 404
    assert decisions(web, web.other_run) == 0


def test_decisions_go_through_the_api_operations(web: Web) -> None:
    client = web.client
    csrf = sign_in(client, web.key)
    review = client.get(f"/runs/{web.run}")
    assert review.status_code == 200
    ids = pair_ids(web, web.run)
    url = f"/runs/{web.run}/decide"
    htmx = {"HX-Request": "true"}

    # No token: refused, nothing recorded.
    assert client.post(url, data={"pair_id": ids[0], "action": "approve"}).status_code == 403
    assert decisions(web, web.run) == 0

    row = client.post(
        url, data={"pair_id": ids[0], "action": "approve", "csrf_token": csrf}, headers=htmx
    )
    assert row.status_code == 200
    assert row.text.lstrip().startswith(f'<tr id="pair-{ids[0]}"')
    assert "decision-badge-approved" in row.text
    row = client.post(
        url,
        data={"pair_id": ids[1], "action": "reject", "csrf_token": csrf},
        headers={"X-CSRF-Token": csrf, **htmx},
    )
    assert "decision-badge-rejected" in row.text
    assert (
        client.post(
            url, data={"pair_id": ids[2], "action": "nonsense", "csrf_token": csrf}
        ).status_code
        == 422
    )

    audit = client.get(f"/v1/runs/{web.run}/decisions", headers=web.api.auth(web.key)).json()
    assert [d["action"] for d in audit["items"]] == ["approve", "reject"]
    assert all(d["key_id"] == web.key.split(".")[0] for d in audit["items"])

    # Bulk: every suggested pair the filters show.
    answer = client.post(
        f"/runs/{web.run}/bulk?decision=suggested",
        data={"action": "lock", "scope": "shown", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "notice=bulk" in answer.headers["location"]
    pairs = client.get(f"/v1/runs/{web.run}/pairs?limit=500", headers=web.api.auth(web.key)).json()
    states = [p["decision"] for p in pairs["items"]]
    assert states.count("rejected") == 1
    assert states.count("approved") == 1
    assert states.count("locked") == len(states) - 2
    page = client.get(f"/runs/{web.run}?decision=locked&sort=score_asc")
    assert f"{len(states) - 2} of {len(states)} pairs shown" in page.text


def test_bulk_on_ticked_pairs_writes_one_audit_row_each_and_ignores_other_runs(
    web: Web,
) -> None:
    client = web.client
    csrf = sign_in(client, web.key)
    ids = pair_ids(web, web.run)
    ticked = ids[:3]
    foreign = pair_ids(web, web.other_run)[0]  # another programme's pair, named on the form
    answer = client.post(
        f"/runs/{web.run}/bulk",
        data={
            "action": "reject",
            "scope": "selected",
            "pair": [str(i) for i in [*ticked, foreign]],
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "n=3" in answer.headers["location"]
    assert decisions(web, web.other_run) == 0
    with web.api.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        audit = session.scalars(
            select(Decision).where(Decision.run_id == web.run).order_by(Decision.id)
        ).all()
        pairs = {p.id: p for p in session.scalars(select(RunPair).where(RunPair.id.in_(ids)))}
        assert [d.mentee_id for d in audit] == [pairs[i].mentee_id for i in ticked]
        for decision, pair_id in zip(audit, ticked, strict=True):
            pair = pairs[pair_id]
            assert decision.action == "reject"
            assert decision.before == {
                "mentor_id": pair.mentor_id,
                "score": pair.score,
                "decision": "suggested",
            }
            assert decision.after == {**decision.before, "decision": "rejected"}
            assert pair.decision == "rejected"
        assert {p.decision for i, p in pairs.items() if i not in ticked} == {"suggested"}
    # An action the bulk form does not offer is refused, and nothing is written.
    refused = client.post(
        f"/runs/{web.run}/bulk",
        data={"action": "swap", "scope": "shown", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert decisions(web, web.run) == 3


def test_swap_rematch_diff_publish(web: Web) -> None:
    client = web.client
    csrf = sign_in(client, web.key)
    items = client.get(f"/v1/runs/{web.run}/pairs?limit=500", headers=web.api.auth(web.key)).json()[
        "items"
    ]
    ids = pair_ids(web, web.run)
    index = next(
        i for i, p in enumerate(items) if any(a["spare_capacity"] for a in p["alternatives"])
    )
    new_mentor = next(a for a in items[index]["alternatives"] if a["spare_capacity"])["mentor_id"]
    row = client.post(
        f"/runs/{web.run}/decide",
        data={
            "pair_id": ids[index],
            "action": "swap",
            "new_mentor_id": new_mentor,
            "csrf_token": csrf,
        },
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert new_mentor in row.text
    other = next(i for i in range(len(ids)) if i != index)
    client.post(
        f"/runs/{web.run}/decide",
        data={"pair_id": ids[other], "action": "reject", "csrf_token": csrf},
    )

    answer = client.post(
        f"/runs/{web.run}/rematch", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303
    rematch = answer.headers["location"].rsplit("/", 1)[1]
    waiting = client.get(f"/runs/{rematch}")
    assert 'hx-get="/runs/' in waiting.text
    assert "/progress" in waiting.text
    assert web.api.worker.run_once() == rematch
    assert client.get(f"/runs/{rematch}/progress").headers.get("hx-refresh") == "true"
    diff = client.get(f"/runs/{rematch}/diff")
    assert diff.status_code == 200
    assert "1 approved or locked pairs kept; 1 rejected pairs not proposed again." in diff.text
    assert client.get(f"/runs/{web.run}/diff").status_code == 404  # not a rematch

    published = client.post(f"/runs/{rematch}/publish", data={"csrf_token": csrf})
    assert published.status_code == 200
    assert "Published: 1 active pairs." in published.text
    dashboard = client.get(f"/programmes/{web.programme}")
    assert '<span class="big" id="count-active">1</span>' in dashboard.text


def edit_first_mentee(web: Web, field: str, value: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set one field of the mentee of the run's first pair through the API; returns that
    pair (as the API lists it) and her record as uploaded."""
    client = web.client
    first = client.get(f"/v1/runs/{web.run}/pairs?limit=1", headers=web.api.auth(web.key)).json()[
        "items"
    ][0]
    cohort = generate_cohort(40, seed=21)
    records = [{k: v for k, v in r.items() if v is not None} for r in frame_records(cohort.mentees)]
    record = next(r for r in records if r["id"] == first["mentee_id"])
    record[field] = value
    upsert = client.post(
        f"/v1/programmes/{web.programme}/participants/mentees",
        json={"participants": [record]},
        headers=web.api.auth(),
    )
    assert upsert.status_code == 200, upsert.text
    return first, record


def test_the_review_page_follows_participants_and_decisions_changed_elsewhere(web: Web) -> None:
    # The page keeps a run's pairs between views; a change through the API must show at
    # the next view all the same.
    client = web.client
    sign_in(client, web.key)
    pair_id = pair_ids(web, web.run)[0]
    moved = f"/runs/{web.run}?region=island_of_newcomers"
    assert client.get(f"/runs/{web.run}").status_code == 200
    assert f'id="pair-{pair_id}"' not in client.get(moved).text

    first, _record = edit_first_mentee(web, "region", "island_of_newcomers")
    assert f'id="pair-{pair_id}"' in client.get(moved).text

    rejected = f"/runs/{web.run}?decision=rejected"
    assert f'id="pair-{pair_id}"' not in client.get(rejected).text
    answer = client.post(
        f"/v1/runs/{web.run}/decisions",
        json={"mentee_id": first["mentee_id"], "mentor_id": first["mentor_id"], "action": "reject"},
        headers=web.api.auth(web.key),
    )
    assert answer.status_code in (200, 201), answer.text
    assert f'id="pair-{pair_id}"' in client.get(rejected).text


def test_exports_escape_formulas(web: Web) -> None:
    client = web.client
    sign_in(client, web.key)
    first, record = edit_first_mentee(web, "name", '=HYPERLINK("http://example.invalid","x")')

    answer = client.get(f"/runs/{web.run}/export.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    named = next(r for r in rows if r["mentee_id"] == first["mentee_id"])
    assert named["mentee_name"] == "'" + record["name"]
    assert all(not r["mentee_name"].startswith(("=", "+", "-", "@")) for r in rows)

    book = load_workbook(io.BytesIO(client.get(f"/runs/{web.run}/export.xlsx").content)).active
    header = [c.value for c in book[1]]
    names = [
        row[header.index("mentee_name")] for row in book.iter_rows(min_row=2, values_only=True)
    ]
    assert "'" + record["name"] in names
    assert all(not str(n).startswith("=") for n in names)
    assert client.get(f"/runs/{web.run}/export.pdf").status_code == 404


def test_a_csv_export_streamed_in_chunks_reads_back_whole() -> None:
    rows = [
        [f"m{i}", "=x" if i % 997 == 0 else f"n{i}", i / 7] for i in range(2 * CSV_CHUNK_ROWS + 5)
    ]
    chunks = list(csv_chunks(["id", "name", "score"], rows))
    assert len(chunks) == 3  # one per full chunk, and the rest
    read = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert read[0] == ["id", "name", "score"]
    assert [r[0] for r in read[1:]] == [r[0] for r in rows]
    assert read[1][1] == "'=x"
    assert read[2][2] == str(1 / 7)


@pytest.mark.parametrize("value", ["=1+2", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_escape_cell(value: str) -> None:
    assert escape_cell(value) == "'" + value
    assert escape_cell("plain") == "plain"
    assert escape_cell(-2.5) == -2.5
    assert escape_cell(None) is None
    text = to_csv(["a"], [[value]]).decode("utf-8-sig")
    assert text.splitlines()[1].lstrip('"').startswith("'")
    sheet = load_workbook(io.BytesIO(to_xlsx(["a"], [[value]], "t"))).active
    assert sheet["A2"].data_type == "s"
    assert str(sheet["A2"].value).startswith("'")


def test_languages(web: Web) -> None:
    client = web.client
    french = client.get("/", headers={"Accept-Language": "fr-CH,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr" dir="ltr">' in french.text
    assert "Connexion coordinatrice" in french.text
    english = client.get("/", headers={"Accept-Language": "de-DE,en;q=0.5"})
    assert '<html lang="en" dir="ltr">' in english.text
    arabic = client.get("/", headers={"Accept-Language": "ar-MA,ar;q=0.9,fr;q=0.5"})
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "دخول المنسقة" in arabic.text
    assert 'hreflang="fr"' in arabic.text
    assert 'hreflang="en"' in arabic.text
    switched = client.get("/lang/fr?next=/", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/"
    assert "Connexion coordinatrice" in client.get("/", headers={"Accept-Language": "en"}).text
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil"):
        away = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert away.headers["location"] == "/"
    client.cookies.clear()


def test_revoked_key_signs_the_session_out(web: Web) -> None:
    client = web.client
    sign_in(client, web.key)
    assert client.get(f"/programmes/{web.programme}").status_code == 200
    key_id = web.key.split(".")[0]
    assert client.delete(f"/v1/keys/{key_id}", headers=web.api.auth()).status_code == 200
    answer = client.get(f"/programmes/{web.programme}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    polled = client.get(f"/runs/{web.run}/row", headers={"HX-Request": "true"})
    assert polled.headers.get("hx-redirect") == "/"


def _unmatched_ids(html: str) -> list[str]:
    section = html.split('id="unmatched"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<th scope=\"row\"[^>]*>[^<]*<small>([^<]+)</small>", section)


def test_the_unmatched_list_is_paginated_and_keeps_the_pairs_filters(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gaps_module, "UNMATCHED_PAGE_SIZE", 3)
    client = web.client
    sign_in(client, web.key)
    summary = client.get(f"/v1/runs/{web.run}", headers=web.api.auth()).json()["summary"]
    assert summary["unmatched"] == 8

    pages = [client.get(f"/runs/{web.run}?sort=score_asc&unmatched_page={n}") for n in (1, 2, 3)]
    shown = [_unmatched_ids(p.text) for p in pages]
    assert [len(ids) for ids in shown] == [3, 3, 2]
    assert len({i for ids in shown for i in ids}) == 8
    assert "Page 2 of 3 (8 in all)" in pages[1].text
    # The pager's links keep the pairs' sort and lead to the neighbouring pages.
    pager = pages[1].text.split('id="unmatched-pager"', 1)[1].split("</nav>", 1)[0]
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', pager)]
    assert links == [
        "?sort=score_asc&unmatched_page=1#unmatched",
        "?sort=score_asc&unmatched_page=3#unmatched",
    ]
    # A page past the last shows the last; a page that is not a number is refused.
    assert _unmatched_ids(client.get(f"/runs/{web.run}?unmatched_page=40").text) == shown[2]
    assert client.get(f"/runs/{web.run}?unmatched_page=x").status_code in (400, 422)
