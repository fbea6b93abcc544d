"""Creating runs (plain, rematch, idempotent), cancelling them, and reading results."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.messages import Message, render_message
from service.auth import Principal
from service.models import Programme, ProgrammeVersion, Run, RunPair, new_id, utcnow
from service.ops.decisions import lock_run
from service.ops.errors import ConflictError, NotFoundError
from service.ops.ranks import snapshot as stored_ranks
from service.ops.waves import attach as attach_to_wave

__all__ = [
    "QueuedRun",
    "cancel",
    "create_run",
    "objective_of",
    "outcomes",
    "run_out",
    "warning_in",
]


@dataclass(frozen=True)
class QueuedRun:
    """The run a request queued, or the earlier one its Idempotency-Key names."""

    run: Run
    created: bool


def _request_sha256(programme_id: str, body: dict[str, Any]) -> str:
    text = json.dumps({"programme": programme_id, **body}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def create_run(
    session: Session,
    programme: Programme,
    principal: Principal,
    body: dict[str, Any],
    idempotency_key: str | None,
) -> QueuedRun:
    """Queue a run. The same Idempotency-Key with the same body returns the first run;
    with another body it is a :class:`~service.ops.errors.ConflictError`."""
    request_sha = _request_sha256(programme.id, body)
    if idempotency_key is not None:
        earlier = _by_key(session, programme.id, idempotency_key)
        if earlier is not None:
            return QueuedRun(_replay(earlier, request_sha), created=False)
    version = session.get(ProgrammeVersion, (programme.id, programme.version))
    if version is None:  # every programme is created with its version 1
        raise ConflictError("no_configuration", "programme has no configuration")
    run = Run(
        id=new_id("run"),
        programme_id=programme.id,
        version=version.version,
        config_sha256=version.sha256,
        objective=body.get("objective"),
        idempotency_key=idempotency_key,
        request_sha256=request_sha,
        created_by=principal.key_id,
        status="queued",
        progress=0.0,
        locked=[],
        forbidden=[],
        incumbent=[],
        ranks=_ranks(body),
        strict=bool(body.get("strict", False)),
    )
    if body.get("rematch_of"):
        _inherit_decisions(session, run, programme.id, str(body["rematch_of"]))
    if run.ranks is None and body.get("objective") in (None, "stable"):
        run.ranks = stored_ranks(session, programme.id)
    wave_id = body.get("wave_id") or run.wave_id  # a rematch stays in its parent's wave
    if wave_id:
        attach_to_wave(session, run, str(wave_id))
    session.add(run)
    try:
        session.flush()
    except IntegrityError:
        # Another request with the same Idempotency-Key won the race: answer with its run.
        session.rollback()
        earlier = _by_key(session, programme.id, idempotency_key or "")
        if earlier is None:
            raise
        return QueuedRun(_replay(earlier, request_sha), created=False)
    return QueuedRun(run, created=True)


def _ranks(body: dict[str, Any]) -> dict[str, list[list[Any]]] | None:
    """The request's ranked choices as stored: ``[mentee_id, mentor_id, rank]`` per side."""
    ranks = {
        side: [[str(r["mentee_id"]), str(r["mentor_id"]), int(r["rank"])] for r in rows]
        for side in ("mentee", "mentor")
        if (rows := body.get(f"{side}_ranks")) is not None
    }
    return ranks or None


def _by_key(session: Session, programme_id: str, key: str) -> Run | None:
    return session.scalars(
        select(Run).where(Run.programme_id == programme_id, Run.idempotency_key == key)
    ).first()


def _replay(run: Run, request_sha: str) -> Run:
    if run.request_sha256 != request_sha:
        raise ConflictError(
            "idempotency_key_reused", "Idempotency-Key already used with a different request"
        )
    return run


