"""The three programmes of ``tests/data/programmes`` on the review page in Debian's
chromium, against a real server and worker: each created from its TOML file with its own
participant files; the check panel before a run; the pairs with the names of the
programme's own name column, the filters and charts of its group columns, the warnings
banner, the quota report and the gaps by group — in English, French and Arabic."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import KEYS, SERVE, screenshot
from tests.browser.test_review_page import RUN_TIMEOUT, sign_in, wait_for_review
from tests.service.pg import free_port
from tests.service.processes import ROOT, python, service_env, stop, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROGRAMMES = ROOT / "tests" / "data" / "programmes"


@dataclass
class Programme:
    id: str
    key: str
    run: str | None


@dataclass
class Site:
    base_url: str
    programmes: dict[str, Programme]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text[:1000]
    return response.json()


def _create(client: httpx.Client, admin: dict[str, str], name: str, run: bool) -> Programme:
    folder = PROGRAMMES / name
    programme_id = _ok(
        client.post(
            "/v1/programmes",
            params={"name": name},
            content=(folder / "programme.toml").read_bytes(),
            headers={**admin, "Content-Type": "application/toml"},
        ),
        201,
    )["id"]
    for side in ("mentees", "mentors"):
        with (folder / f"{side}.csv").open("rb") as handle:
            _ok(
                client.post(
                    f"/v1/programmes/{programme_id}/participants/{side}/file",
                    files={"file": (f"{side}.csv", handle, "text/csv")},
                    headers=admin,
                )
            )
    key = _ok(
        client.post(
            "/v1/keys",
            json={"role": "coordinator", "programme_id": programme_id},
            headers=admin,
        ),
        201,
    )["key"]
    run_id = None
    if run:
        run_id = _ok(client.post(f"/v1/programmes/{programme_id}/runs", headers=admin), 202)["id"]
        wait_for(
            lambda: _ok(client.get(f"/v1/runs/{run_id}", headers=admin))["status"] == "succeeded",
            f"the {name} run",
        )
    return Programme(str(programme_id), str(key), run_id)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("own-programmes")
    env = service_env(f"sqlite:///{folder / 'marraine.db'}")
    created = subprocess.run(
        [sys.executable, "-c", KEYS, "create", "--role", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    admin = {"Authorization": f"Bearer {created.stdout.strip()}"}
    port = free_port()
    process = python(SERVE, env, str(port))
    base_url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base_url, timeout=60)

    def healthy() -> bool:
        try:
            return client.get("/health").status_code == 200
        except httpx.TransportError:
            assert process.poll() is None, "the server exited"
            return False

    try:
        wait_for(healthy, "the server to start")
        programmes = {
            "lycee": _create(client, admin, "lycee", run=False),
            "maroc": _create(client, admin, "maroc", run=True),
            "dix-pays": _create(client, admin, "dix-pays", run=True),
        }
        yield Site(base_url, programmes)
    finally:
        client.close()
        stop(process)


def _page(browser: Any, site: Site, locale: str) -> Any:
    context = browser.new_context(
        base_url=site.base_url, viewport={"width": 1366, "height": 900}, locale=locale
    )
    return context, context.new_page()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Page]:
    context, new_page = _page(browser, site, "en-GB")
    yield new_page
    context.close()


def test_lycee_checked_then_run_shows_names_and_groups(page: Page, site: Site) -> None:
    lycee = site.programmes["lycee"]
    sign_in(page, lycee.key)
    # The check before the run: every role found, every rule on with the pairs it excludes.
    page.get_by_role("button", name="Check", exact=True).click()
    report = page.locator("#check-report")
    expect(report.locator("#check-clean")).to_be_visible()
    expect(report.locator("table.check-roles")).to_contain_text("capacité")
    for rule in ("souhaite_une_marraine", "marraines_femmes", "meme_lycee"):
        expect(report.locator("table.check-rules")).to_contain_text(rule)
    page.get_by_role("button", name="Start a match run").click()
    wait_for_review(page)
    first = page.locator("#pairs-body > tr").first
    expect(first.locator(".person .name").first).not_to_be_empty()
    # A filter per group column of the programme, with its real values.
    classe = page.get_by_label("classe", exact=True)
    options = classe.locator("option").all_inner_texts()
    assert {"seconde", "première", "terminale"} <= set(options), options
    classe.select_option(label="terminale")
    page.locator("#apply-filters").click()
    page.wait_for_url(re.compile(r"group=classe%3Dterminale"))
    metas = page.locator("#pairs-body .meta").all_inner_texts()
    assert metas
    assert all("terminale" in m for m in metas)
    charts = page.locator("#charts")
    expect(charts).to_contain_text("Match rate by classe")
    expect(charts).to_contain_text("Match rate by établissement")
    screenshot(page, "own-programme-lycee")


def test_maroc_quota_report_in_french(browser: Any, site: Site) -> None:
    maroc = site.programmes["maroc"]
    context, page = _page(browser, site, "fr-FR")
    try:
        page.goto("/")
        page.locator("input[name=key]").fill(maroc.key)
        page.locator("form[action='/'] button[type=submit]").click()
        page.goto(f"/runs/{maroc.run}")
        quotas = page.locator("#quotas")
        expect(quotas.get_by_role("heading", name="Quotas")).to_be_visible(timeout=RUN_TIMEOUT)
        expect(quotas.locator("tbody tr")).to_have_count(1)
        expect(quotas).to_contain_text("statut: coopérative")
        expect(quotas).to_contain_text("atteint")
        expect(page.locator("#groups")).to_contain_text("coopérative")
        expect(page.locator("#charts")).to_contain_text("Taux d'appariement par statut")
    finally:
        context.close()


def test_dix_pays_warnings_and_gaps_by_country_in_arabic(browser: Any, site: Site) -> None:
    dix = site.programmes["dix-pays"]
    context, page = _page(browser, site, "ar")
    try:
        page.goto("/")
        page.locator("input[name=key]").fill(dix.key)
        page.locator("form[action='/'] button[type=submit]").click()
        page.goto(f"/runs/{dix.run}")
        warnings = page.locator("#warnings")
        expect(warnings).to_be_visible(timeout=RUN_TIMEOUT)
        expect(warnings.get_by_role("heading")).to_have_text("تنبيهات حول البيانات")
        expect(warnings).to_contain_text("how_did_you_hear")
        gaps = page.locator("ul.group-gaps li")
        assert gaps.count() > 0
        expect(page.locator("#f-region option")).not_to_have_count(0)
        screenshot(page, "own-programme-dix-pays-ar")
    finally:
        context.close()
