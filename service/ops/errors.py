"""Why an operation refuses: the service's domain errors.

Operations raise these and know nothing of HTTP; :mod:`service.errors` maps each class to
a status code (the API's one mapping), and the review page renders the same error in its
own language from ``code`` and ``params``::

    OperationError              an operation refused; nothing it did is kept
    ├── NotFoundError           what the request names does not exist (here)      -> 404
    │   └── UnknownLinkError    no personal link has this token                    -> 404
    ├── ConflictError           the stored state does not allow it now             -> 409
    │   ├── CapacityError       a mentor would have more mentees than seats        -> 409
    │   └── ClosedLinkError     the personal link was revoked, expired or is over  -> 410
    └── InvalidError            the request is wrong whatever the state            -> 422

(The public link routes say 404 and 410 themselves, :mod:`service.links`.)

Every error carries ``code`` (a stable name of the rule, e.g. ``mentor_full``), ``detail``
(the API's English sentence) and ``params`` (the values the sentence names). None of them
holds personal data: no names, no ids of people, no submitted values.
"""

from __future__ import annotations

__all__ = [
    "CapacityError",
    "ClosedLinkError",
    "ConflictError",
    "InvalidError",
    "NotFoundError",
    "OperationError",
    "UnknownLinkError",
]


class OperationError(Exception):
    """An operation refused. ``code`` names the rule, ``detail`` says it in English."""

    def __init__(self, code: str, detail: str, **params: str | int) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.params = params


class NotFoundError(OperationError):
    """The run, pair or run to rematch the request names does not exist (or not here)."""


class ConflictError(OperationError):
    """The request is well formed but the stored state refuses it now (a run that has not
    succeeded, a key already used with another request, a mentee who has that mentor)."""


class CapacityError(ConflictError):
    """The decision would give a mentor more mentees than her capacity."""


class UnknownLinkError(NotFoundError):
    """No personal link (a check-in, a sign-up form, her own link, a choice list) has this
    token."""


class ClosedLinkError(ConflictError):
    """The personal link was revoked, has expired, or its round is over (a deadline
    passed, a final run queued)."""


class InvalidError(OperationError):
    """The request itself is wrong (an unknown action, a swap without a new mentor)."""
