"""The API's errors in the reader's language: an engine error's 422 item keeps ``msg``,
``type``, ``loc``, ``file``, ``row`` and ``column`` stable and English, and adds
``message`` in the ``Accept-Language`` asked for (English without the header); a domain
error's ``detail`` and a failed run's stored error follow the header too."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from httpx import Response

from tests.service.conftest import Api

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LATIN_WORDS = re.compile(r"\b(row|column|must|whole|number|from|to|the|is|or|more)\b")

MENTORS = "id;expertise;capacity\nm1;web;2\nm2;compta;-2\nm3;web;-1\n"
"""Semicolon CSV: rows 3 and 4 offer a negative number of seats."""

CONFIG: dict[str, Any] = {
    "criteria": [
        {
            "name": "besoins",
            "kind": "needs",
            "mentee_field": "needs",
            "mentor_field": "expertise",
            "weight": -1.0,
        }
    ]
}


def _upload(api: Api, programme_id: str, language: str | None) -> Response:
    headers = api.auth() | ({"Accept-Language": language} if language else {})
    return api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentors/file",
        files={"file": ("marraines.csv", MENTORS.encode(), "text/csv")},
        headers=headers,
    )


@SQLITE_ONLY
def test_a_bad_upload_is_explained_in_the_accept_language(api: Api) -> None:
    programme_id = api.programme()
    english, french, arabic = (_upload(api, programme_id, lang) for lang in (None, "fr", "ar"))
    assert english.status_code == french.status_code == arabic.status_code == 422
    items = {
        name: r.json()["detail"] for name, r in (("en", english), ("fr", french), ("ar", arabic))
    }
    stable = ("loc", "msg", "type", "file", "row", "column")
    for name in ("fr", "ar"):
        assert [{k: i[k] for k in stable} for i in items[name]] == [
            {k: i[k] for k in stable} for i in items["en"]
        ]
    assert [(i["file"], i["row"], i["column"]) for i in items["en"]] == [
        ("marraines.csv", 3, "capacity"),
        ("marraines.csv", 4, "capacity"),
    ]
    assert items["en"][0]["message"] == items["en"][0]["msg"]
    assert "must be a whole number" in items["en"][0]["msg"]
    assert items["fr"][0]["message"].startswith("capacity doit être un nombre entier de 0 à")
    assert items["ar"][0]["message"].startswith("يجب أن يكون capacity عددًا صحيحًا من 0 إلى")
    for name in ("fr", "ar"):
        for item in items[name]:
            assert not LATIN_WORDS.search(item["message"]), item["message"]
            assert "-2" not in item["message"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (None, "must be 0.0 or more"),
        ("fr", "doit valoir au moins 0.0"),
        ("ar", "يجب أن يكون 0.0 أو أكثر"),
    ],
)
def test_a_bad_configuration_is_explained_in_the_accept_language(
    api: Api, language: str | None, words: str
) -> None:
    headers = api.auth() | ({"Accept-Language": language} if language else {})
    response = api.client.post(
        "/v1/programmes", json={"name": "p", "config": CONFIG}, headers=headers
    )
    assert response.status_code == 422, response.text
    item = response.json()["detail"][0]
    assert item["loc"] == ["body", "config", "criteria", 0, "needs", "weight"]
    assert item["type"] == "greater_than_equal"
    assert item["msg"] == "Input should be greater than or equal to 0"  # pydantic's, stable
    assert item["message"] == words


@SQLITE_ONLY
def test_a_domain_error_detail_follows_the_accept_language(api: Api) -> None:
    programme_id = api.programme()
    response = api.client.post(f"/v1/programmes/{programme_id}/runs", json={}, headers=api.auth())
    assert response.status_code == 202, response.text
    url = f"/v1/runs/{response.json()['id']}/decisions"  # the run is still queued
    decision = {"action": "approve", "mentee_id": "f1", "mentor_id": "m1"}

    def detail(language: str | None) -> tuple[int, str]:
        headers = api.auth() | ({"Accept-Language": language} if language else {})
        response = api.client.post(url, json=decision, headers=headers)
        return response.status_code, response.json()["detail"]

    assert detail(None) == (409, "decisions need a succeeded run")
    status, french = detail("fr")
    assert status == 409
    assert french.startswith("les décisions") or "calcul" in french, french
    assert "queued" not in french  # the run's status is translated too
    status, arabic = detail("ar")
    assert status == 409
    assert not re.search(r"[A-Za-z]", arabic), arabic


@SQLITE_ONLY
def test_a_failed_run_says_its_error_in_the_accept_language(api: Api) -> None:
    programme_id = api.programme()
    config = {"criteria": [{**CONFIG["criteria"][0], "weight": 1.0}]}
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    assert response.status_code == 200, response.text
    response = api.client.post(f"/v1/programmes/{programme_id}/runs", json={}, headers=api.auth())
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    assert api.worker.run_once() == run_id

    def error(language: str | None) -> dict[str, Any]:
        headers = api.auth() | ({"Accept-Language": language} if language else {})
        run = api.client.get(f"/v1/runs/{run_id}", headers=headers).json()
        assert run["status"] == "failed", run
        return dict(run["error"])

    english, french = error("en"), error("fr")
    assert english["type"] == french["type"] == "InputError"
    assert english["reason"] == french["reason"] == english["message"]
    assert english["message"].startswith("no mentees")
    assert french["message"].startswith("aucune mentorée")
    assert error(None) == english  # without the header: the programme's language (en)
    config["language"] = "ar"
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    assert response.status_code == 200, response.text
    response = api.client.post(f"/v1/programmes/{programme_id}/runs", json={}, headers=api.auth())
    run_id = response.json()["id"]
    assert api.worker.run_once() == run_id
    arabic = error(None)
    assert arabic["message"].startswith("لا مستفيدات")
    assert arabic["reason"] == english["reason"]


@SQLITE_ONLY
def test_a_bad_criterion_is_named_once_and_counts_read_in_the_singular(api: Api) -> None:
    programme_id = api.programme()

    def refused(config: dict[str, Any], language: str) -> list[dict[str, Any]]:
        response = api.client.put(
            f"/v1/programmes/{programme_id}/config",
            json={"config": config},
            headers=api.auth() | {"Accept-Language": language},
        )
        assert response.status_code == 422, response.text
        return list(response.json()["detail"])

    # The one criterion's bad weight, not also "criteria needs at least 1 items".
    (item,) = refused({"criteria": [{**CONFIG["criteria"][0], "weight": "lourd"}]}, "en")
    assert item["loc"][-1] == "weight"
    (empty,) = refused({"criteria": []}, "en")
    assert empty["loc"] == ["body", "config", "criteria"]
    assert empty["message"] == "needs at least 1 item"
    (empty,) = refused({"criteria": []}, "fr")
    assert empty["message"] == "demande au moins 1 élément"


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@SQLITE_ONLY
def test_the_review_page_says_a_failed_run_and_the_check_in_its_language(
    api: Api,
) -> None:
    programme_id = api.programme()
    config = {"language": "en", "criteria": [{**CONFIG["criteria"][0], "weight": 1.0}]}
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    assert response.status_code == 200, response.text
    response = api.client.post(f"/v1/programmes/{programme_id}/runs", json={}, headers=api.auth())
    run_id = response.json()["id"]
    assert api.worker.run_once() == run_id  # fails: nobody uploaded
    client = api.client
    client.cookies.clear()
    found = TOKEN.search(client.get("/").text)
    assert found
    key = api.key("admin", programme_id)
    answer = client.post("/", data={"key": key, "csrf_token": found.group(1)})
    assert answer.status_code == 200, answer.text[:300]
    progress = {
        lang: html.unescape(
            client.get(f"/runs/{run_id}/progress", headers={"Accept-Language": lang}).text
        )
        for lang in ("en", "fr", "ar")
    }
    assert "no mentees: the mentee table has no rows" in progress["en"]
    assert "aucune mentorée : la table des mentorées n'a aucune ligne" in progress["fr"]
    assert "لا مستفيدات: جدول المستفيدات بلا صفوف" in progress["ar"]
    assert "no mentees" not in progress["fr"] + progress["ar"]
    # The check before a run: a criterion's column absent from the stored mentors.
    uploaded = client.post(
        f"/v1/programmes/{programme_id}/participants/mentors/file",
        files={"file": ("marraines.csv", b"id;expertise;capacity\nm1;web;2\n", "text/csv")},
        headers=api.auth(),
    )
    assert uploaded.status_code == 200, uploaded.text
    config["criteria"][0]["mentor_field"] = "skills"
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    assert response.status_code == 200, response.text
    csrf = TOKEN.search(answer.text)
    assert csrf
    checked = {
        lang: html.unescape(
            client.post(
                f"/programmes/{programme_id}/check",
                headers={"HX-Request": "true", "X-CSRF-Token": csrf.group(1)}
                | {"Accept-Language": lang},
            ).text
        )
        for lang in ("fr", "ar")
    }
    assert "la colonne manque ; le critère « besoins » la lit" in checked["fr"]
    assert "العمود غير موجود؛ المعيار «besoins» يقرؤه" in checked["ar"]


@SQLITE_ONLY
def test_match_warnings_follow_the_accept_language(api: Api) -> None:
    mentees = [{"id": "f1", "needs": "web"}, {"id": "f2", "needs": "compta"}]
    mentors = [{"id": "m1", "expertise": "web", "bureau": "x"}]
    config = {"criteria": [{**CONFIG["criteria"][0], "weight": 1.0}]}
    body = {"mentees": mentees, "mentors": mentors, "programme": config}

    def warning(language: str | None) -> str:
        headers = api.auth() | ({"Accept-Language": language} if language else {})
        response = api.client.post("/v1/match", json=body, headers=headers)
        assert response.status_code == 200, response.text
        (unread,) = [w for w in response.json()["warnings"] if w["column"] == "bureau"]
        assert unread["code"] == "unread_column"
        return str(unread["message"])

    assert warning(None).startswith("column 'bureau' of the mentor table is read by nothing")
    assert warning("fr").startswith("la colonne « bureau » de la table des mentors")
    assert "bureau" in warning("ar")
    assert not LATIN_WORDS.search(warning("ar").replace("bureau", "").replace("ignore", ""))


@SQLITE_ONLY
def test_a_configuration_that_is_not_toml_is_explained_in_the_accept_language(api: Api) -> None:
    def item(language: str | None) -> dict[str, Any]:
        headers = api.auth() | {"Content-Type": "application/toml"}
        headers |= {"Accept-Language": language} if language else {}
        response = api.client.post(
            "/v1/programmes", content=b'name = "Lea\nobjective = 3\n', headers=headers
        )
        assert response.status_code == 422, response.text
        return dict(response.json()["detail"][0])

    english, french, arabic = item(None), item("fr"), item("ar")
    assert english["msg"] == french["msg"] == arabic["msg"]  # the stable English text
    assert english["type"] == french["type"] == "toml"
    assert re.fullmatch(r"syntax error at line 1, column \d+", english["message"])
    assert re.fullmatch(r"erreur de syntaxe ligne 1, colonne \d+", french["message"])
    assert re.fullmatch(r"خطأ في الصياغة في السطر 1، العمود \d+", arabic["message"])
    assert "Lea" not in str(french)


@SQLITE_ONLY
def test_the_service_own_refusals_are_explained_in_the_accept_language(api: Api) -> None:
    programme_id = api.programme()
    headers = api.auth() | {"Accept-Language": "fr"}
    wrong_type = api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentors/file",
        files={"file": ("marraines.pdf", b"%PDF", "application/pdf")},
        headers=headers,
    )
    assert wrong_type.status_code == 422
    (item,) = wrong_type.json()["detail"]
    assert item["msg"].startswith("file type must be one of .csv")
    assert item["message"].startswith("le type de fichier doit être l'un de .csv")
    control = api.client.post(
        "/v1/programmes", json={"name": "Léa\u0000"}, headers=headers | {"Accept-Language": "ar"}
    )
    assert control.status_code == 422
    (item,) = control.json()["detail"]
    assert item["loc"] == ["body", "name"]
    assert item["message"] == "نص: يحتوي على محرف تحكّم أو محرف غير صالح"
    assert item["msg"] == "text contains a control character or an invalid character"
