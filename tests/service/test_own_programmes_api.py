"""The three programmes of ``tests/data/programmes`` (a French lycée with ``;`` and a BOM,
Moroccan cooperatives with a quota, ten countries with the same country required) through
the API and the review page, as their coordinators would use them: the TOML file as the
configuration, their own files as uploaded, the check before the run; then every rule
honoured, names shown, charts and filters by their real groups, the warnings, the quota
report and the gaps by group (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import html
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import Api
from tests.service.test_web_pages import sign_in

PROGRAMMES = Path(__file__).resolve().parents[1] / "data" / "programmes"
NAMES = ("lycee", "maroc", "dix-pays")
EXPECTED_WARNINGS = {"lycee": [], "maroc": [], "dix-pays": [("mentee", "how_did_you_hear")]}
NAME_COLUMN = {"lycee": "prénom", "maroc": "الاسم", "dix-pays": "full_name"}
GROUP_COLUMNS = {
    "lycee": ("classe", "établissement"),
    "maroc": ("statut", "province"),
    "dix-pays": ("city",),  # its country is its region too: one chart and one filter
}


def _rows(path: Path) -> dict[str, dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = list(csv.DictReader(text.splitlines(), delimiter=delimiter))
    first = next(iter(rows[0]))
    return {row[first]: row for row in rows}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text[:2000]
    return response.json()


def _create(api: Api, name: str) -> str:
    """The programme from its TOML file, its participants from its own files."""
    folder = PROGRAMMES / name
    created = api.client.post(
        f"/v1/programmes?name={name}",
        content=(folder / "programme.toml").read_bytes(),
        headers={**api.auth(), "Content-Type": "application/toml"},
    )
    programme_id = str(_ok(created, 201)["id"])
    for side in ("mentees", "mentors"):
        with (folder / f"{side}.csv").open("rb") as handle:
            _ok(
                api.client.post(
                    f"/v1/programmes/{programme_id}/participants/{side}/file",
                    files={"file": (f"{side}.csv", handle, "text/csv")},
                    headers=api.auth(),
                )
            )
    return programme_id


def _all(api: Api, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = _ok(api.client.get(f"{path}?limit=100&offset={len(items)}", headers=api.auth()))
        items += page["items"]
        if len(items) >= page["total"] or not page["items"]:
            return items


@pytest.fixture(params=NAMES)
def programme(api: Api, request: pytest.FixtureRequest) -> tuple[str, str, str]:
    """(programme name, id, a finished run's id)."""
    name = str(request.param)
    programme_id = _create(api, name)
    return name, programme_id, api.finished_run(programme_id)


def test_the_check_before_a_run_names_every_rule_and_the_unread_columns(
    api: Api, programme: tuple[str, str, str]
) -> None:
    name, programme_id, _ = programme
    report = _ok(api.client.post(f"/v1/programmes/{programme_id}/check", headers=api.auth()))
    assert report["ok"]
    assert report["rules"]
    assert all(r["status"] == "on" and r["excluded_pairs"] > 0 for r in report["rules"])
    assert all(c[side]["found"] for c in report["criteria"] for side in ("mentee", "mentor"))
    assert [(w["side"], w["column"]) for w in report["warnings"]] == EXPECTED_WARNINGS[name]
    roles = {(r["role"], r["column"]): r["found"] for r in report["roles"]["mentor"]}
    assert all(roles.values()), roles  # identifiant, capacité ... found under their names
    if name == "maroc":
        (quota,) = report["quotas"]
        assert quota["name"] == "statut=coopérative"
        assert quota["meetable"]
        assert quota["reachable"] >= quota["required"] > 0


def test_a_run_honours_every_rule_and_reports_warnings_groups_and_quotas(
    api: Api, programme: tuple[str, str, str]
) -> None:
    name, _programme_id, run_id = programme
    folder = PROGRAMMES / name
    mentees, mentors = _rows(folder / "mentees.csv"), _rows(folder / "mentors.csv")
    run = _ok(api.client.get(f"/v1/runs/{run_id}", headers=api.auth()))
    assert [(w["side"], w["column"]) for w in run["warnings"]] == EXPECTED_WARNINGS[name]
    assert run["summary"]["matched"] > 0.6 * run["summary"]["mentees"]
    pairs = [(p["mentee_id"], p["mentor_id"]) for p in _all(api, f"/v1/runs/{run_id}/pairs")]
    load = Counter(mentor for _, mentor in pairs)
    if name == "lycee":
        assert len(pairs) > 120  # the capacité column read: 142 seats
        for girl, marraine in pairs:
            assert mentors[marraine]["genre"] == "femme"
            assert mentees[girl]["établissement"] != mentors[marraine]["établissement"]
            if mentees[girl]["souhaite_une_marraine"]:
                assert mentees[girl]["souhaite_une_marraine"] == mentors[marraine]["genre"]
        assert all(load[m] <= int(mentors[m]["capacité"]) for m in load)
    elif name == "maroc":
        for mentee, mentor in pairs:
            coop = mentees[mentee]["coopérative"]
            assert not coop or coop != mentors[mentor]["coopérative"]
        assert all(load[m] <= int(mentors[m]["nombre_max"]) for m in load)
        members = {k for k, row in mentees.items() if row["statut"] == "coopérative"}
        matched = len({mentee for mentee, _ in pairs} & members)
        (quota,) = run["quotas"]
        assert (quota["field"], quota["value"], quota["met"]) == ("statut", "coopérative", True)
        assert quota["matched"] == matched >= quota["required"] >= 0.4 * len(members)
    else:
        for mentee, mentor in pairs:
            assert mentees[mentee]["country"] == mentors[mentor]["country"]
            group = mentees[mentee]["employer_or_group"]
            assert not group or group != mentors[mentor]["employer_or_group"]
        wanted = Counter(mentee for mentee, _ in pairs)
        assert all(wanted[m] <= int(mentees[m]["mentors_wanted"]) for m in wanted)
        assert all(load[m] <= int(mentors[m]["max_mentees"]) for m in load)
        gaps = _ok(api.client.get(f"/v1/runs/{run_id}/gaps", headers=api.auth()))
        assert gaps
        assert all(set(g["group"]) <= {"country", "city"} for g in gaps)
        for gap in gaps:
            for column, value in gap["group"].items():
                assert value in {row[column] for row in mentees.values()}
        assert any("country" in g["group"] for g in gaps)
    # Match rate per group: every value of each configured group column, counts exact.
    groups = run["groups"]
    matched_ids = {mentee for mentee, _ in pairs}
    for column in {g["column"] for g in groups}:
        values = Counter(row[column] or "(missing)" for row in mentees.values())
        got = {g["value"]: (g["mentees"], g["matched"]) for g in groups if g["column"] == column}
        assert {v: n for v, (n, _) in got.items()} == dict(values)
        for value, (_, matched_n) in got.items():
            members = {k for k, row in mentees.items() if (row[column] or "(missing)") == value}
            assert matched_n == len(members & matched_ids)


def test_the_review_page_shows_names_real_groups_and_the_reports(
    api: Api, programme: tuple[str, str, str]
) -> None:
    name, programme_id, run_id = programme
    folder = PROGRAMMES / name
    mentees = _rows(folder / "mentees.csv")
    sign_in(api.client, api.key("coordinator", programme_id))
    page = api.client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    pairs = _all(api, f"/v1/runs/{run_id}/pairs")
    shown = re.findall(r'<tr id="pair-\d+"', page.text)
    assert shown
    # The first page of pairs (best first) shows the mentees' names from their column.
    best = sorted(pairs, key=lambda p: -p["score"])[: len(shown)]
    assert all(mentees[p["mentee_id"]][NAME_COLUMN[name]] in text for p in best)
    for column in GROUP_COLUMNS[name]:
        assert f"Match rate by {column.replace('_', ' ')}" in text
        values = {row[column] for row in mentees.values() if row[column]}
        assert any(f"{column}={v}" in text for v in values)
    assert "(not given)" not in text  # every mentee has her groups
    if EXPECTED_WARNINGS[name]:
        assert 'id="warnings"' in text
        assert "how_did_you_hear" in text
    else:
        assert 'id="warnings"' not in text
    if name == "maroc":
        quotas = text[text.index('id="quotas"') :]
        assert "statut: coopérative" in quotas[:2000]
    gaps = _ok(api.client.get(f"/v1/runs/{run_id}/gaps", headers=api.auth()))
    if any(g["group"] for g in gaps):  # gaps by group, each named "column: value"
        listed = text[text.index('id="group-gaps-h"') :]
        column, value = next(iter(gaps[0]["group"].items()))
        assert f"{gaps[0]['mentees']} unmatched in {column}: {value}" in listed
    # The export fills its name columns.
    export = api.client.get(f"/runs/{run_id}/export.csv")
    rows = list(csv.DictReader(export.content.decode("utf-8-sig").splitlines()))
    assert rows
    assert all(r["mentee_name"] for r in rows)
    assert all(r["mentor_name"] for r in rows)
    # The check panel on the dashboard, as htmx asks for it.
    csrf = re.search(
        r'name="csrf_token" value="([^"]+)"', api.client.get(f"/programmes/{programme_id}").text
    )
    assert csrf is not None
    checked = api.client.post(
        f"/programmes/{programme_id}/check",
        data={"csrf_token": csrf.group(1)},
        headers={"HX-Request": "true"},
    )
    assert checked.status_code == 200
    assert 'id="check-report"' in checked.text
    assert ("how_did_you_hear" in checked.text) == bool(EXPECTED_WARNINGS[name])
    # Values only one side has (the Moroccan mentors' tamazight), as the API reports them.
    report = _ok(api.client.post(f"/v1/programmes/{programme_id}/check", headers=api.auth()))
    shown = [
        f"{entry['unshared']} {words}: {', '.join(entry['unshared_values'])}"
        for criterion in report["criteria"]
        for side, words in (("mentee", "no mentor has"), ("mentor", "no mentee has"))
        if (entry := criterion[side]).get("unshared")
    ]
    assert all(text in html.unescape(checked.text) for text in shown)
    assert ("1 no mentee has: tamazight" in shown) == (name == "maroc")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_strict_run_is_refused_naming_its_warnings(api: Api) -> None:
    programme_id = _create(api, "dix-pays")
    queued = _ok(
        api.client.post(
            f"/v1/programmes/{programme_id}/runs", json={"strict": True}, headers=api.auth()
        ),
        202,
    )
    assert queued["strict"] is True
    assert api.worker.run_once() == queued["id"]
    run = _ok(api.client.get(f"/v1/runs/{queued['id']}", headers=api.auth()))
    assert run["status"] == "failed"
    assert "how_did_you_hear" in run["error"]["reason"]
    assert [(w["side"], w["column"]) for w in run["warnings"]] == EXPECTED_WARNINGS["dix-pays"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_runs_warnings_follow_the_accept_language(api: Api) -> None:
    """A stored run says its warnings in each reader's language, as the check before it
    does; a strict run refused on them too."""
    programme_id = _create(api, "dix-pays")
    run_id = api.finished_run(programme_id)
    strict_id = _ok(
        api.client.post(
            f"/v1/programmes/{programme_id}/runs", json={"strict": True}, headers=api.auth()
        ),
        202,
    )["id"]
    assert api.worker.run_once() == strict_id

    def messages(run: str, language: str | None) -> list[str]:
        headers = api.auth() | ({"Accept-Language": language} if language else {})
        body = _ok(api.client.get(f"/v1/runs/{run}", headers=headers))
        said = [w["message"] for w in body["warnings"]]
        stored = (body["summary"] or body["error"])["warnings"]
        assert [w["message"] for w in stored] == said
        return said

    for run in (run_id, strict_id):
        assert messages(run, None)[0].startswith("column 'how_did_you_hear' of the mentee")
        (french,) = messages(run, "fr")
        assert french.startswith("la colonne « how_did_you_hear » de la table des mentorées")
        (arabic,) = messages(run, "ar")
        assert "how_did_you_hear" in arabic
        assert "column" not in arabic
    listed = _ok(
        api.client.get(
            f"/v1/programmes/{programme_id}/runs", headers=api.auth() | {"Accept-Language": "fr"}
        )
    )
    said = [w["message"] for r in listed["items"] for w in r["warnings"]]
    assert len(said) == 2
    assert all(text.startswith("la colonne") for text in said)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_json_participants_go_through_the_field_map(api: Api) -> None:
    """The lycée's mentors sent as JSON with their own keys (identifiant, capacité)."""
    folder = PROGRAMMES / "lycee"
    programme_id = _create(api, "lycee")
    mentors = _rows(folder / "mentors.csv")
    records = [
        {**{k: v for k, v in row.items() if v}, "capacité": int(row["capacité"])}
        for row in mentors.values()
    ]
    answer = api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentors",
        json={"participants": records},
        headers=api.auth(),
    )
    assert _ok(answer) == {"created": 0, "updated": len(records)}
    stored = _all(api, f"/v1/programmes/{programme_id}/participants/mentors")
    seats = {m["id"]: m["fields"]["capacity"] for m in stored}
    assert seats == {k: int(row["capacité"]) for k, row in mentors.items()}
    bad = api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentors",
        json={"participants": [{"prénom": "Sans identifiant"}]},
        headers=api.auth(),
    )
    assert bad.status_code == 422
    assert "identifiant" in bad.text
    assert "Sans identifiant" not in bad.text
