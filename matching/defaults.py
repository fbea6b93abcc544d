"""The default programme: the digital-business configuration shipped as package data.

``matching/data/digital_business.toml`` is the single source of the default criteria and
rules; ``examples/digital-business/programme.toml`` is a copy a new user can edit.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from matching.model import Programme

__all__ = ["DEFAULT_PROGRAMME_RESOURCE", "default_programme", "default_programme_text"]

DEFAULT_PROGRAMME_RESOURCE = "digital_business.toml"
"""File name of the default configuration inside ``matching/data/``."""


def default_programme_text() -> str:
    """Return the default configuration's TOML text, as shipped with the package.

    Returns
    -------
    str
        The content of ``matching/data/digital_business.toml``.
    """
    return (
        resources.files("matching")
        .joinpath("data", DEFAULT_PROGRAMME_RESOURCE)
        .read_text(encoding="utf-8")
    )


@cache
def default_programme() -> Programme:
    """Return the default programme (the digital-business example's criteria and rules).

    The programme is frozen, so one parsed instance is shared by every caller.

    Returns
    -------
    Programme
        Criteria ``needs``, ``language``, ``availability``, ``region``, ``sector`` and
        ``goals`` with weights adding up to 1, the rules ``mentor_gender``,
        ``same_organisation`` and ``same_cooperative``, objective ``coverage``.
    """
    source = f"matching/data/{DEFAULT_PROGRAMME_RESOURCE}"
    return Programme.from_dict(tomllib.loads(default_programme_text()), source=source)
