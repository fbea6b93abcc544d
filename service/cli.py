"""The service's commands on ``marraine``: ``keys create``, ``serve`` and ``worker``.

``marraine`` loads them through the ``marraine.commands`` entry points (pyproject), one
``typer.Typer`` each: :data:`keys_app`, :data:`serve_app` and :data:`worker_app`.

``serve`` migrates the database once, then starts uvicorn and ``--workers`` supervised
worker subprocesses (:mod:`service.supervisor`) and stops them together.
"""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from service.auth import ROLES, Role, create_key
from service.db import make_engine, make_sessionmaker, migrate, session_scope
from service.models import Programme
from service.pseudonyms import ensure_secret
from service.settings import get_settings
from service.supervisor import Supervisor

__all__ = ["keys_app", "run_worker", "serve", "serve_app", "worker_app"]

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True, add_completion=False)


@keys_app.callback()
def keys() -> None:
    """Manage API keys (a group, so `keys create` reads the same standalone and mounted)."""


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option(help="admin, coordinator or researcher")],
    programme: Annotated[
        str | None, typer.Option(help="Programme id; omit for a global key (admin only)")
    ] = None,
    label: Annotated[str, typer.Option(help="A note to recognise the key by")] = "",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    if role not in ROLES:
        typer.echo(f"--role must be one of {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    if programme is None and role != "admin":
        typer.echo("a key without --programme must have --role admin", err=True)
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    migrate(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        if programme is not None and session.get(Programme, programme) is None:
            typer.echo("no such programme", err=True)
            raise typer.Exit(1)
        checked: Role = next(r for r in ROLES if r == role)
        _row, key = create_key(session, checked, programme, label)
    typer.echo(key)


def run_worker() -> None:
    """Run the match-run worker in this process until interrupted."""
    from service.worker import main

    main()


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int | None = None) -> None:
    """Serve the HTTP API with ``workers`` supervised worker subprocesses (the
    ``workers`` setting when None); Ctrl-C stops them all."""
    import uvicorn

    from service.app import create_app

    settings = get_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)  # once, before several processes would race to do it
    ensure_secret(make_sessionmaker(engine), settings)
    engine.dispose()

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(0)

    # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default
    # handler that would end this process before the workers are stopped.
    signal.signal(signal.SIGTERM, leave)
    with Supervisor(settings, settings.workers if workers is None else workers):
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


serve_app = typer.Typer(add_completion=False)
worker_app = typer.Typer(add_completion=False)


@serve_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Run workers to start and supervise (default: MARRAINE_WORKERS, 1);"
            " 0 serves the API only.",
        ),
    ] = None,
) -> None:
    """Start the HTTP service, its workers and the review page (embedded SQLite by default)."""
    serve(host, port, workers)


@worker_app.command("worker")
def worker_command() -> None:
    """Run a match-run worker against the configured database, on any host (``marraine
    serve`` starts its own); SIGTERM hands its run back to the queue."""
    run_worker()
