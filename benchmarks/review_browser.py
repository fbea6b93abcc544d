"""The review page in Chromium: time to interactive of the views a coordinator opens.

``python -m benchmarks.review_browser`` (``make bench-review``) starts a real server
(``marraine serve`` with one worker, SQLite in a temporary folder), loads a seeded
synthetic cohort through the HTTP API as a programme would (both files, then a run), signs
in as the coordinator in Debian's chromium driven by Playwright and opens each view of the
review page ``REPEATS`` times. Each view is a page load (filters, sorts and pages are
links and GET forms), so its time to interactive is read from the browser's own
navigation timing:

- **server**: the request's start to the response's first byte (what the server spends);
- **interactive**: navigation start to ``domInteractive`` — the page parsed, its
  controls usable (the issue's "to interactive": at most 400 ms at 30,000 pairs, 500 ms
  at 100,000);
- **loaded**: navigation start to the ``load`` event (styles, scripts and charts done).

The first view after the run is reported apart (``first view``): it reads the run into
the server's review cache. Medians over the repeats; nothing is asserted. Output: a
table, ``results/<name>.json`` and ``results/<name>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from playwright.sync_api import Page, sync_playwright

from benchmarks.run import machine_info, parse_sizes
from matching.synthetic import generate_cohort

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
FULL_SIZES = "30000x3000"
QUICK_SIZES = "3000x300"
REPEATS = 5
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
SERVER_TARGET_SECONDS = 0.25
"""Any filter, sort or page: server time at 30,000 pairs."""


def interactive_target(pairs: int) -> float:
    """The issue's time-to-interactive target for a run of this many pairs."""
    return 0.4 if pairs <= 30_000 else 0.5


