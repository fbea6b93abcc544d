"""Run one command in its own process: wall time, peak RSS, time and memory budgets.

Peak RSS comes from ``os.wait4`` (the child's own ``ru_maxrss``, children it waited for
included), so each solver is measured alone, never against the harness's memory. The
budget is enforced by polling the child's ``VmRSS`` and its wall time; a child over either
is killed (its whole process group) and reported as such, not dropped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measured", "hwm_bytes", "reset_hwm", "run_measured"]

_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    """How one process ended: ``status`` is ``ok``, ``failed``, ``timeout`` or ``memory``."""

    status: str
    wall_seconds: float
    peak_rss_bytes: int
    returncode: int | None
    stderr_tail: str


def _rss_bytes(pid: int) -> int:
    """Current resident set of a process and its children (0 if gone)."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{candidate}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def _children(pid: int) -> list[int]:
    """Direct children of a process (the CLI may spawn none; the venv wrapper one)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(x) for x in handle.read().split()]
    except OSError:
        return []


def run_measured(
    command: list[str],
    *,
    timeout_seconds: float,
    memory_bytes: int,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> Measured:
    """Run ``command`` to the end or to a budget; return its time and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so a kill takes its children too
    )
    status = "ok"
    peak_polled = 0
    assert process.stderr is not None
    os.set_blocking(process.stderr.fileno(), False)
    stderr_chunks: list[bytes] = []
    while True:
        pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
        chunk = _read_available(process.stderr)
        if chunk:
            stderr_chunks.append(chunk)
            stderr_chunks = stderr_chunks[-50:]
        if pid != 0:
            break
        elapsed = time.perf_counter() - started
        rss = _rss_bytes(process.pid)
        peak_polled = max(peak_polled, rss)
        if elapsed > timeout_seconds or rss > memory_bytes:
            status = "timeout" if elapsed > timeout_seconds else "memory"
            os.killpg(process.pid, signal.SIGKILL)
            pid, wait_status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(_POLL_SECONDS)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    chunk = _read_available(process.stderr)
    if chunk:
        stderr_chunks.append(chunk)
    process.stderr.close()
    if status == "ok" and process.returncode != 0:
        status = "failed"
    peak = max(int(usage.ru_maxrss) * 1024, peak_polled)
    tail = b"".join(stderr_chunks).decode(errors="replace")[-2000:]
    return Measured(status, wall, peak, process.returncode, tail)


def _read_available(stream: object) -> bytes:
    """Whatever the child wrote to stderr so far (non-blocking)."""
    try:
        data = stream.read()  # type: ignore[attr-defined]
    except (BlockingIOError, ValueError):
        return b""
    return data or b""


def reset_hwm() -> None:
    """Reset this process's peak RSS to its current RSS (Linux ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def hwm_bytes() -> int:
    """This process's peak RSS since start or since the last :func:`reset_hwm`."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0
