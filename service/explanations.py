"""Explanations stored with a run, put in the reader's language.

A run keeps each pair's evidence and each unmatched mentee's reason as data
(:class:`matching.messages.Evidence`) beside the text written when it ran; every surface
(the API with ``Accept-Language``, the review page in its language) renders them again.
Runs made before the evidence was kept show their stored text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matching.defaults import default_programme
from matching.errors import ConfigError
from matching.explain import ValueLabels, need_and_language_labels
from matching.messages import LANGUAGES, Evidence, label_text, render, render_why
from matching.model import Programme

__all__ = ["RunValues", "detail_in", "why_in"]


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


class RunValues:
    """Needs and languages as the run's programme labels them, in one language (a
    configuration that no longer validates shows values as written)."""

    def __init__(self, config: Mapping[str, Any] | None, language: str) -> None:
        try:
            programme = Programme.from_dict(config) if config else default_programme()
        except ConfigError:
            programme = None
        if programme is None:
            self._needs = self._spoken = ValueLabels(None)
        else:
            self._needs, self._spoken = need_and_language_labels(programme)
        self.language = language

    def need(self, value: str) -> str:
        return label_text(self._needs(value), self.language).replace("_", " ")

    def spoken(self, value: str) -> str:
        return label_text(self._spoken(value), self.language)

    def needs(self, values: Sequence[str]) -> str:
        return ", ".join(self.need(v) for v in values)

    def languages(self, values: Sequence[str]) -> str:
        return " / ".join(self.spoken(v) for v in values)
