"""The database tables (SQLAlchemy 2 typed ORM), one module per resource."""

from service.models.base import Base, UTCDateTime, new_id, utcnow
from service.models.decisions import Decision, Erasure
from service.models.follow_up import CheckIn, FollowUp, Message, Proposal
from service.models.keys import ApiKey, InstanceSecret
from service.models.participants import PARTICIPANT_STATUSES, Participant
from service.models.programmes import ActivePair, Programme, ProgrammeRanks, ProgrammeVersion
from service.models.runs import (
    Run,
    RunAlternative,
    RunGap,
    RunPair,
    RunUnmatched,
    RunWorker,
)
from service.models.sessions import SignedInSession
from service.models.sign_up import SignUpForm
from service.models.waves import ChoiceLink, ChoiceOption, ChoiceRound, Wave, WaveSettings

__all__ = [
    "PARTICIPANT_STATUSES",
    "ActivePair",
    "ApiKey",
    "Base",
    "CheckIn",
    "ChoiceLink",
    "ChoiceOption",
    "ChoiceRound",
    "Decision",
    "Erasure",
    "FollowUp",
    "InstanceSecret",
    "Message",
    "Participant",
    "Programme",
    "ProgrammeRanks",
    "ProgrammeVersion",
    "Proposal",
    "Run",
    "RunAlternative",
    "RunGap",
    "RunPair",
    "RunUnmatched",
    "RunWorker",
    "SignUpForm",
    "SignedInSession",
    "UTCDateTime",
    "Wave",
    "WaveSettings",
    "new_id",
    "utcnow",
]
