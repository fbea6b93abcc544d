"""A small synthetic programme loaded through the HTTP API, for the review page's tests:
works with FastAPI's TestClient and with an httpx client on a real server alike."""

from __future__ import annotations

from typing import Any, Protocol

from matching.synthetic import generate_cohort
from service.ops.participants import frame_records


class Client(Protocol):
    def post(self, url: str, **kwargs: Any) -> Any: ...


def _ok(response: Any, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def setup_programme(
    client: Client, admin_key: str, name: str, *, seed: int, mentees: int = 60
) -> tuple[str, str]:
    """Create a programme with a seeded synthetic cohort and a coordinator key for it;
    returns (programme id, coordinator key)."""
    admin = {"Authorization": f"Bearer {admin_key}"}
    programme_id = str(
        _ok(client.post("/v1/programmes", json={"name": name}, headers=admin), 201)["id"]
    )
    cohort = generate_cohort(mentees, seed=seed)
    for side, frame in (("mentees", cohort.mentees), ("mentors", cohort.mentors)):
        records = [{k: v for k, v in r.items() if v is not None} for r in frame_records(frame)]
        _ok(
            client.post(
                f"/v1/programmes/{programme_id}/participants/{side}",
                json={"participants": records},
                headers=admin,
            ),
            200,
        )
    key = _ok(
        client.post(
            "/v1/keys",
            json={"role": "coordinator", "programme_id": programme_id, "label": "web tests"},
            headers=admin,
        ),
        201,
    )["key"]
    return programme_id, str(key)
