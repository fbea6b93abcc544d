"""Fixtures for the browser tests: a real server (``marraine serve``: uvicorn + worker
subprocess) on a loopback port with two synthetic programmes, and Debian's chromium driven
by Playwright for Python (``executable_path``; Playwright downloads nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.cohort import setup_programme
from tests.service.pg import free_port
from tests.service.processes import ROOT, python, service_env, stop, wait_for

KEYS = "from service.cli import keys_app; keys_app()"
SERVE = "import sys; from service.cli import serve; serve('127.0.0.1', int(sys.argv[1]))"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class Site:
    """The running server and what the tests need to know about its programmes."""

    base_url: str
    admin_key: str
    programme_a: str
    key_a: str
    programme_b: str
    key_b: str
    run_b: str


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser")
    env = service_env(f"sqlite:///{folder / 'marraine.db'}")
    created = subprocess.run(
        [sys.executable, "-c", KEYS, "create", "--role", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    admin_key = created.stdout.strip()
    port = free_port()
    process = python(SERVE, env, str(port))
    base_url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base_url, timeout=30)

    def healthy() -> bool:
        try:
            return client.get("/health").status_code == 200
        except httpx.TransportError:
            assert process.poll() is None, "the server exited"
            return False

    try:
        wait_for(healthy, "the server to start")
        programme_a, key_a = setup_programme(client, admin_key, "Digital Maghreb", seed=11)
        programme_b, key_b = setup_programme(client, admin_key, "Coopératives Sahel", seed=12)
        admin = {"Authorization": f"Bearer {admin_key}"}
        run_b = _ok(client.post(f"/v1/programmes/{programme_b}/runs", json={}, headers=admin), 202)[
            "id"
        ]
        wait_for(
            lambda: _ok(client.get(f"/v1/runs/{run_b}", headers=admin))["status"] == "succeeded",
            "programme B's run",
        )
        yield Site(base_url, admin_key, programme_a, key_a, programme_b, key_b, str(run_b))
    finally:
        client.close()
        stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true" or shutil.which("apt-get") is None:
            pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium.sh")
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install-chromium.sh")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as a test artefact (``test-artifacts/screenshots/``)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
