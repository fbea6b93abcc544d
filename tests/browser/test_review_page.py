"""The coordinator review page in Debian's chromium (Playwright for Python) against a real
server and worker: sign in, start and open a run, approve, reject, lock, swap,
bulk-approve, filter, rematch, read the diff, publish, export; another programme's pages
answer 404; a form posted without its CSRF token is refused; French at phone width."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RUN_TIMEOUT = 60_000
"""How long a run may take to appear finished (ms); Playwright polls, nothing sleeps."""


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site.base_url,
        viewport={"width": 1366, "height": 900},
        locale="en-GB",
        accept_downloads=True,
    )
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    yield new_page
    context.close()
    csp = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not csp, f"the page broke its own CSP: {csp}"


def sign_in(page: Page, key: str) -> None:
    page.goto("/")
    page.get_by_label("Coordinator key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def wait_for_review(page: Page) -> None:
    expect(page.get_by_role("heading", name="Suggested pairs")).to_be_visible(timeout=RUN_TIMEOUT)


def row_ids(page: Page) -> list[str]:
    ids = page.locator("#pairs-body > tr").evaluate_all("rows => rows.map(r => r.id)")
    return [str(i) for i in ids]


def test_coordinator_reviews_rematches_publishes_exports(page: Page, site: Site) -> None:
    sign_in(page, site.key_a)
    expect(page.get_by_role("heading", name=re.compile("Digital Maghreb"))).to_be_visible()
    expect(page.locator("#count-mentees")).to_have_text("60")

    # Start a run; the page shows its live status until the worker is done.
    page.get_by_role("button", name="Start a match run").click()
    wait_for_review(page)
    run_url = page.url
    rows = row_ids(page)
    assert len(rows) >= 8

    def row(index: int) -> Any:
        return page.locator(f"#{rows[index]}")

    # Approve, reject, lock: each row is swapped in place by htmx.
    row(0).get_by_role("button", name=re.compile("^Approve")).click()
    expect(row(0).locator(".decision-badge")).to_have_text("approved")
    row(1).get_by_role("button", name=re.compile("^Reject")).click()
    expect(row(1).locator(".decision-badge")).to_have_text("rejected")
    # Keyboard: focus the lock button, press Enter; focus stays on it after the swap.
    lock = row(2).get_by_role("button", name=re.compile("^Lock"))
    lock.focus()
    page.keyboard.press("Enter")
    expect(row(2).locator(".decision-badge")).to_have_text("locked")
    expect(row(2).get_by_role("button", name=re.compile("^Lock"))).to_be_focused()

    # Swap: the first later row with an alternative mentor who has a free seat.
    swapped = next(
        i
        for i in range(3, len(rows))
        if row(i).locator("select[name=new_mentor_id] option:not([disabled])").count()
    )
    option = row(swapped).locator("select[name=new_mentor_id] option:not([disabled])").first
    new_mentor = option.get_attribute("value")
    assert new_mentor
    row(swapped).locator("select[name=new_mentor_id]").select_option(new_mentor)
    row(swapped).get_by_role("button", name=re.compile("^Swap")).click()
    expect(row(swapped).locator(".mentor-id")).to_have_text(new_mentor)
    expect(row(swapped).locator(".decision-badge")).to_have_text("approved")

    # Bulk-approve two suggested rows.
    bulk = [i for i in range(3, len(rows)) if i != swapped][:2]
    for i in bulk:
        row(i).get_by_role("checkbox").check()
    page.locator("#bulk-action").select_option("approve")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#flash")).to_contain_text("2 pairs: approved.")
    for i in bulk:
        expect(row(i).locator(".decision-badge")).to_have_text("approved")

    # The README's picture: the table with its decisions, at laptop width.
    page.locator("#pairs-h").evaluate(
        "h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 8)"
    )
    screenshot(page, "review-viewport", full_page=False)

    # Filter and sort: only the approved pairs, lowest score first.
    page.get_by_label("Decision", exact=True).select_option("approved")
    page.get_by_label("Sort by").select_option("score_asc")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.locator("#shown-count")).to_contain_text("4 of")
    expect(page.locator("#pairs-body > tr")).to_have_count(4)
    page.goto(run_url)
    wait_for_review(page)
    expect(page.locator("#unmatched-h")).to_be_visible()
    expect(page.locator("#gaps-h")).to_be_visible()
    # Scores, loads, and rate and mean score by status, by country and by region (the
    # default programme's groups and region).
    expect(page.locator("svg.chart")).to_have_count(8)
    screenshot(page, "review-laptop")
    page.locator("#pairs").screenshot(path=str(screenshot_path("review-table")))

    # Rematch honouring the decisions, then read the diff.
    page.get_by_role("button", name="Rematch honouring decisions").click()
    wait_for_review(page)
    rematch_url = page.url
    assert rematch_url != run_url
    page.get_by_role("link", name="What changed since the previous run").click()
    expect(page.get_by_role("heading", name="What changed", exact=True)).to_be_visible()
    expect(page.locator("#honoured")).to_have_text(
        "5 approved or locked pairs kept; 1 rejected pairs not proposed again."
    )
    expect(page.locator("svg.chart")).to_have_count(8)
    screenshot(page, "rematch-diff")

    # Publish the rematch: its approved and locked pairs become the active pairs.
    page.goto(rematch_url)
    page.get_by_role("button", name="Publish approved pairs").click()
    expect(page.locator("#flash")).to_have_text("Published: 5 active pairs.")
    expect(page.locator("#published-at")).to_be_visible()

    # Export: CSV and XLSX of the pairs, with one column per criterion.
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    table = list(csv.reader(io.StringIO(read_download(download_info.value).decode("utf-8-sig"))))
    assert table[0][:5] == ["mentee_id", "mentee_name", "mentor_id", "mentor_name", "score"]
    assert "needs" in table[0]
    assert "why" in table[0]
    assert len(table) - 1 >= len(rows) - 3
    decisions = [r[table[0].index("decision")] for r in table[1:]]
    assert decisions.count("approved") + decisions.count("locked") == 5
    with page.expect_download() as download_info:
        page.locator("#export-xlsx").click()
    sheet = load_workbook(io.BytesIO(read_download(download_info.value))).active
    assert [c.value for c in sheet[1]][:3] == ["mentee_id", "mentee_name", "mentor_id"]
    assert sheet.max_row == len(table)

    page.get_by_role("link", name=re.compile("Back to the programme")).click()
    expect(page.locator("#count-active")).to_have_text("5")
    screenshot(page, "dashboard")


def screenshot_path(name: str) -> Any:
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def read_download(download: Any) -> bytes:
    path = download.path()
    with open(path, "rb") as handle:
        return handle.read()


def test_other_programme_is_not_found_and_csrf_is_required(page: Page, site: Site) -> None:
    sign_in(page, site.key_a)
    expect(page.get_by_role("heading", name=re.compile("Digital Maghreb"))).to_be_visible()
    for path in (
        f"/programmes/{site.programme_b}",
        f"/runs/{site.run_b}",
        f"/runs/{site.run_b}/diff",
        f"/runs/{site.run_b}/export.csv",
        f"/runs/{site.run_b}/row",
    ):
        response = page.request.get(path)
        assert response.status == 404, path
        assert "Coopératives Sahel" not in response.text()
    response = page.goto(f"/programmes/{site.programme_b}")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("another programme")
    # Writes to the other programme: 404 even with a valid token.
    page.goto(f"/programmes/{site.programme_a}")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    refused = page.request.post(
        f"/runs/{site.run_b}/publish", form={"csrf_token": token}, max_redirects=0
    )
    assert refused.status == 404
    # A form posted without the CSRF token is refused, even when signed in.
    missing = page.request.post(
        f"/programmes/{site.programme_a}/runs", form={"objective": ""}, max_redirects=0
    )
    assert missing.status == 403
    wrong = page.request.post("/signout", form={"csrf_token": "not-the-token"}, max_redirects=0)
    assert wrong.status == 403
    headers = page.request.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_french_at_phone_width(browser: Any, site: Site) -> None:
    context = browser.new_context(
        base_url=site.base_url,
        viewport={"width": 390, "height": 844},
        locale="fr-FR",
        extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        page.goto("/")
        expect(page.get_by_role("heading", name="Connexion coordinatrice")).to_be_visible()
        page.get_by_label("Clé de coordination").fill(site.key_b)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name=re.compile("Coopératives Sahel"))).to_be_visible()
        page.get_by_role("link", name=re.compile("^Revoir")).first.click()
        expect(page.get_by_role("heading", name="Binômes proposés")).to_be_visible()
        # At phone width, rows are stacked cards: nothing wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1
        first = page.locator("#pairs-body > tr").first
        first.get_by_role("button", name=re.compile("^Approuver")).click()
        expect(first.locator(".decision-badge")).to_have_text("approuvé")
        first.evaluate(
            "r => window.scrollTo(0, r.getBoundingClientRect().top + window.scrollY - 8)"
        )
        screenshot(page, "review-phone-fr", full_page=False)
        # Switch to English with the link; the choice sticks.
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="Suggested pairs")).to_be_visible()
    finally:
        context.close()
