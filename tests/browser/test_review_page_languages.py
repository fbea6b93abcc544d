"""The review page in Arabic (right to left) and in French, in Debian's chromium: every
label and every explanation in the page's language, the layout mirrored for Arabic, and
the language switch between the three. Screenshots go with the other test artefacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RUN_TIMEOUT = 60_000
LATIN = re.compile(r"[A-Za-z]")
ENGLISH = re.compile(r"\b(covers|both speak|in common|same|related|hours|similar|level)\b")


def _page(browser: Any, site: Site, locale: str, accept: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site.base_url,
        viewport={"width": 1366, "height": 900},
        locale=locale,
        extra_http_headers={"Accept-Language": accept},
    )
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def arabic(browser: Any, site: Site) -> Iterator[Page]:
    yield from _page(browser, site, "ar-MA", "ar-MA,ar;q=0.9")


@pytest.fixture
def french(browser: Any, site: Site) -> Iterator[Page]:
    yield from _page(browser, site, "fr-FR", "fr-FR,fr;q=0.9")


def _open_run(page: Page, key: str, key_label: str, submit: str, review: str) -> None:
    page.goto("/")
    page.get_by_label(key_label).fill(key)
    page.get_by_role("button", name=submit).click()
    page.get_by_role("link", name=re.compile(f"^{review}")).first.click()


def test_arabic_review_page_is_right_to_left_and_explains_in_arabic(
    arabic: Page, site: Site
) -> None:
    page = arabic
    _open_run(page, site.key_b, "مفتاح التنسيق", "دخول", "مراجعة")
    expect(page.get_by_role("heading", name="الثنائيات المقترحة")).to_be_visible(
        timeout=RUN_TIMEOUT
    )
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    why = page.locator("#pairs-body td.why").all_inner_texts()
    assert why
    for text in why:
        assert text.strip()
        assert not LATIN.search(text), text
    # Right to left: the first column (the tick box) is the rightmost one.
    first = page.locator("#pairs-body > tr").first
    select = first.locator("td.select").bounding_box()
    mentee = first.locator("th.person").bounding_box()
    assert select is not None
    assert mentee is not None
    assert select["x"] > mentee["x"]
    # A decision, in Arabic.
    first.get_by_role("button", name=re.compile("^قبول")).click()
    expect(first.locator(".decision-badge")).to_have_text("مقبول")
    screenshot(page, "review-ar", full_page=False)
    # The switch links name each language in its own words; French is left to right.
    page.get_by_role("link", name="Français").click()
    expect(page.get_by_role("heading", name="Binômes proposés")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.get_by_role("link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_french_review_page_explains_in_french(french: Page, site: Site) -> None:
    page = french
    _open_run(page, site.key_b, "Clé de coordination", "Se connecter", "Revoir")
    expect(page.get_by_role("heading", name="Binômes proposés")).to_be_visible(timeout=RUN_TIMEOUT)
    why = page.locator("#pairs-body td.why").all_inner_texts()
    assert why
    for text in why:
        assert not ENGLISH.search(text), text
        assert not re.search(r"[a-z]+_[a-z]+", text), text
    assert any("couvre" in text for text in why)
    screenshot(page, "review-fr", full_page=False)
