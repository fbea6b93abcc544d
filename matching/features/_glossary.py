"""The multilingual glossary: words and phrases of French, Arabic and English mapped to the
shared concepts of the programmes' domains (``matching/data/glossary.toml``).

A phrase is stored as the sequence of its words' keys (:mod:`matching.features._folding`),
so it matches a text in any case, with or without accents or Arabic diacritics, in
another inflection, and with stop words between its words. A text's concepts are found
in one pass over its keys, the longest phrase starting at each word first.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources

from matching.features._folding import KeyMaker

__all__ = ["Glossary", "default_glossary"]

LANGUAGES = ("fr", "ar", "en", "darija")
"""The glossary file's columns (every one is optional in a concept)."""


class Glossary:
    """Concepts and the phrases that express them, ready to find in texts.

    Parameters
    ----------
    concepts
        Each concept's phrases, in any of the languages.
    stop_words
        Words that carry no topic, in any of the languages.
    related
        Pairs of concepts that often go together (either way round).
    related_weight
        How much a text about one concept of a related pair counts for the other.
    """

    def __init__(
        self,
        concepts: Mapping[str, Sequence[str]],
        stop_words: Iterable[str] = (),
        related: Iterable[tuple[str, str]] = (),
        related_weight: float = 0.0,
    ) -> None:
        self.concepts = {name: tuple(terms) for name, terms in concepts.items()}
        self.stop_words = tuple(stop_words)
        self.related = tuple((a, b) for a, b in related)
        unknown = {c for pair in self.related for c in pair} - set(self.concepts)
        if unknown:
            raise ValueError(f"related concepts missing from the glossary: {sorted(unknown)}")
        self.related_weight = related_weight
        self.keys = KeyMaker(self.stop_words)
        self._starts: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        by_phrase: dict[tuple[str, ...], set[str]] = {}
        for name, terms in self.concepts.items():
            for term in terms:
                phrase = tuple(self.keys.keys(term))
                if phrase:
                    by_phrase.setdefault(phrase, set()).add(name)
        for phrase, names in by_phrase.items():
            self._starts.setdefault(phrase[0], []).append((phrase, tuple(sorted(names))))
        for options in self._starts.values():
            options.sort(key=lambda option: -len(option[0]))  # longest first

    def extended(self, entries: Mapping[str, Sequence[str]]) -> Glossary:
        """A copy with more phrases (for new or existing concepts)."""
        if not entries:
            return self
        merged = {name: list(terms) for name, terms in self.concepts.items()}
        for name, terms in entries.items():
            merged.setdefault(name, []).extend(terms)
        return Glossary(merged, self.stop_words, self.related, self.related_weight)

    def partners(self) -> dict[str, tuple[str, ...]]:
        """Each concept's related concepts."""
        out: dict[str, list[str]] = {}
        for a, b in self.related:
            out.setdefault(a, []).append(b)
            out.setdefault(b, []).append(a)
        return {name: tuple(names) for name, names in out.items()}

    def find(self, keys: Sequence[str]) -> list[str]:
        """The concepts a text's keys express, once per occurrence, in text order."""
        found: list[str] = []
        starts = self._starts
        free = 0  # the first position no phrase found so far covers
        for position, key in enumerate(keys):
            options = starts.get(key)
            if options is None or position < free:
                continue
            for phrase, names in options:
                width = len(phrase)
                if tuple(keys[position : position + width]) == phrase:
                    found.extend(names)
                    free = position + width
                    break
        return found


@cache
def default_glossary() -> Glossary:
    """The glossary shipped with Marraine (read once; a :class:`Glossary` is never changed
    in place, so sharing it is safe)."""
    text = resources.files("matching").joinpath("data/glossary.toml").read_text("utf-8")
    data = tomllib.loads(text)
    concepts = {
        entry["id"]: [term for language in LANGUAGES for term in entry.get(language, [])]
        for entry in data["concept"]
    }
    related = [(str(a), str(b)) for a, b in data.get("related", [])]
    weight = float(data.get("related_weight", 0.0))
    return Glossary(concepts, data.get("stop_words", []), related, weight)
