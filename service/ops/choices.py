"""Mentees' choices: after a run, each mentee ranks a short list through her own link,
each mentor accepts or declines the mentees proposed to her, and a final stable run
honours the answers.

**The lists.** A mentee's list is her suggestion (her pair in the run, unless rejected)
and up to ``k`` alternatives: the run's own alternatives, i.e. mentors the rules allow
for her (never a forbidden or previous pair) with a seat *spare* once every suggestion
is made. Mentors full with their suggestions (contested seats) are not offered.

**The links.** One per person and round, a secret token of which only the SHA-256 is
kept (as check-in links); it opens that person's list only and closes at the deadline.

**The final run** is a stable run on the submitted lists: a mentee's list is her
ranking (a mentee who did not answer by the deadline: her suggestion alone); a
mentor's list is the mentees proposed to her that she did not decline, by pair score.
It is the mentee-optimal stable matching with respect to these lists (mentee-proposing
deferred acceptance, certified by the engine: ``blocking_pairs`` 0 over every pair).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import Principal
from service.models import (
    ChoiceLink,
    ChoiceOption,
    ChoiceRound,
    Participant,
    Programme,
    Run,
    RunAlternative,
    RunPair,
    new_id,
)
from service.ops.contacts import contacts, run_programme
from service.ops.decisions import lock_run
from service.ops.errors import (
    ClosedLinkError,
    ConflictError,
    InvalidError,
    NotFoundError,
    UnknownLinkError,
)
from service.ops.runs import create_run
from service.ops.waves import settings_of

__all__ = [
    "ChoiceView",
    "IssuedLink",
    "OptionView",
    "decline",
    "final_run",
    "open_link",
    "open_round",
    "rank",
    "round_of",
    "view",
]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedLink:
    side: str
    person_id: str
    token: str


def round_of(session: Session, run: Run) -> ChoiceRound:
    found = session.scalar(
        select(ChoiceRound)
        .where(ChoiceRound.run_id == run.id)
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFoundError("choices_not_found", "this run has no choices")
    return found


def open_round(
    session: Session, run: Run, deadline: datetime | None, now: datetime
) -> tuple[ChoiceRound, list[IssuedLink]]:
    """Offer the lists of ``run`` (succeeded, choices on for its programme) until
    ``deadline`` and issue everyone's link; the tokens are for the caller to hand out.
    Holds the run's decision lock: the lists are the decisions made before them."""
    lock_run(session, run)
    stored = settings_of(session, run.programme_id)
    if not stored.choices:
        raise ConflictError("choices_off", "this programme does not offer choices")
    if run.status != "succeeded":
        raise ConflictError("run_not_ready", "the run has not succeeded", status=run.status)
    if session.scalar(select(ChoiceRound.id).where(ChoiceRound.run_id == run.id)) is not None:
        raise ConflictError("choices_exist", "this run's lists were already sent")
    when = deadline or now + timedelta(days=stored.choice_days)
    if when <= now:
        raise InvalidError("deadline_past", "the deadline must be in the future")
    found = ChoiceRound(
        id=new_id("chr"),
        programme_id=run.programme_id,
        run_id=run.id,
        k=stored.choices_k,
        deadline=when,
        created_at=now,
    )
    session.add(found)
    options = _options(session, run, stored.choices_k)
    session.add_all(ChoiceOption(round_id=found.id, **option) for option in options)
    people = {("mentee", o["mentee_id"]) for o in options} | {
        ("mentor", o["mentor_id"]) for o in options
    }
    issued = [
        IssuedLink(side, person, secrets.token_urlsafe(32)) for side, person in sorted(people)
    ]
    session.add_all(
        ChoiceLink(
            round_id=found.id,
            side=link.side,
            person_id=link.person_id,
            token_sha256=_digest(link.token),
        )
        for link in issued
    )
    session.flush()
    return found, issued


