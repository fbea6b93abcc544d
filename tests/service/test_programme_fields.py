"""A programme with its own column names on the review page (SQLite and PostgreSQL):
names, groups and region come from its ``[fields]``, never from the example's columns.
With French columns (``prénom``, ``statut``, ``ville``) the pairs show names, the
charts and filters real groups, the exports filled name and group columns, and the help
for an unmatched mentee reads her needs and languages from the programme's criteria."""

from __future__ import annotations

import csv
import html
import io
import random
import re
from typing import Any

import pytest

from tests.service.conftest import Api
from tests.service.test_web_pages import sign_in

CONFIG: dict[str, Any] = {
    "name": "lycee",
    "fields": {
        "mentee": {"name": "prénom", "groups": ["statut", "ville"], "region": "académie"},
        "mentor": {"name": "nom_complet", "region": "académie"},
    },
    "criteria": [
        {
            "kind": "needs",
            "name": "projet",
            "mentee_field": "besoins",
            "mentor_field": "compétences",
            "weight": 2.0,
            "labels": {"orientation": {"fr": "orientation", "en": "career guidance"}},
        },
        {
            "kind": "overlap",
            "name": "langues",
            "mentee_field": "langues_parlées",
            "mentor_field": "langues_parlées",
            "required": True,
            "weight": 1.0,
        },
    ],
}
STATUTS = ("boursière", "interne", "externe")
VILLES = ("Lille", "Roubaix", "Tourcoing", "Douai")
PRENOMS = ("Inès", "Maëlle", "Chloé", "Aïcha", "Léna", "Zoé", "Yasmine", "Océane")
SHOWN = re.compile(r"(\d+) of (\d+) pairs shown")


def _people() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(19)
    mentees = [
        {
            "id": f"el{i:02d}",
            "prénom": f"{PRENOMS[i % len(PRENOMS)]} {chr(65 + i % 26)}.",
            "statut": STATUTS[i % 3],
            "ville": VILLES[i % 4],
            "académie": "lille" if i % 5 else "amiens",
            "besoins": rng.choice(["orientation", "prépa", "orientation|stage"]),
            "langues_parlées": "français" if i % 7 else "arabe",
        }
        for i in range(30)
    ]
    mentors = [
        {
            "id": f"ma{j:02d}",
            "nom_complet": f"Marraine {j} Dupont",
            "académie": "lille",
            "compétences": rng.choice(["orientation:5", "prépa:4|stage:3", "stage:5"]),
            "langues_parlées": "français",
            "capacity": 2,
        }
        for j in range(10)
    ]
    return mentees, mentors


@pytest.fixture
def french(api: Api) -> tuple[str, str, str, list[dict[str, Any]], list[dict[str, Any]]]:
    created = api.client.post(
        "/v1/programmes", json={"name": "Lycée", "config": CONFIG}, headers=api.auth()
    )
    assert created.status_code == 201, created.text
    programme = str(created.json()["id"])
    mentees, mentors = _people()
    for side, people in (("mentees", mentees), ("mentors", mentors)):
        answer = api.client.post(
            f"/v1/programmes/{programme}/participants/{side}",
            json={"participants": people},
            headers=api.auth(),
        )
        assert answer.status_code == 200, answer.text
    run = api.finished_run(programme)
    return programme, run, api.key("coordinator", programme), mentees, mentors


def _options(page: str, select_id: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found is not None, select_id
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]+)"', found.group(1))]


def test_the_page_shows_the_programmes_names_and_groups(api: Api, french: Any) -> None:
    _programme, run, key, mentees, mentors = french
    sign_in(api.client, key)
    page = api.client.get(f"/runs/{run}").text
    text = html.unescape(page)
    pairs = api.client.get(f"/v1/runs/{run}/pairs?limit=100", headers=api.auth()).json()
    assert pairs["items"]
    first = {m["id"]: m for m in mentees}[pairs["items"][0]["mentee_id"]]
    assert first["prénom"] in text
    assert any(m["nom_complet"] in text for m in mentors)
    # A chart and a filter per group column, with the groups the data holds.
    assert "Match rate by statut" in text
    assert "Match rate by ville" in text
    assert "Match rate by académie" in text
    assert "(not given)" not in text
    assert _options(page, "f-group-0") == [f"statut={s}" for s in sorted(STATUTS)]
    assert _options(page, "f-group-1") == [f"ville={v}" for v in sorted(VILLES)]
    assert _options(page, "f-region") == ["amiens", "lille"]
    # Filtering on two group columns keeps the pairs of mentees in both groups.
    by_id = {m["id"]: m for m in mentees}
    everyone = api.client.get(f"/v1/runs/{run}/pairs?limit=100", headers=api.auth()).json()
    expected = sum(
        1
        for p in everyone["items"]
        if by_id[p["mentee_id"]]["statut"] == "interne"
        and by_id[p["mentee_id"]]["ville"] == "Roubaix"
    )
    filtered = api.client.get(
        f"/runs/{run}", params=[("group", "statut=interne"), ("group", "ville=Roubaix")]
    ).text
    shown = SHOWN.search(filtered)
    assert shown is not None
    assert int(shown.group(1)) == expected > 0


def test_unmatched_mentees_show_their_names_needs_and_languages(api: Api, french: Any) -> None:
    _programme, run, key, mentees, _ = french
    sign_in(api.client, key)
    unmatched = api.client.get(f"/v1/runs/{run}/unmatched?limit=100", headers=api.auth()).json()
    assert unmatched["items"], "30 mentees for 20 seats: some are left out"
    page = html.unescape(api.client.get(f"/runs/{run}").text)
    section = page[page.index('id="unmatched"') : page.index('id="gaps"')]
    by_id = {m["id"]: m for m in mentees}
    for item in unmatched["items"]:
        assert by_id[item["mentee_id"]]["prénom"] in section
    assert "not recorded" not in section  # her needs and languages are known


def test_exports_fill_names_and_the_programmes_group_columns(api: Api, french: Any) -> None:
    _programme, run, key, mentees, mentors = french
    sign_in(api.client, key)
    export = api.client.get(f"/runs/{run}/export.csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows
    assert {"mentee_académie", "mentee_statut", "mentee_ville"} <= set(rows[0])
    by_id = {m["id"]: m for m in mentees}
    names = {m["id"]: m["nom_complet"] for m in mentors}
    for row in rows:
        mentee = by_id[row["mentee_id"]]
        assert row["mentee_name"] == mentee["prénom"]
        assert row["mentor_name"] == names[row["mentor_id"]]
        assert (row["mentee_statut"], row["mentee_ville"], row["mentee_académie"]) == (
            mentee["statut"],
            mentee["ville"],
            mentee["académie"],
        )
