"""The published document says what the server enforces: the page maximum of this
server, the text rule on every string a request carries, the upload's file name rule,
numbers and flags that are numbers and flags, and ``Allow`` naming the methods of the
path the document matches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.model import text_problem
from service.openapi import TEXT_PATTERN
from tests.service.conftest import Api

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CONFIG = {
    "name": "strict",
    "criteria": [
        {"kind": "overlap", "name": "languages", "mentee_field": "languages",
         "mentor_field": "languages", "weight": 2},
    ],
}  # fmt: skip
"""A configuration with an integer weight: a whole number is a number."""


def _spec(api: Api) -> dict[str, Any]:
    spec: dict[str, Any] = api.client.get("/openapi.json").json()
    return spec


def _strings(schema: Any, components: dict[str, Any], seen: set[str]) -> Iterator[dict[str, Any]]:
    """Every string schema under ``schema``, through ``$ref``s."""
    if isinstance(schema, list):
        for item in schema:
            yield from _strings(item, components, seen)
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if isinstance(reference, str):
        name = reference.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _strings(components[name], components, seen)
        return
    if schema.get("type") == "string":
        yield schema
    for key, value in schema.items():
        if key not in ("examples", "default"):
            yield from _strings(value, components, seen)


@SQLITE_ONLY
def test_every_text_a_request_carries_states_the_text_rule(api: Api) -> None:
    spec = _spec(api)
    components = spec["components"]["schemas"]
    strings = [
        schema
        for item in spec["paths"].values()
        for operation in item.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for schema in _strings(media["schema"], components, set())
    ]
    free_text = [s for s in strings if not {"enum", "const", "format", "contentMediaType"} & set(s)]
    assert len(free_text) > 50  # names, fields, ids, terms, reasons, TOML ...
    for schema in free_text:
        assert "pattern" in schema, schema
    participant = components["ParticipantIn"]
    assert participant["propertyNames"] == {"pattern": TEXT_PATTERN}
    refused = api.client.post(
        "/v1/programmes", json={"name": "Cohort\x01 2027"}, headers=api.auth()
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "name"]


@given(st.text())
def test_the_documented_text_rule_is_the_servers(value: str) -> None:
    assert (re.search(TEXT_PATTERN, value) is not None) == (text_problem(value) is None)


@SQLITE_ONLY
def test_the_page_maximum_is_this_servers_setting(api: Api) -> None:
    most = api.client.app.state.settings.max_page_size  # type: ignore[attr-defined]
    limit = next(
        p
        for p in _spec(api)["paths"]["/v1/programmes"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert {"type": "integer", "minimum": 1, "maximum": most} in limit["schema"]["anyOf"]
    ok = api.client.get(f"/v1/programmes?limit={most}", headers=api.auth())
    assert ok.status_code == 200
    assert ok.json()["limit"] == most
    over = api.client.get(f"/v1/programmes?limit={most + 1}", headers=api.auth())
    assert over.status_code == 422
    assert over.json()["detail"][0]["loc"] == ["query", "limit"]


@SQLITE_ONLY
def test_the_uploads_state_their_file_name_rule(api: Api) -> None:
    paths = _spec(api)["paths"]
    uploads = [
        paths["/v1/programmes/{programme_id}/participants/{side}/file"]["post"],
        paths["/v1/programmes/{programme_id}/ranks/{side}"]["put"],
    ]
    for operation in uploads:
        media = operation["requestBody"]["content"]["multipart/form-data"]
        rule = media["encoding"]["file"]["headers"]["Content-Disposition"]["schema"]["pattern"]
        assert re.search(rule, 'form-data; name="file"; filename="mentees.CSV"')
        assert re.search(rule, 'form-data; name="file"; filename="ranks.xlsx"')
        assert not re.search(rule, 'form-data; name="file"; filename="mentees"')
    programme_id = api.programme()
    refused = api.client.post(
        f"/v1/programmes/{programme_id}/participants/mentees/file",
        files={"file": ("mentees", b"id\nm1\n", "text/csv")},
        headers=api.auth(),
    )
    assert refused.status_code == 422
    assert "file type must be one of" in refused.json()["detail"][0]["msg"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"allow_repeat_pairs": 0}, ["body", "config", "allow_repeat_pairs"]),
        ({"alternatives": True}, ["body", "config", "alternatives"]),
        ({"min_score": "0.5"}, ["body", "config", "min_score"]),
        ({"solver": {"certify": 1}}, ["body", "config", "solver", "certify"]),
        ({"stable": {"mentor_weights": {"languages": True}}},
         ["body", "config", "stable", "mentor_weights", "languages"]),
    ],
)  # fmt: skip
def test_a_flag_or_a_number_of_the_wrong_type_is_refused(
    api: Api, change: dict[str, Any], loc: list[str]
) -> None:
    response = api.client.post(
        "/v1/programmes", json={"config": {**CONFIG, **change}}, headers=api.auth()
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


@SQLITE_ONLY
def test_whole_numbers_are_numbers_and_runs_take_a_real_flag(api: Api) -> None:
    created = api.client.post("/v1/programmes", json={"config": CONFIG}, headers=api.auth())
    assert created.status_code == 201, created.text
    assert created.json()["config"]["criteria"][0]["weight"] == 2.0
    runs = f"/v1/programmes/{created.json()['id']}/runs"
    refused = api.client.post(runs, json={"strict": 0}, headers=api.auth())
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "strict"]
    ranks = [{"mentee_id": "a", "mentor_id": "b", "rank": True}]
    refused = api.client.post(runs, json={"mentee_ranks": ranks}, headers=api.auth())
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "mentee_ranks", 0, "rank"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/programmes/p/participants/mentees/file", "/participants/{side}/file"),
        ("/v1/programmes/p/participants/mentees/m1", "/participants/{side}/{person_id}"),
        ("/v1/programmes/p/participants/mentors", "/participants/{side}"),
        ("/v1/programmes/p/ranks/mentors", "/ranks/{side}"),
    ],
)
def test_allow_names_the_methods_of_the_path_the_document_matches(
    api: Api, path: str, template: str
) -> None:
    """A concrete segment wins over a parameter, as OpenAPI matches paths: the upload
    path is not the person whose id would be ``file``."""
    documented = _spec(api)["paths"]["/v1/programmes/{programme_id}" + template]
    response = api.client.options(path, headers=api.auth())
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {method.upper() for method in documented}
