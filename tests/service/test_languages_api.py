"""Explanations in the API follow ``Accept-Language`` (en, fr, ar), from the evidence a
run keeps as data; without the header they are as the run wrote them."""

from __future__ import annotations

import csv
import re
import string
from typing import Any

import pytest

from service.i18n import CATALOGUES, EN
from tests.service.conftest import EXAMPLES, Api

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LATIN = re.compile(r"[A-Za-z]")


def _people(side: str) -> list[dict[str, Any]]:
    with (EXAMPLES / f"{side}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{k: v for k, v in row.items() if v != ""} for row in rows]


@SQLITE_ONLY
def test_stateless_match_speaks_the_accept_language(api: Api) -> None:
    body = {"mentees": _people("mentees"), "mentors": _people("mentors")}
    english = api.client.post("/v1/match", json=body, headers=api.auth())
    french = api.client.post(
        "/v1/match", json=body, headers={**api.auth(), "Accept-Language": "fr-MA,fr;q=0.9"}
    )
    assert french.status_code == english.status_code == 200
    assert french.headers["Content-Language"] == "fr"
    assert "Content-Language" not in english.headers
    why_en = [p["why"] for p in english.json()["pairs"]]
    why_fr = [p["why"] for p in french.json()["pairs"]]
    assert all(w.startswith("covers ") for w in why_en if "needs" in w or w.startswith("cov"))
    assert all("couvre" in w or "langue" in w for w in why_fr)
    assert not any("both speak" in w or "in common" in w for w in why_fr)
    evidence = english.json()["pairs"][0]["evidence"]
    assert {e["kind"] for e in evidence} >= {"needs", "languages"}


def test_run_pairs_speak_the_accept_language(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    run_id = api.finished_run(programme_id)
    url = f"/v1/runs/{run_id}/pairs?limit=500"

    def why(language: str | None) -> list[str]:
        headers = api.auth() | ({"Accept-Language": language} if language else {})
        response = api.client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        return [p["why"] for p in response.json()["items"]]

    stored, arabic, french = why(None), why("ar"), why("fr;q=0.8, ar;q=0.2")
    assert why("de, en;q=0.5") == stored  # English, as the run wrote it
    assert len(arabic) == len(stored) == 40
    assert all(not LATIN.search(text) for text in arabic)
    assert all("couvre" in text or "langue" in text for text in french)
    assert french != stored


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_page_catalogues_have_every_message_with_its_placeholders(language: str) -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    catalogue = CATALOGUES[language]  # type: ignore[index]
    assert set(catalogue) == set(EN)
    for key, text in EN.items():
        assert fields(catalogue[key]) == fields(text), key
