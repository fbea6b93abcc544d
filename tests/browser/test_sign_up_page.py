"""The public sign-up form in Chromium: a mentee fills it in French and a mentor in
Arabic (laid out right to left) — tags with levels, languages, weekly hours, a city,
consents — and sends it from the keyboard; each lands pending a coordinator's approval
with her answers as a file would hold them, and her own link shows them back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_key
from service.db import session_scope
from service.settings import Settings
from service.worker import Worker
from tests.browser.conftest import screenshot
from tests.service.conftest import Api
from tests.service.pg import free_port
from tests.service.sign_up_world import form_link, sign_up_programme

pytestmark = pytest.mark.browser

SEATS = "عدد المستفيدات اللواتي يمكنك إرشادهن *"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Api, str]]:
    """A server on a loopback port with the sign-up programme; yields its URL, the API
    and the programme."""
    folder: Path = tmp_path_factory.mktemp("sign-up")
    port = free_port()  # the links the server writes point at it
    settings = Settings(
        database_url=f"sqlite:///{folder / 'm.db'}",
        public_url=f"http://127.0.0.1:{port}",
        log_level="WARNING",
    )
    app = create_app(settings)
    with session_scope(app.state.sessions) as session:
        _row, admin_key = create_key(session, "admin", None)
    api = Api(TestClient(app), admin_key, Worker(settings, app.state.engine))
    programme_id = sign_up_programme(api)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
            assert thread.is_alive(), "the server stopped"
        yield f"http://127.0.0.1:{port}", api, programme_id
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.engine.dispose()


def _pending(api: Api, programme_id: str, side: str) -> list[dict[str, Any]]:
    response = api.client.get(
        f"/v1/programmes/{programme_id}/sign-ups?side={side}", headers=api.auth()
    )
    return list(response.json()["items"])


def test_a_mentee_signs_up_in_french(served: tuple[str, Api, str], browser: Any) -> None:
    base_url, api, programme_id = served
    _id, token = form_link(api, programme_id, "mentees")
    page = browser.new_page(locale="fr-FR", extra_http_headers={"Accept-Language": "fr"})
    page.goto(f"{base_url}/sign-up/{token}")
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.text_content("h1") == "S'inscrire comme mentorée"
    page.get_by_label("Votre nom *").fill("Inès Tazi")
    page.get_by_label("Votre adresse e-mail").fill("ines@exemple.test")
    page.get_by_label("La langue dans laquelle vous écrire *").select_option("fr")
    page.get_by_label("site web", exact=True).check()
    page.select_option('select[name="besoins.level.site_web"]', "2")
    page.get_by_label("comptabilité", exact=True).check()
    page.select_option('select[name="besoins.level.comptabilite"]', "1")
    page.get_by_label("français", exact=True).check()
    page.get_by_label("Lundi, De").select_option("18")
    page.get_by_label("Lundi, À").select_option("20")
    page.get_by_label("ville", exact=True).select_option("rabat")
    page.get_by_label("J'accepte").check()
    page.get_by_label("Un parent ou tuteur légal").check()
    screenshot(page, "sign-up-fr")
    page.focus("#sign-up-submit")
    page.keyboard.press("Enter")  # sent from the keyboard
    page.wait_for_selector("#sign-up-done")
    assert "a bien reçu votre inscription" in (page.text_content("#sign-up-done") or "")
    [pending] = _pending(api, programme_id, "mentees")
    assert pending["fields"]["besoins"] == "site_web:2|comptabilite:1"
    assert pending["fields"]["dispo"] == "mon 18-20"
    assert pending["fields"]["ville"] == "rabat"

    page.click("#own-link")  # her own link shows her answers back
    page.wait_for_selector("#sign-up-status")
    assert page.input_value("#field-1") == "Inès Tazi"
    assert page.get_by_label("comptabilité", exact=True).is_checked()
    page.close()


def test_a_mentor_signs_up_in_arabic_right_to_left(
    served: tuple[str, Api, str], browser: Any
) -> None:
    base_url, api, programme_id = served
    _id, token = form_link(api, programme_id, "mentors")
    page = browser.new_page(locale="ar-MA", extra_http_headers={"Accept-Language": "ar"})
    page.goto(f"{base_url}/sign-up/{token}")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.text_content("h1") == "التسجيل كمرشدة"
    page.get_by_label("اسمك *").fill("خديجة العلوي")
    # The language to write to her in is first the page's.
    assert page.get_by_label("اللغة التي نراسلك بها *").input_value() == "ar"
    page.get_by_label("التسويق", exact=True).check()
    page.select_option('select[name="expertise.level.marketing"]', "5")
    page.get_by_label("العربية", exact=True).check()
    page.get_by_label("الدارجة", exact=True).check()
    page.get_by_label("السبت, من").select_option("9")
    page.get_by_label("السبت, إلى").select_option("12")
    page.get_by_label(SEATS).fill("2")
    page.get_by_label("أوافق").check()
    screenshot(page, "sign-up-ar")
    page.get_by_label(SEATS).fill("0")  # below the form's minimum: refused
    page.evaluate("document.getElementById('sign-up-form').noValidate = true")
    page.focus("#sign-up-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sign-up-problems")
    assert "عدد المستفيدات اللواتي يمكنك إرشادهن: يجب أن يكون عددًا من 1 إلى 20" in (
        page.text_content("#sign-up-problems") or ""
    )
    assert page.input_value("#field-1") == "خديجة العلوي"  # her answers kept
    page.get_by_label(SEATS).fill("2")
    page.get_by_label("أوافق").check()
    page.focus("#sign-up-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sign-up-done")
    [pending] = _pending(api, programme_id, "mentors")
    fields = pending["fields"]
    assert (fields["expertise"], fields["langues"], fields["dispo"]) == (
        "marketing:5",
        "arabe|darija",
        "sat 9-12",
    )
    assert fields["capacity"] == 2
    page.close()
