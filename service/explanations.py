"""Explanations stored with a run, put in the reader's language.

A run keeps each pair's evidence and each unmatched mentee's reason as data
(:class:`matching.messages.Evidence`) beside the text written when it ran; every surface
(the API with ``Accept-Language``, the review page in its language) renders them again.
Runs made before the evidence was kept show their stored text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matching.messages import LANGUAGES, Evidence, render, render_why

__all__ = ["detail_in", "why_in"]


def why_in(text: str, evidence: Sequence[Mapping[str, Any]] | None, language: str | None) -> str:
    """A pair's ``why`` in ``language`` (None, or a language without catalogue: as stored)."""
    if evidence is None or language is None or language not in LANGUAGES:
        return text
    return render_why((Evidence.from_dict(e) for e in evidence), language)


def detail_in(text: str, evidence: Mapping[str, Any] | None, language: str | None) -> str:
    """An unmatched mentee's detail in ``language`` (as :func:`why_in`)."""
    if evidence is None or language is None or language not in LANGUAGES:
        return text
    return render(Evidence.from_dict(evidence), language)