# Navigation timing of the page just loaded, in seconds from navigation start.
TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {server: (n.responseStart - n.requestStart) / 1000,
          interactive: n.domInteractive / 1000,
          loaded: n.loadEventEnd / 1000};
}"""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.review_browser",
        description="The review page's views in Chromium: server time and time to interactive.",
    )
    parser.add_argument("--sizes", help=f"cohorts (default {FULL_SIZES}; e.g. 100000x10000)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZES} only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="results file stem (default review-browser or -quick)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    args.name = args.name or ("review-browser-quick" if args.quick else "review-browser")
    return args


def _marraine(*args: str) -> list[str]:
    """The ``marraine`` command installed beside this interpreter."""
    return [str(Path(sys.executable).parent / "marraine"), *args]


@contextmanager
def _server(folder: Path) -> Iterator[tuple[str, str]]:
    """``marraine serve`` with one worker on a fresh SQLite file; yields (url, admin key)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'marraine.db'}",
        "MARRAINE_SECRET_KEY": "bench",
        "MARRAINE_LOG_LEVEL": "WARNING",
        "MARRAINE_WORKERS": "1",
    }
    key = subprocess.run(
        _marraine("keys", "create", "--role", "admin"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with httpx.Client() as probe:
        port = _free_port()
        log = (folder / "server.log").open("wb")
        process = subprocess.Popen(
            _marraine("serve", "--port", str(port)), env=env, cwd=ROOT, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(lambda: _healthy(probe, url, process), "the server to start", 120)
            yield url, key
        finally:
            process.terminate()
            process.wait(timeout=60)
            log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(client: httpx.Client, url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError("the server exited; see its log")
    try:
        return client.get(f"{url}/health").status_code == 200
    except httpx.TransportError:
        return False


def _wait(condition: Any, what: str, seconds: float) -> Any:
    end = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return value


def _seed(url: str, key: str, n: int, m: int, seed: int) -> tuple[str, str, pd.DataFrame]:
    """A programme with the cohort's files and a finished run: (programme, run, mentees)."""
    cohort = generate_cohort(n, m, seed=seed)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=600) as api:
        programme = api.post("/v1/programmes", json={"name": "bench"}).json()["id"]
        for side, frame in (("mentees", cohort.mentees), ("mentors", cohort.mentors)):
            data = frame.to_csv(index=False).encode()
            answer = api.post(
                f"/v1/programmes/{programme}/participants/{side}/file",
                files={"file": (f"{side}.csv", data, "text/csv")},
            )
            answer.raise_for_status()
        run = api.post(f"/v1/programmes/{programme}/runs", json={}).json()["id"]

        def finished() -> str | None:
            status = str(api.get(f"/v1/runs/{run}").json()["status"])
            if status in ("failed", "cancelled"):
                raise RuntimeError(f"the run ended {status}")
            return status if status == "succeeded" else None

        _wait(finished, "the run", 3600)
    return str(programme), str(run), cohort.mentees


def _views(run: str, mentees: pd.DataFrame) -> dict[str, str]:
    review = f"/runs/{run}"
    region = str(mentees["region"].mode().iloc[0])
    return {
        "review": review,
        "page 20": f"{review}?page=20",
        "lowest first": f"{review}?sort=score_asc",
        "one region": f"{review}?region={region}",
        "by a criterion": f"{review}?sort=crit:needs",
        "unmet criterion": f"{review}?unmet=language",
        "unmatched, page 2": f"{review}?unmatched_page=2#unmatched",
    }


def _open(page: Page, url: str) -> dict[str, float]:
    answer = page.goto(url, wait_until="load")
    if answer is None or answer.status != 200:
        raise RuntimeError(f"{url} answered {None if answer is None else answer.status}")
    timing: dict[str, float] = page.evaluate(TIMING)
    return timing


def _browse(url: str, key: str, views: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each view's median timings, after a first (cache-filling) view of the run."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(base_url=url)
            page.goto("/")
            page.get_by_label("Coordinator key").fill(key)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state("load")
            timings = {"first view": _open(page, views["review"])}
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in views}
            for _ in range(REPEATS):
                for name, path in views.items():
                    rounds[name].append(_open(page, path))
        finally:
            browser.close()
    for name, measured in rounds.items():
        timings[name] = {
            part: round(statistics.median(t[part] for t in measured), 3)
            for part in ("server", "interactive", "loaded")
        }
    timings["first view"] = {part: round(v, 3) for part, v in timings["first view"].items()}
    return timings


def _measure(n: int, m: int, seed: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="marraine-review-bench-") as folder,
        _server(Path(folder)) as (url, key),
    ):
        started = time.perf_counter()
        _programme, run, mentees = _seed(url, key, n, m, seed)
        seeded = time.perf_counter() - started
        timings = _browse(url, key, _views(run, mentees))
    return {"mentees": n, "mentors": m, "seed_seconds": round(seeded, 1), "views": timings}


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| cohort | view | server s | interactive s | loaded s | target (interactive) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        cohort = f"{row['mentees']:,} x {row['mentors']:,}"
        target = interactive_target(row["mentees"])
        for view, t in row["views"].items():
            missed = view != "first view" and t["interactive"] > target
            mark = f"**missed** (≤ {target})" if missed else f"≤ {target}"
            lines.append(
                f"| {cohort} | {view} | {t['server']:.3f} | {t['interactive']:.3f} | "
                f"{t['loaded']:.3f} | {mark if view != 'first view' else 'fills the cache'} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run scripts/install-chromium.sh")
    rows = []
    for n, m in args.sizes:
        print(f"{n:,} x {m:,}: seeding through the API, then Chromium ...", flush=True)
        rows.append(_measure(n, m, args.seed))
    table = _table(rows)
    print(table)
    result = {
        "machine": machine_info(),
        "repeats": REPEATS,
        "server_target_seconds": SERVER_TARGET_SECONDS,
        "rows": rows,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(result, indent=2))
    (args.out_dir / f"{args.name}.md").write_text(table + "\n")
    return result


if __name__ == "__main__":
    main()
