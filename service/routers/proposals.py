"""``/v1/programmes/{id}/proposals``: weights learned from the stored check-in outcomes
(:func:`matching.learn_weights`), proposed as a new configuration with their AUC against
the current weights; a coordinator adopts one, never the service by itself."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from service.deps import PathText, PrincipalDep, SessionDep, get_programme
from service.models import Proposal
from service.ops import proposals as ops
from service.schemas.common import BODY, READ, WRITE, error_responses
from service.schemas.follow_up import LearnIn, ProposalOut

router = APIRouter(prefix="/v1/programmes/{programme_id}/proposals", tags=["learning"])

READ_ERRORS = error_responses(READ)
ERRORS = error_responses(WRITE, BODY, 409)


def _out(proposal: Proposal) -> ProposalOut:
    return ProposalOut.model_validate(proposal, from_attributes=True)


@router.post("", status_code=201, responses=ERRORS)
def learn(
    programme_id: PathText, body: LearnIn, principal: PrincipalDep, session: SessionDep
) -> ProposalOut:
    """Learn weights from the programme's answered check-ins and store them as a
    proposal: the learned weights' out-of-fold AUC and the current weights' AUC, each
    with a seeded bootstrap 95% interval, and the gain's. Researchers and coordinators
    may ask; nothing changes until a coordinator adopts it. 409: fewer than 10 answered
    pairs, or fewer than 5 good or 5 not-good ones."""
    programme = get_programme(session, principal, programme_id)
    proposal = ops.propose(
        session, programme, principal.key_id, seed=body.seed, n_bootstrap=body.n_bootstrap
    )
    session.commit()
    return _out(proposal)


@router.get("", responses=READ_ERRORS)
def list_proposals(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep
) -> list[ProposalOut]:
    """The programme's proposals, oldest first."""
    programme = get_programme(session, principal, programme_id)
    return [_out(p) for p in ops.listing(session, programme)]


@router.get("/{proposal_id}", responses=READ_ERRORS)
def read_proposal(
    programme_id: PathText, proposal_id: PathText, principal: PrincipalDep, session: SessionDep
) -> ProposalOut:
    programme = get_programme(session, principal, programme_id)
    return _out(ops.get(session, programme, proposal_id))


@router.post("/{proposal_id}/adopt", responses=error_responses(WRITE, 409))
def adopt(
    programme_id: PathText, proposal_id: PathText, principal: PrincipalDep, session: SessionDep
) -> ProposalOut:
    """Make the proposal the programme's next configuration version (coordinators and
    admins). 409 if it was adopted already or the configuration changed since."""
    programme = get_programme(session, principal, programme_id, write=True)
    if principal.role not in ("admin", "coordinator"):
        raise HTTPException(status_code=403, detail="this key is read-only")
    proposal = ops.adopt(session, programme, proposal_id, principal.key_id)
    session.commit()
    return _out(proposal)