def _inherit_decisions(session: Session, run: Run, programme_id: str, parent_id: str) -> None:
    """A rematch keeps approved and locked pairs, forbids every rejected pair (this run's
    and those its parent already forbade), and prefers the parent's other pairs.

    The parent's decision lock is held while its pairs are read: the rematch honours the
    decisions made before it and none made after."""
    parent = session.get(Run, parent_id)
    if parent is None or parent.programme_id != programme_id:
        raise NotFoundError("rematch_not_found", "run to rematch not found")
    lock_run(session, parent)
    if parent.status != "succeeded":
        raise ConflictError(
            "rematch_not_succeeded", "only a succeeded run can be rematched", status=parent.status
        )
    pairs = session.scalars(
        select(RunPair).where(RunPair.run_id == parent.id).execution_options(populate_existing=True)
    ).all()
    run.rematch_of = parent.id
    run.locked = [[p.mentee_id, p.mentor_id] for p in pairs if p.decision in ("approved", "locked")]
    rejected = [[p.mentee_id, p.mentor_id] for p in pairs if p.decision == "rejected"]
    forbidden = {tuple(p) for p in (parent.forbidden or [])} | {tuple(p) for p in rejected}
    run.forbidden = [list(p) for p in sorted(forbidden)]
    run.incumbent = [[p.mentee_id, p.mentor_id] for p in pairs if p.decision != "rejected"]
    if run.ranks is None:  # the same people's choices still hold
        run.ranks = parent.ranks
    run.wave_id = parent.wave_id


def cancel(run: Run) -> None:
    """Cancel a queued run at once; ask a running one to stop (the worker obeys)."""
    if run.status == "queued":
        run.status = "cancelled"
        run.finished_at = utcnow()
    elif run.status == "running":
        run.cancel_requested = True
    else:
        raise ConflictError("run_finished", f"run is already {run.status}", status=run.status)


def language_of(session: Session, run: Run) -> str:
    """The language of a run's programme configuration (``en`` when it sets none)."""
    version = session.get(ProgrammeVersion, (run.programme_id, run.version))
    config = version.config if version is not None else {}
    return str(config.get("language") or "en")


def objective_of(session: Session, run: Run) -> str:
    """The objective a run optimises: the one it asked for, else the one its result
    reports, else its configuration's (``stable`` when ranked choices or the solver
    method imply it, as the engine decides)."""
    if run.objective:
        return run.objective
    if run.summary and run.summary.get("objective"):
        return str(run.summary["objective"])
    version = session.get(ProgrammeVersion, (run.programme_id, run.version))
    config = version.config if version is not None else {}
    solver = config.get("solver") or {}
    if run.ranks or solver.get("method") == "stable":
        return "stable"
    return str(config.get("objective") or "coverage")


def outcomes(run: Run, language: str = "en") -> dict[str, list[Any]]:
    """A run's warnings (their messages in ``language``), quota report and groups as its
    summary holds them (a strict run refused on warnings: the warnings of its error);
    empty before the run has run."""
    summary = run.summary or {}
    warnings = summary.get("warnings")
    if warnings is None:
        warnings = (run.error or {}).get("warnings")
    return {
        "warnings": [warning_in(w, language) for w in warnings or []],
        "quotas": list(summary.get("quotas") or []),
        "groups": list(summary.get("groups") or []),
    }


def _priority_out(priority: dict[str, Any] | None) -> dict[str, Any] | None:
    """A run's carry-over priority as the API shows it: how many are carried, not who
    (researchers read runs too)."""
    if priority is None:
        return None
    return {**priority, "carried": len(priority.get("carried") or [])}


def warning_in(warning: dict[str, Any], language: str) -> dict[str, Any]:
    """A stored warning with its message (stored as data) said in ``language``; a run
    stored before warnings kept their data has its English words."""
    message = warning.get("message")
    if not isinstance(message, dict):
        return warning
    return {**warning, "message": render_message(Message.from_dict(message), language)}


def run_out(session: Session, run: Run, language: str = "en") -> dict[str, Any]:
    """A run as the API shows it; its warnings (in its summary or its error too) said in
    ``language``."""
    said = outcomes(run, language)
    summary, error = run.summary, run.error
    if summary and "warnings" in summary:
        summary = {**summary, "warnings": said["warnings"]}
    if error and "warnings" in error:
        error = {**error, "warnings": said["warnings"]}
    return {
        "id": run.id,
        "programme_id": run.programme_id,
        "status": run.status,
        "progress": min(1.0, max(0.0, run.progress)),
        "step": run.step,
        "version": run.version,
        "config_sha256": run.config_sha256,
        "objective": objective_of(session, run),
        "objective_given": run.objective is not None,
        "rematch_of": run.rematch_of,
        "wave_id": run.wave_id,
        "priority": _priority_out(run.priority),
        "strict": run.strict,
        "error": error,
        "summary": summary,
        **said,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "published_at": run.published_at,
    }
