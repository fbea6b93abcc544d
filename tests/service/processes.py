"""Starting the service and its worker as real processes, and waiting on conditions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], what: str, deadline: float = 60.0) -> T:
    """Poll ``condition`` until it returns a truthy value or the deadline passes."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MARRAINE_SECRET_KEY": "test-secret",
        "MARRAINE_HEARTBEAT_SECONDS": "0.05",
        "MARRAINE_WORKER_POLL_SECONDS": "0.05",
        "MARRAINE_LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def gated_env(
    env: dict[str, str], folder: Path, gate: Path, module: str = "tests.service.gated_engine"
) -> dict[str, str]:
    """``env`` for processes that import ``module`` at start-up (by a ``sitecustomize``)
    with the file ``gate`` named in ``GATE_FILE``: by default
    :mod:`tests.service.gated_engine`, whose engine waits while that file exists."""
    site = folder / "gated-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(f"import {module}\n")
    return {**env, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "GATE_FILE": str(gate)}


def python(
    code: str, env: dict[str, str], *args: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``python -c code`` from the repository root (so ``tests`` is importable); its
    stderr goes to ``log`` when given (a file: a pipe nobody reads could fill up)."""
    stderr = log.open("ab") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    finally:
        if log is not None:
            stderr.close()  # type: ignore[union-attr]


def children(pid: int) -> list[int]:
    """The pids of the live (not zombie) child processes of ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def gone(pid: int) -> bool:
    """Whether no process ``pid`` exists, not even a zombie (it was reaped)."""
    return not Path(f"/proc/{pid}").exists()


def dead(pid: int) -> bool:
    """Whether ``pid`` is gone or a zombie (an orphan is reaped by whoever adopts it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
