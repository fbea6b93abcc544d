"""A programme that signs people up through its forms: French column names, a needs
criterion with its tags, languages, weekly availability and a city to choose from, a
language column per person, and mentees who are minors."""

from __future__ import annotations

from typing import Any

from tests.service.conftest import Api


def _labels(**values: tuple[str, str, str]) -> dict[str, dict[str, str]]:
    return {key: {"fr": fr, "ar": ar, "en": en} for key, (fr, ar, en) in values.items()}


CONFIG: dict[str, Any] = {
    "name": "Passerelles",
    "language": "fr",
    "sign_up": {"minors": True},
    "fields": {
        "mentee": {"name": "nom", "email": "courriel", "language": "langue", "groups": ["ville"]},
        "mentor": {"name": "nom", "email": "courriel", "language": "langue", "capacity": "places"},
    },
    "criteria": [
        {
            "kind": "needs",
            "name": "besoins",
            "mentee_field": "besoins",
            "mentor_field": "expertise",
            "weight": 0.4,
            "title": {"fr": "besoins", "ar": "الاحتياجات", "en": "needs"},
            "labels": _labels(
                site_web=("site web", "الموقع الإلكتروني", "website"),
                marketing=("marketing", "التسويق", "marketing"),
                comptabilite=("comptabilité", "المحاسبة", "bookkeeping"),
            ),
        },
        {
            "kind": "overlap",
            "name": "langues",
            "mentee_field": "langues",
            "mentor_field": "langues",
            "weight": 0.2,
            "required": True,
            "title": {"fr": "langues parlées", "ar": "اللغات", "en": "languages"},
            "labels": _labels(
                francais=("français", "الفرنسية", "French"),
                arabe=("arabe", "العربية", "Arabic"),
                darija=("darija", "الدارجة", "Darija"),
            ),
        },
        {
            "kind": "availability",
            "name": "dispo",
            "mentee_field": "dispo",
            "mentor_field": "dispo",
            "weight": 0.2,
            "title": {"fr": "disponibilités", "ar": "الأوقات المتاحة", "en": "availability"},
        },
        {
            "kind": "category",
            "name": "ville",
            "mentee_field": "ville",
            "mentor_field": "ville",
            "weight": 0.2,
            "title": {"fr": "ville", "ar": "المدينة", "en": "city"},
            "labels": _labels(
                casablanca=("Casablanca", "الدار البيضاء", "Casablanca"),
                rabat=("Rabat", "الرباط", "Rabat"),
            ),
        },
    ],
}


def mentee(i: int, **changes: Any) -> dict[str, Any]:
    """A mentee's answers as cells of her row."""
    return {
        "nom": f"Salma Bennani-{i}",
        "courriel": f"salma{i}@exemple.test",
        "langue": "ar" if i % 2 else "fr",
        "besoins": "site_web:1|marketing:2",
        "langues": "arabe|francais",
        "dispo": "mon 18-20|sat 9-12",
        "ville": "casablanca",
        **changes,
    }


def mentor(j: int, **changes: Any) -> dict[str, Any]:
    return {
        "nom": f"Khadija Alaoui-{j}",
        "courriel": f"khadija{j}@exemple.test",
        "langue": "fr",
        "expertise": "site_web:5|marketing:4",
        "langues": "francais|arabe",
        "dispo": "mon 18-21|sat 9-12",
        "ville": "casablanca",
        "places": 2,
        **changes,
    }


def sign_up_programme(api: Api, people: int = 3) -> str:
    """The programme with :data:`CONFIG`, ``people`` mentors and mentees uploaded."""
    programme_id = api.programme("Passerelles")
    auth = api.auth()
    response = api.client.put(
        f"/v1/programmes/{programme_id}/config", json={"config": CONFIG}, headers=auth
    )
    assert response.status_code == 200, response.text
    for side, rows in (
        ("mentees", [{"id": f"e{i}", **mentee(i)} for i in range(people)]),
        ("mentors", [{"id": f"r{j}", **mentor(j)} for j in range(people)]),
    ):
        response = api.client.post(
            f"/v1/programmes/{programme_id}/participants/{side}",
            json={"participants": rows},
            headers=auth,
        )
        assert response.status_code == 200, response.text
    return programme_id


def form_link(api: Api, programme_id: str, side: str, days: int | None = None) -> tuple[str, str]:
    """A new form link: (its id, its token)."""
    response = api.client.post(
        f"/v1/programmes/{programme_id}/sign-up-forms",
        json={"side": side, "days": days},
        headers=api.auth(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["link"].rsplit("/", 1)[1]


def submission(cells: dict[str, Any], *, guardian: bool = True) -> dict[str, Any]:
    return {"fields": cells, "consent": True, "guardian_consent": guardian}