def _options(session: Session, run: Run, k: int) -> list[dict[str, Any]]:
    """Each mentee's suggestion and up to ``k`` spare alternatives (present people only)."""
    present = _present(session, run.programme_id)
    options: list[dict[str, Any]] = []
    for pair in session.scalars(
        select(RunPair).where(RunPair.run_id == run.id, RunPair.decision != "rejected")
    ):
        options.append(_option(pair.mentee_id, pair.mentor_id, pair.score, suggested=True))
    listed = {(o["mentee_id"], o["mentor_id"]) for o in options}
    offered: dict[str, int] = defaultdict(int)
    for alt in session.scalars(
        select(RunAlternative)
        .where(RunAlternative.run_id == run.id)
        .order_by(RunAlternative.mentee_id, RunAlternative.rank)
    ):
        if (alt.mentee_id, alt.mentor_id) in listed or offered[alt.mentee_id] >= k:
            continue
        offered[alt.mentee_id] += 1
        listed.add((alt.mentee_id, alt.mentor_id))
        options.append(_option(alt.mentee_id, alt.mentor_id, alt.score, suggested=False))
    return [
        o
        for o in options
        if ("mentee", o["mentee_id"]) in present and ("mentor", o["mentor_id"]) in present
    ]


def _present(session: Session, programme_id: str) -> set[tuple[str, str]]:
    """The programme's participants now, as (side, id): erased people are never listed."""
    rows = session.execute(
        select(Participant.side, Participant.person_id).where(
            Participant.programme_id == programme_id
        )
    )
    return {(side, person) for side, person in rows}


def _option(mentee: str, mentor: str, score: float, *, suggested: bool) -> dict[str, Any]:
    return {
        "mentee_id": mentee,
        "mentor_id": mentor,
        "score": score,
        "suggested": suggested,
        "seats": "suggested" if suggested else "spare",
    }


def open_link(session: Session, token: str, now: datetime) -> ChoiceLink:
    """The link a token opens, or why not."""
    link = session.scalar(select(ChoiceLink).where(ChoiceLink.token_sha256 == _digest(token)))
    if link is None:
        raise UnknownLinkError("unknown_link", "this link is unknown")
    found = session.get(ChoiceRound, link.round_id)
    assert found is not None
    if link.revoked_at is not None or found.deadline <= now or found.final_run_id is not None:
        raise ClosedLinkError("closed_link", "this link was revoked or its deadline has passed")
    return link


@dataclass(frozen=True)
class OptionView:
    """One line of a person's list: the other person, and the answers so far."""

    option: ChoiceOption
    other_id: str
    name: str


@dataclass(frozen=True)
class ChoiceView:
    link: ChoiceLink
    round: ChoiceRound
    programme: str
    name: str
    language: str
    options: list[OptionView]


def _mine(session: Session, link: ChoiceLink) -> list[ChoiceOption]:
    mine = ChoiceOption.mentee_id if link.side == "mentee" else ChoiceOption.mentor_id
    return list(
        session.scalars(
            select(ChoiceOption)
            .where(ChoiceOption.round_id == link.round_id, mine == link.person_id)
            .order_by(ChoiceOption.suggested.desc(), ChoiceOption.score.desc(), ChoiceOption.id)
        )
    )


def view(session: Session, link: ChoiceLink) -> ChoiceView:
    """The link's list as its person sees it: her options with names read now (an erased
    person's option is left out)."""
    found = session.get(ChoiceRound, link.round_id)
    assert found is not None
    programme = session.get(Programme, found.programme_id)
    assert programme is not None
    config = run_programme(session, programme.id, programme.version)
    other = "mentor" if link.side == "mentee" else "mentee"
    options = _mine(session, link)
    others = [o.mentor_id if other == "mentor" else o.mentee_id for o in options]
    me = contacts(session, programme.id, link.side, [link.person_id], config).get(link.person_id)
    them = contacts(session, programme.id, other, others, config)
    if me is None:
        raise UnknownLinkError("unknown_link", "this link is unknown")
    shown = [
        OptionView(option=o, other_id=i, name=them[i].name)
        for o, i in zip(options, others, strict=True)
        if i in them
    ]
    if link.side == "mentee":
        shown.sort(key=lambda v: (v.option.rank is None, v.option.rank or 0))
    return ChoiceView(link, found, programme.name, me.name, me.language, shown)


