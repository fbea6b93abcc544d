"""A programme's configuration through the API as a coordinator keeps it — a TOML file —
and the objective a run reports: never null, the programme's when the run gave none."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from matching.defaults import default_programme_text
from tests.service.conftest import EXAMPLES, Api

TOML = {"Content-Type": "application/toml"}
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FRENCH = """
name = "lycee-marraines"
objective = "fair"

[fields.mentee]
id = "identifiant"
name = "prénom"
groups = ["statut", "ville"]

[[criteria]]
name = "metiers"
kind = "overlap"
mentee_field = "métiers"
mentor_field = "métiers"
weight = 1.0
title = { fr = "métiers", en = "careers" }
"""


def _post_toml(api: Api, url: str, text: str, method: str = "post") -> Any:
    send = getattr(api.client, method)
    return send(url, content=text.encode(), headers={**api.auth(), **TOML})


def test_a_toml_file_creates_the_same_programme_as_its_json(api: Api) -> None:
    text = (EXAMPLES / "programme.toml").read_text(encoding="utf-8")
    as_toml = _post_toml(api, "/v1/programmes?name=Cohorte 2027", text)
    assert as_toml.status_code == 201, as_toml.text
    as_json = api.client.post(
        "/v1/programmes",
        json={"name": "Cohorte 2027", "config": tomllib.loads(text)},
        headers=api.auth(),
    )
    assert as_json.status_code == 201
    assert as_toml.json()["name"] == "Cohorte 2027"
    assert as_toml.json()["config_sha256"] == as_json.json()["config_sha256"]
    # Without a name, the programme takes its configuration's.
    unnamed = _post_toml(api, "/v1/programmes", FRENCH)
    assert unnamed.status_code == 201, unnamed.text
    assert unnamed.json()["name"] == "lycee-marraines"
    assert unnamed.json()["config"]["fields"]["mentee"]["groups"] == ["statut", "ville"]


def test_a_toml_update_is_a_new_version_and_reads_back_as_toml(api: Api) -> None:
    programme_id = api.programme()
    updated = _post_toml(api, f"/v1/programmes/{programme_id}/config", FRENCH, "put")
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    as_toml = api.client.get(
        f"/v1/programmes/{programme_id}/config",
        headers={**api.auth(), "Accept": "application/toml"},
    )
    assert as_toml.status_code == 200
    assert as_toml.headers["content-type"].startswith("application/toml")
    as_json = api.client.get(f"/v1/programmes/{programme_id}/config", headers=api.auth())
    assert as_json.json() == updated.json()["config"]
    # What the API writes, it reads back: the same configuration, the same version hash.
    again = _post_toml(api, f"/v1/programmes/{programme_id}/config", as_toml.text, "put")
    assert again.status_code == 200
    assert again.json()["config_sha256"] == updated.json()["config_sha256"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ("weight = 1.0", ["body", "config", "criteria", 0, "overlap", "weight"]),
        ('kind = "overlap"', ["body", "config", "criteria", 0]),
        ('objective = "fair"', ["body", "config", "objective"]),
    ],
)
def test_a_bad_toml_key_is_named_as_for_json(api: Api, change: str, loc: list[Any]) -> None:
    key = change.split(" ")[0]
    bad_value = {"weight": "-2.0", "kind": '"ranking"', "objective": '"fastest"'}[key]
    text = FRENCH.replace(change, f"{key} = {bad_value}")
    as_toml = _post_toml(api, "/v1/programmes", text)
    as_json = api.client.post(
        "/v1/programmes", json={"config": tomllib.loads(text)}, headers=api.auth()
    )
    assert as_toml.status_code == as_json.status_code == 422
    toml_locs = [item["loc"] for item in as_toml.json()["detail"]]
    assert toml_locs == [item["loc"] for item in as_json.json()["detail"]]
    assert any(found[: len(loc)] == loc for found in toml_locs), toml_locs


@SQLITE_ONLY
def test_what_is_not_toml_or_not_finite_is_refused_by_place(api: Api) -> None:
    broken = _post_toml(api, "/v1/programmes", 'name = "Léa Martin\n')
    assert broken.status_code == 422
    detail = broken.json()["detail"]
    assert detail[0]["loc"] == ["body"]
    assert "line 1" in detail[0]["msg"]
    assert "Léa" not in broken.text  # the document's content is never echoed
    endless = _post_toml(api, "/v1/programmes", FRENCH.replace("weight = 1.0", "weight = inf"))
    assert endless.status_code == 422
    assert endless.json()["detail"][0]["loc"][:3] == ["body", "config", "criteria"]
    not_utf8 = api.client.post(
        "/v1/programmes", content=b'name = "\xff"\n', headers={**api.auth(), **TOML}
    )
    assert not_utf8.status_code == 422
    assert not_utf8.json()["detail"][0]["loc"] == ["body"]


@SQLITE_ONLY
def test_openapi_documents_the_toml_bodies(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/v1/programmes", "post"),
        ("/v1/programmes/{programme_id}/config", "put"),
    ):
        content = paths[path][method]["requestBody"]["content"]
        assert set(content) == {"application/json", "application/toml"}
        assert content["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
    read = paths["/v1/programmes/{programme_id}/config"]["get"]["responses"]["200"]["content"]
    assert "application/toml" in read


def _objective(api: Api, run_id: str) -> tuple[str, bool]:
    run = api.client.get(f"/v1/runs/{run_id}", headers=api.auth()).json()
    return run["objective"], run["objective_given"]


def test_a_run_always_names_its_objective(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    queued = api.client.post(f"/v1/programmes/{programme_id}/runs", json={}, headers=api.auth())
    assert (queued.json()["objective"], queued.json()["objective_given"]) == ("coverage", False)
    assert api.worker.run_once() == queued.json()["id"]
    assert _objective(api, queued.json()["id"]) == ("coverage", False)
    chosen = api.finished_run(programme_id, {"objective": "total"})
    assert _objective(api, chosen) == ("total", True)
    # The programme's own objective, once its configuration says "fair".
    config = tomllib.loads(default_programme_text())
    config["objective"] = "fair"
    assert (
        api.client.put(
            f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
        ).status_code
        == 200
    )
    fair = api.finished_run(programme_id)
    assert _objective(api, fair) == ("fair", False)
    listed = api.client.get(f"/v1/programmes/{programme_id}/runs", headers=api.auth()).json()
    assert all(run["objective"] for run in listed["items"])
    # Ranked choices without an objective: the engine runs (and the run says) "stable".
    mentees = api.client.get(
        f"/v1/programmes/{programme_id}/participants/mentees", headers=api.auth()
    ).json()["items"]
    mentors = api.client.get(
        f"/v1/programmes/{programme_id}/participants/mentors", headers=api.auth()
    ).json()["items"]
    ranks = [{"mentee_id": m["id"], "mentor_id": mentors[0]["id"], "rank": 1} for m in mentees]
    config["objective"] = "coverage"
    api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": config}, headers=api.auth()
    )
    ranked = api.client.post(
        f"/v1/programmes/{programme_id}/runs", json={"mentee_ranks": ranks}, headers=api.auth()
    )
    assert (ranked.json()["objective"], ranked.json()["objective_given"]) == ("stable", False)
