"""Ranked preference files through the API: stored per programme and side, validated row
by row against the programme's participants, used by the stable runs queued after."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from matching import match
from matching.defaults import default_programme
from tests.service.conftest import EXAMPLES, Api


def _csv(rows: list[tuple[str, str, int]], sep: str = ",") -> bytes:
    frame = pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "rank"])
    return frame.to_csv(index=False, sep=sep).encode()


def _xlsx(rows: list[tuple[str, str, int]]) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "rank"]).to_excel(buffer, index=False)
    return buffer.getvalue()


def _put(
    api: Api, programme_id: str, side: str, name: str, data: bytes, key: str | None = None
) -> Any:
    return api.client.put(
        f"/v1/programmes/{programme_id}/ranks/{side}",
        files={"file": (name, data, "application/octet-stream")},
        headers=api.auth(key),
    )


def _people() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(EXAMPLES / "mentees.csv", dtype=str), pd.read_csv(
        EXAMPLES / "mentors.csv", dtype=str
    )


def _choices() -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """Mentees rank three mentors from a rotating start (ties included); mentors rank
    every mentee who ranked them, in reverse id order."""
    mentees, mentors = _people()
    ids, seats = list(mentees["id"]), list(mentors["id"])
    wishes = [
        (mentee, seats[(i + step) % len(seats)], 1 + step // 2)
        for i, mentee in enumerate(ids)
        for step in range(3)
    ]
    asked: dict[str, list[str]] = {}
    for mentee, mentor, _rank in wishes:
        asked.setdefault(mentor, []).append(mentee)
    choices = [
        (mentee, mentor, rank + 1)
        for mentor, who in asked.items()
        for rank, mentee in enumerate(sorted(who, reverse=True))
    ]
    return wishes, choices


def test_stable_runs_use_the_uploaded_rank_files_of_both_sides(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    wishes, choices = _choices()
    mentees_answer = _put(api, programme_id, "mentees", "voeux.csv", _csv(wishes, sep=";"))
    assert mentees_answer.status_code == 200, mentees_answer.text
    mentors_answer = _put(api, programme_id, "mentors", "choix.xlsx", _xlsx(choices))
    assert mentors_answer.status_code == 200, mentors_answer.text
    stored = api.client.get(f"/v1/programmes/{programme_id}/ranks/mentees", headers=api.auth())
    assert stored.json()["rows"] == len(wishes)
    assert stored.json()["people"] == len({w[0] for w in wishes})

    run_id = api.finished_run(programme_id)
    run = api.client.get(f"/v1/runs/{run_id}", headers=api.auth()).json()
    assert run["summary"]["objective"] == "stable"
    assert run["summary"]["blocking_pairs"] == 0
    pairs = api.client.get(f"/v1/runs/{run_id}/pairs?limit=500", headers=api.auth()).json()
    got = {(p["mentee_id"], p["mentor_id"]) for p in pairs["items"]}

    mentees, mentors = _people()
    expected = match(
        mentees,
        mentors,
        default_programme(),
        mentee_ranks=pd.DataFrame(wishes, columns=["mentee_id", "mentor_id", "rank"]),
        mentor_ranks=pd.DataFrame(choices, columns=["mentee_id", "mentor_id", "rank"]),
    )
    assert got == {(p.mentee_id, p.mentor_id) for p in expected.pairs}
    assert got <= set((a, b) for a, b, _ in wishes) & set((a, b) for a, b, _ in choices)


def test_a_bad_rank_file_is_refused_row_by_row_and_nothing_is_stored(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    wishes = _choices()[0]
    bad = [*wishes[:4], ("somebody-unknown", wishes[0][1], 1), (wishes[1][0], wishes[1][1], 0)]
    answer = _put(api, programme_id, "mentees", "voeux.csv", _csv(bad))
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert {p["file"] for p in problems} == {"voeux.csv"}
    assert {(p["row"], p["column"]) for p in problems} >= {(6, "mentee_id"), (7, "rank")}
    assert "somebody-unknown" not in answer.text  # no submitted value echoed
    assert (
        api.client.get(
            f"/v1/programmes/{programme_id}/ranks/mentees", headers=api.auth()
        ).status_code
        == 404
    )
    wrong_type = _put(api, programme_id, "mentees", "voeux.pdf", _csv(wishes))
    assert wrong_type.status_code == 422
    assert "file type" in wrong_type.json()["detail"][0]["msg"]


def test_other_objectives_ignore_stored_ranks_and_a_deletion_stops_their_use(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    wishes = _choices()[0]
    assert _put(api, programme_id, "mentees", "voeux.csv", _csv(wishes)).status_code == 200

    coverage = api.finished_run(programme_id, {"objective": "coverage"})
    summary = api.client.get(f"/v1/runs/{coverage}", headers=api.auth()).json()["summary"]
    assert summary["objective"] == "coverage"

    stable = api.finished_run(programme_id)
    rematch = api.finished_run(programme_id, {"rematch_of": stable})
    removed = api.client.delete(f"/v1/programmes/{programme_id}/ranks/mentees", headers=api.auth())
    assert removed.status_code == 204
    # The rematch took its parent's ranks; a run queued after the deletion has none.
    rematch_run = api.client.get(f"/v1/runs/{rematch}", headers=api.auth()).json()
    assert rematch_run["summary"]["objective"] == "stable"
    after = api.finished_run(programme_id)
    assert (
        api.client.get(f"/v1/runs/{after}", headers=api.auth()).json()["summary"]["objective"]
        == default_programme().objective
    )
    assert (
        api.client.delete(
            f"/v1/programmes/{programme_id}/ranks/mentees", headers=api.auth()
        ).status_code
        == 404
    )


def test_only_writers_upload_or_delete_ranks(api: Api) -> None:
    programme_id = api.programme()
    api.upload_examples(programme_id)
    wishes = _choices()[0]
    reader = api.key("researcher", programme_id)
    assert (
        _put(api, programme_id, "mentees", "voeux.csv", _csv(wishes), key=reader).status_code == 403
    )
    other = api.programme("other")
    outsider = api.key("coordinator", other)
    assert (
        _put(api, programme_id, "mentees", "voeux.csv", _csv(wishes), key=outsider).status_code
        == 404
    )