def rank(session: Session, link: ChoiceLink, ranking: list[str], now: datetime) -> None:
    """A mentee ranks mentors of her list, best first; the others are not wanted."""
    if link.side != "mentee":
        raise InvalidError("wrong_side", "only a mentee ranks a list")
    options = {o.mentor_id: o for o in _mine(session, link)}
    if len(set(ranking)) != len(ranking) or not set(ranking) <= options.keys():
        raise InvalidError("not_on_list", "rank each mentor of the list at most once")
    places = {mentor: place for place, mentor in enumerate(ranking, start=1)}
    for mentor, option in options.items():
        option.rank = places.get(mentor)
    link.answered_at = now


def decline(session: Session, link: ChoiceLink, declined: list[str], now: datetime) -> None:
    """A mentor declines some of the mentees proposed to her and accepts the others."""
    if link.side != "mentor":
        raise InvalidError("wrong_side", "only a mentor accepts or declines")
    options = {o.mentee_id: o for o in _mine(session, link)}
    if not set(declined) <= options.keys():
        raise InvalidError("not_on_list", "decline only mentees proposed to you")
    for mentee, option in options.items():
        option.mentor_answer = "decline" if mentee in declined else "accept"
    link.answered_at = now


def final_run(
    session: Session, run: Run, programme: Programme, principal: Principal, now: datetime
) -> Run:
    """Queue the stable run on the submitted lists (see the module): after the deadline,
    or before it once every mentee has answered. Holds the run's lock: one final run."""
    lock_run(session, run)
    found = round_of(session, run)
    if found.final_run_id is not None:
        raise ConflictError("choices_done", "the final run of these choices was made")
    links = session.scalars(select(ChoiceLink).where(ChoiceLink.round_id == found.id)).all()
    waiting = [li for li in links if li.side == "mentee" and li.answered_at is None]
    if waiting and now < found.deadline:
        raise ConflictError("choices_open", "mentees may still answer until the deadline")
    answered = {li.person_id for li in links if li.side == "mentee" and li.answered_at}
    present = _present(session, run.programme_id)
    options = [
        o
        for o in session.scalars(select(ChoiceOption).where(ChoiceOption.round_id == found.id))
        if ("mentee", o.mentee_id) in present and ("mentor", o.mentor_id) in present
    ]
    body = {
        "objective": "stable",
        "mentee_ranks": _mentee_lists(options, answered),
        "mentor_ranks": _mentor_lists(options),
        "wave_id": run.wave_id,
    }
    final = create_run(session, programme, principal, body, None).run
    found.final_run_id = final.id
    session.flush()
    return final


def _mentee_lists(options: Sequence[ChoiceOption], answered: set[str]) -> list[dict[str, Any]]:
    """Each mentee's submitted ranking; a non-responder's suggestion alone."""
    rows: list[dict[str, Any]] = []
    for o in options:
        place = o.rank if o.mentee_id in answered else (1 if o.suggested else None)
        if place is not None:
            rows.append({"mentee_id": o.mentee_id, "mentor_id": o.mentor_id, "rank": place})
    return rows


def _mentor_lists(options: Sequence[ChoiceOption]) -> list[dict[str, Any]]:
    """Each mentor's proposed mentees she did not decline, by pair score (ties by id)."""
    by_mentor: dict[str, list[ChoiceOption]] = defaultdict(list)
    for o in options:
        if o.mentor_answer != "decline":
            by_mentor[o.mentor_id].append(o)
    rows: list[dict[str, Any]] = []
    for mentor, proposed in sorted(by_mentor.items()):
        proposed.sort(key=lambda o: (-o.score, o.mentee_id))
        rows.extend(
            {"mentee_id": o.mentee_id, "mentor_id": mentor, "rank": place}
            for place, o in enumerate(proposed, start=1)
        )
    return rows
