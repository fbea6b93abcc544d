"""Learning from outcomes: :func:`matching.learn_weights` on a programme's stored
check-in outcomes, a *proposed* configuration with the learned weights, and its adoption
by a coordinator (never automatic).

The similarities each pair is learned from are recomputed from the participants' current
fields under the programme's current configuration
(:func:`matching.learning.pair_components`); pairs whose people were erased are left out.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import InputError
from matching.inputs import apply_field_map
from matching.learning import LearnedWeights, learn_weights, pair_components
from matching.model import Programme as EngineProgramme
from service.db import lock_row
from service.models import Programme, ProgrammeVersion, Proposal, new_id, utcnow
from service.ops.checkins import outcomes
from service.ops.contacts import run_programme
from service.ops.errors import ConflictError, NotFoundError
from service.ops.participants import side_frame

__all__ = ["MIN_PAIRS", "adopt", "propose"]

MIN_PAIRS = 10
"""Fewer answered pairs than this teach nothing worth proposing."""


def _current(session: Session, programme: Programme) -> EngineProgramme:
    config = run_programme(session, programme.id, programme.version)
    if config is None:
        raise ConflictError("config_invalid", "the current configuration no longer validates")
    return config


def _training_pairs(
    session: Session, programme: Programme, config: EngineProgramme
) -> pd.DataFrame:
    """One row an answered pair: its criteria's similarities and its outcome."""
    pairs = pd.DataFrame(
        [
            {"mentee_id": o.mentee_id, "mentor_id": o.mentor_id, "outcome": o.outcome}
            for o in outcomes(session, programme.id)
        ],
        columns=["mentee_id", "mentor_id", "outcome"],
    )
    sides = {
        side: apply_field_map(side_frame(session, programme.id, side, config), config, side)
        for side in ("mentee", "mentor")
    }
    present = pairs["mentee_id"].isin(sides["mentee"]["id"].astype(str)) & pairs["mentor_id"].isin(
        sides["mentor"]["id"].astype(str)
    )
    pairs = pairs[present].reset_index(drop=True)
    if len(pairs) < MIN_PAIRS:
        raise ConflictError(
            "too_few_outcomes",
            f"learning needs at least {MIN_PAIRS} answered pairs",
            pairs=len(pairs),
        )
    components = pair_components(config, sides["mentee"], sides["mentor"], pairs)
    components["outcome"] = pairs["outcome"].to_numpy()
    return components


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _report(learned: LearnedWeights) -> dict[str, Any]:
    def interval(bounds: tuple[float, float]) -> list[float | None]:
        return [_finite(bounds[0]), _finite(bounds[1])]

    return {
        "auc": _finite(learned.auc),
        "auc_ci": interval(learned.auc_ci),
        "current_auc": _finite(learned.current_auc),
        "current_auc_ci": interval(learned.current_auc_ci),
        "auc_gain": _finite(learned.auc_gain),
        "auc_gain_ci": interval(learned.auc_gain_ci),
        "uniform_auc": _finite(learned.uniform_auc),
        "weights": dict(learned.weights),
        "current_weights": dict(learned.current_weights),
        "dropped": list(learned.dropped),
        "n_pairs": learned.n_pairs,
        "n_positive": learned.n_positive,
    }


def propose(
    session: Session, programme: Programme, key_id: str, *, seed: int, n_bootstrap: int
) -> Proposal:
    """Learn weights from the stored outcomes and store them as a proposal."""
    config = _current(session, programme)
    pairs = _training_pairs(session, programme, config)
    try:
        learned = learn_weights(
            pairs,
            config.criterion_names,
            current=config,
            seed=seed,
            n_bootstrap=n_bootstrap,
            cv=min(5, MIN_PAIRS // 2),
        )
    except InputError:
        # All answers of one class, or too few of one: nothing to learn from yet.
        raise ConflictError(
            "outcomes_one_sided",
            "learning needs good and not-good pairs, at least 5 of each",
            pairs=len(pairs),
        ) from None
    proposal = Proposal(
        id=new_id("prop"),
        programme_id=programme.id,
        based_on=programme.version,
        config=learned.to_programme(config).model_dump(mode="json"),
        report=_report(learned),
        status="proposed",
        created_by=key_id,
        created_at=utcnow(),
    )
    session.add(proposal)
    session.flush()
    return proposal


def get(session: Session, programme: Programme, proposal_id: str) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.programme_id != programme.id:
        raise NotFoundError("proposal_not_found", "proposal not found")
    return proposal


def listing(session: Session, programme: Programme) -> list[Proposal]:
    return list(
        session.scalars(
            select(Proposal)
            .where(Proposal.programme_id == programme.id)
            .order_by(Proposal.created_at, Proposal.id)
        )
    )


def adopt(session: Session, programme: Programme, proposal_id: str, key_id: str) -> Proposal:
    """Make a proposal the programme's new configuration version. Refused when it was
    adopted already or the configuration changed since it was proposed."""
    # One adoption (or configuration change) at a time: read the version under the lock.
    lock_row(session, Programme.id, programme.id, touch=Programme.name)
    session.refresh(programme)
    proposal = get(session, programme, proposal_id)
    session.refresh(proposal)
    if proposal.status != "proposed":
        raise ConflictError("proposal_adopted", "this proposal was adopted already")
    if proposal.based_on != programme.version:
        raise ConflictError(
            "proposal_outdated",
            "the configuration changed since this proposal: learn again",
            version=programme.version,
        )
    config = EngineProgramme.from_dict(proposal.config)
    programme.version += 1
    session.add(
        ProgrammeVersion(
            programme_id=programme.id,
            version=programme.version,
            config=config.model_dump(mode="json"),
            sha256=config.sha256(),
            created_by=key_id,
        )
    )
    proposal.status, proposal.adopted_by = "adopted", key_id
    proposal.adopted_at, proposal.adopted_version = utcnow(), programme.version
    session.flush()
    return proposal
