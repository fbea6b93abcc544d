"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl from Debian's packages on
a free loopback port in a temporary directory, run as the ``postgres`` user when we are
root. Under ``CI=true`` a server that cannot start fails the tests instead of skipping."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PostgresUnavailableError", "free_port", "postgres_server"]


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL binaries are missing or the server did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailableError(
            "PostgreSQL is not installed (run scripts/install-postgres.sh)"
        )
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        raise PostgresUnavailableError("running as root but runuser is missing")
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yields a SQLAlchemy URL of an empty ``marraine`` database."""
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="marraine-pg-"))
    data = folder / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        folder.chmod(0o700)
    run = {"check": True, "capture_output": True, "timeout": 120}
    try:
        try:
            subprocess.run(
                _as_postgres(
                    [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
                ),
                **run,  # type: ignore[call-overload]
            )
            options = f"-c listen_addresses=127.0.0.1 -c port={port} -k {folder} -c fsync=off"
            subprocess.run(
                _as_postgres(
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-o",
                        options,
                        "-l",
                        str(folder / "log"),
                        "-w",
                        "start",
                    ]
                ),
                **run,  # type: ignore[call-overload]
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            raise PostgresUnavailableError(f"PostgreSQL did not start: {error}") from error
        subprocess.run(
            _as_postgres(
                [
                    str(bin_dir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "postgres",
                    "marraine",
                ]
            ),
            **run,  # type: ignore[call-overload]
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/marraine"
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)
