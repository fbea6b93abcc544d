"""Explanations as data, and their words in French, Arabic or English.

A result keeps each criterion's evidence for a pair as an :class:`Evidence` (what kind,
the values it quotes, the criterion's title), and each unmatched mentee's reason as one
too; :func:`render` and :func:`render_why` put them in words in any of :data:`LANGUAGES`
from the gettext catalogues in ``matching/locale/`` (plural forms included), so the
files, the API and the review page each speak their reader's language.

Values are shown as the coordinator wrote them, or as the label she configured for them
(a :data:`Label` is either one text or one text per language). The catalogues are
``.po`` files compiled to the ``.mo`` files beside them; ``make messages`` extracts,
updates and compiles them (``tests/test_messages.py`` fails when they drift).

The engine's errors and warnings are data too: each carries a :class:`Message` (its
English template, the catalogue's message id, and the values it names: fields, rows,
counts, never a cell's content), which ``str()`` says in English for logs and
:func:`render_message` says in any of :data:`LANGUAGES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

from babel import Locale
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.support import Translations

__all__ = [
    "COORDINATOR_CHOICE",
    "LANGUAGES",
    "STABLE_PAIR",
    "UNNAMED_KINDS",
    "Evidence",
    "Label",
    "Language",
    "Message",
    "label_text",
    "negotiate",
    "plural_message",
    "render",
    "render_many",
    "render_message",
    "render_why",
    "translator",
]

Language = Literal["en", "fr", "ar"]
LANGUAGES: tuple[Language, ...] = ("en", "fr", "ar")
"""English is the source language of the catalogues."""

Label: TypeAlias = str | Mapping[str, str]
"""A value or criterion title: one text, or one text per language (``{fr = "région",
ar = "الجهة", en = "region"}``)."""

UNNAMED_KINDS = frozenset({"needs", "languages", "hours", "distance"})
"""Evidence kinds whose words do not name their criterion: two criteria giving one of
them in a pair are named (``language: both speak French; mentoring language: ...``)."""

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "marraine"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One criterion's evidence for a pair (or an unmatched mentee's reason), as data.

    ``kind`` says which message renders it; ``values`` holds what it quotes (numbers,
    labels, lists of labels, as JSON-able data); ``criterion`` is the criterion's title;
    ``named`` asks the text to name the criterion (two criteria of the same kind)."""

    kind: str
    criterion: Label = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    named: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (stored with a run's pairs)."""
        criterion = self.criterion if isinstance(self.criterion, str) else dict(self.criterion)
        return {"kind": self.kind, "criterion": criterion, "values": dict(self.values)} | (
            {"named": True} if self.named else {}
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            str(data["kind"]),
            data.get("criterion", ""),
            dict(data.get("values", {})),
            bool(data.get("named", False)),
        )

    def naming(self, named: bool = True) -> Evidence:
        """A copy that names (or not) its criterion."""
        return replace(self, named=named)


MessageValue: TypeAlias = "str | int | float | Message | Evidence | tuple[MessageValue, ...]"
"""What a message may name: names and numbers as they are, sentences (a :class:`Message`
or an :class:`Evidence`) rendered in the reader's language, and tuples of either (names
joined by commas, sentences one a line)."""


class Message:
    """A sentence as data: its English template (``text``, the catalogue's message id),
    for a count its plural template, and the values the template names.

    Write it where the error is raised, so that ``make messages`` extracts it::

        Message("the column '{column}' is empty", column=name)
        plural_message("{count} row is refused", "{count} rows are refused", count)

    ``str(message)`` is the English sentence (logs, tracebacks); :func:`render_message`
    says it in another language. ``verbatim`` marks a text that no catalogue holds (an
    outside library's words): other languages say ``fallback`` instead."""

    __slots__ = ("count", "fallback", "plural", "text", "values")

    def __init__(self, text: str, /, **values: MessageValue) -> None:
        self.text = text
        self.values: dict[str, MessageValue] = values
        self.plural: str | None = None
        self.count: int | None = None
        self.fallback: Message | None = None

    @classmethod
    def verbatim(cls, text: str, fallback: Message) -> Message:
        """English text outside the catalogues; ``fallback`` in any other language."""
        message = cls("{text}", text=text)
        message.fallback = fallback
        return message

    def replacing(self, **values: MessageValue) -> Message:
        """A copy naming other values."""
        copy = Message(self.text, **(self.values | values))
        copy.plural, copy.count, copy.fallback = self.plural, self.count, self.fallback
        return copy

    def __str__(self) -> str:
        return render_message(self, "en")

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(str(self))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (a failed run stores its error's), read by :meth:`from_dict`."""
        data: dict[str, Any] = {"text": self.text, "values": _value_data(self.values)}
        if self.plural is not None:
            data |= {"plural": self.plural, "count": self.count}
        if self.fallback is not None:
            data["fallback"] = self.fallback.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        message = cls(str(data["text"]), **_values_from(data.get("values", {})))
        if data.get("plural") is not None:
            message.plural, message.count = str(data["plural"]), int(data["count"])
        if data.get("fallback"):
            message.fallback = cls.from_dict(data["fallback"])
        return message


def plural_message(singular: str, plural: str, count: int, /, **values: MessageValue) -> Message:
    """A :class:`Message` whose words follow ``count`` (named ``{count}`` in the text),
    with the plural forms of each language (Arabic has six)."""
    message = Message(singular, count=count, **values)
    message.plural, message.count = plural, count
    return message


def _value_data(values: Mapping[str, MessageValue]) -> dict[str, Any]:
    def data(value: MessageValue) -> Any:
        if isinstance(value, Message):
            return {"message": value.to_dict()}
        if isinstance(value, Evidence):
            return {"evidence": value.to_dict()}
        if isinstance(value, tuple):
            return {"items": [data(item) for item in value]}
        return value

    return {name: data(value) for name, value in values.items()}


def _values_from(data: Mapping[str, Any]) -> dict[str, MessageValue]:
    def value(item: Any) -> MessageValue:
        if isinstance(item, dict):
            if "message" in item:
                return Message.from_dict(item["message"])
            if "evidence" in item:
                return Evidence.from_dict(item["evidence"])
            return tuple(value(part) for part in item.get("items", ()))
        return cast(MessageValue, item)

    return {name: value(item) for name, item in data.items()}


def render_message(message: Message, language: str = "en") -> str:
    """A message in one language (its English template when a catalogue lacks it)."""
    if message.fallback is not None and language != "en":
        return render_message(message.fallback, language)
    t = translator(language)
    if message.plural is None:
        template = t.gettext(message.text)
    else:
        template = t.ngettext(message.text, message.plural, message.count or 0)
    values = {name: _value_text(value, language) for name, value in message.values.items()}
    return template.format(**values)


def _value_text(value: MessageValue, language: str) -> str:
    if isinstance(value, Message):
        return render_message(value, language)
    if isinstance(value, Evidence):
        return render(value, language)
    if isinstance(value, tuple):
        sentences = any(isinstance(item, Message | Evidence) for item in value)
        return ("\n" if sentences else ", ").join(_value_text(item, language) for item in value)
    return str(value)


COORDINATOR_CHOICE = Evidence("coordinator_choice")
"""The evidence of a pair a coordinator made by choosing another suggested mentor."""

STABLE_PAIR = Evidence("stable_pair")
"""The first evidence of every pair of a stable matching: what stability means for it."""


@cache
def translator(language: str) -> Translations:
    """The catalogue of one language (English: the messages as written)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    return cast(Translations, Translations.load(str(LOCALE_DIR), [language], DOMAIN))


def negotiate(accept_language: str | None, default: Language = "en") -> Language:
    """The best of :data:`LANGUAGES` for an ``Accept-Language`` header (RFC 9110 weights;
    ``fr-MA`` counts as ``fr``), or ``default``."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        ranked.append((-weight, position, tag.strip().lower().split("-")[0]))
    for weight, _, tag in sorted(ranked):
        if weight < 0 and tag in LANGUAGES:
            return tag
    return default


def label_text(label: Label, language: str) -> str:
    """A label in one language: its own text, else English, else any."""
    if isinstance(label, str):
        return label
    return label.get(language) or label.get("en") or next(iter(label.values()), "")


def render(evidence: Evidence, language: str = "en") -> str:
    """One piece of evidence in words."""
    t = translator(language)
    text = _RENDERERS[evidence.kind](evidence, _Context(t, language))
    if evidence.named and evidence.criterion:
        criterion = label_text(evidence.criterion, language)
        return t.gettext("{criterion}: {phrase}").format(criterion=criterion, phrase=text)
    return text


def render_why(evidence: Iterable[Evidence], language: str = "en") -> str:
    """A pair's evidence joined in one text (empty when no criterion contributes)."""
    separator = translator(language).gettext("; ")
    return separator.join(render(e, language) for e in evidence)


def render_many(rows: Sequence[Sequence[Evidence]], language: str = "en") -> list[str]:
    """:func:`render_why` of many pairs. Criteria share their evidence objects between
    pairs with the same values, so each distinct object is rendered once."""
    separator = translator(language).gettext("; ")
    made: dict[int, str] = {}  # by identity: the objects stay alive in ``rows`` meanwhile
    out = []
    for row in rows:
        pieces = []
        for evidence in row:
            text = made.get(id(evidence))
            if text is None:
                text = made[id(evidence)] = render(evidence, language)
            pieces.append(text)
        out.append(separator.join(pieces))
    return out


# --------------------------------------------------------------------------- renderers


@dataclass(frozen=True)
class _Context:
    t: Translations
    language: str

    def words(self, labels: Sequence[Label]) -> str:
        items = tuple(label_text(label, self.language) for label in labels)
        if len(items) <= 1:
            return "".join(items)
        return _list_text(items, self.language)

    def number(self, value: float, pattern: str = "#,##0.##") -> str:
        return _number_text(value, pattern, self.language)

    def plural_count(self, value: float) -> int:
        """An integer that selects the plural form CLDR gives ``value`` (gettext counts
        are integers: "1,5 heure" is singular in French, "1.5 hours" plural in English)."""
        if float(value).is_integer():
            return int(value)
        return 1 if _locale(self.language).plural_form(value) == "one" else 5

    def label(self, value: Label) -> str:
        return label_text(value, self.language)

    def criterion(self, evidence: Evidence) -> str:
        return label_text(evidence.criterion, self.language)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


# A cohort's explanations repeat a few lists and numbers thousands of times; Babel
# resolves its patterns on every call, so each distinct one is formatted once.
@lru_cache(maxsize=65_536)
def _list_text(items: tuple[str, ...], language: str) -> str:
    return format_list(list(items), locale=_locale(language))


@lru_cache(maxsize=4096)
def _number_text(value: float, pattern: str, language: str) -> str:
    return format_decimal(value, pattern, locale=_locale(language), numbering_system="latn")


def _needs(e: Evidence, c: _Context) -> str:
    t, language = c.t, c.language
    covered = tuple(
        _covered_text(
            label_text(item["need"], language), item["mentor_level"], item["need_level"], language
        )
        for item in e.values.get("covered", ())
    )
    related = tuple(
        _through_text(
            label_text(item["need"], language), label_text(item["via"], language), language
        )
        for item in e.values.get("related", ())
    )
    missing = tuple(label_text(item["need"], language) for item in e.values.get("missing", ()))
    parts = []
    if covered:
        parts.append(t.gettext("covers {items}").format(items=c.words(covered)))
    if related:
        parts.append(t.gettext("related expertise for {items}").format(items=c.words(related)))
    if missing:
        parts.append(t.gettext("does not cover {items}").format(items=c.words(missing)))
    return t.gettext("; ").join(parts)


@lru_cache(maxsize=65_536)
def _covered_text(need: str, mentor_level: int, need_level: int, language: str) -> str:
    text = translator(language).gettext(
        "{need} (mentor level {mentor_level} for need level {need_level})"
    )
    return text.format(need=need, mentor_level=mentor_level, need_level=need_level)


@lru_cache(maxsize=65_536)
def _through_text(need: str, via: str, language: str) -> str:
    return translator(language).gettext("{need} through {via}").format(need=need, via=via)


def _languages(e: Evidence, c: _Context) -> str:
    common = e.values["common"]
    text = c.t.ngettext("both speak {languages}", "both speak {languages}", len(common))
    return text.format(languages=c.words(common))


def _common(e: Evidence, c: _Context) -> str:
    return c.t.gettext("{criterion} in common: {items}").format(
        criterion=c.criterion(e), items=c.words(e.values["common"])
    )


def _same(e: Evidence, c: _Context) -> str:
    return c.t.gettext("same {criterion} ({value})").format(
        criterion=c.criterion(e), value=c.label(e.values["value"])
    )


def _related(e: Evidence, c: _Context) -> str:
    return c.t.gettext("related {criterion} ({mentee_value} / {mentor_value})").format(
        criterion=c.criterion(e),
        mentee_value=c.label(e.values["mentee"]),
        mentor_value=c.label(e.values["mentor"]),
    )


def _numeric(e: Evidence, c: _Context) -> str:
    return c.t.gettext("{criterion}: mentor {mentor}, mentee {mentee}").format(
        criterion=c.criterion(e),
        mentor=c.number(e.values["mentor"]),
        mentee=c.number(e.values["mentee"]),
    )


def _distance(e: Evidence, c: _Context) -> str:
    return c.t.gettext("{km} km apart").format(km=c.number(e.values["km"], "#,##0"))


def _hours(e: Evidence, c: _Context) -> str:
    hours = float(e.values["hours"])
    text = c.t.ngettext(
        "{hours} hour a week in common", "{hours} hours a week in common", c.plural_count(hours)
    )
    return text.format(hours=c.number(hours))


def _text(e: Evidence, c: _Context) -> str:
    if e.values.get("level") == 2:
        text = c.t.gettext("similar {criterion}")
    else:
        text = c.t.gettext("somewhat similar {criterion}")
    return text.format(criterion=c.criterion(e))


def _table_score(e: Evidence, c: _Context) -> str:
    return c.t.gettext("score given in the scores table")


def _rank_score(e: Evidence, c: _Context) -> str:
    if e.values.get("side") == "mentor":
        return c.t.gettext("score 1 / the mentor's rank")
    return c.t.gettext("score 1 / the mentee's rank")


def _stable_pair(e: Evidence, c: _Context) -> str:
    return c.t.gettext("stable: both ranked each other higher than any available alternative")


def _stable_full(e: Evidence, c: _Context) -> str:
    count = int(e.values["allowed"])
    return c.t.ngettext(
        "the mentor she ranked ({count} acceptable) is full with mentees that mentor "
        "prefers; more seats with that mentor would help",
        "every mentor she ranked ({count} acceptable) is full with mentees they prefer; "
        "more seats with these mentors would help",
        count,
    ).format(count=count)


def _coordinator_choice(e: Evidence, c: _Context) -> str:
    return c.t.gettext("chosen by a coordinator among the suggested alternatives")


def _capacity(e: Evidence, c: _Context) -> str:
    count = int(e.values["allowed"])
    return c.t.ngettext(
        "{count} mentor allowed, at capacity with mentees the objective placed first; more seats with this mentor would help",  # noqa: E501
        "{count} mentors allowed, all at capacity with mentees the objective placed first; more seats with these mentors would help",  # noqa: E501
        count,
    ).format(count=count)


def _below(e: Evidence, c: _Context) -> str:
    count = int(e.values["count"])
    return c.t.ngettext(
        "{count} mentor passes the rules but scores below the minimum {minimum} (best {best})",
        "{count} mentors pass the rules but score below the minimum {minimum} (best {best})",
        count,
    ).format(
        count=count,
        minimum=c.number(e.values["minimum"], "0.00"),
        best=c.number(e.values["best"], "0.00"),
    )


def _rule(e: Evidence, c: _Context) -> str:
    total = int(e.values["total"])
    return c.t.ngettext(
        "rule '{rule}' excludes {count} of {total} mentor",
        "rule '{rule}' excludes {count} of {total} mentors",
        total,
    ).format(rule=e.values["rule"], count=int(e.values["count"]), total=total)


def _none_allowed(e: Evidence, c: _Context) -> str:
    total = int(e.values["total"])
    return c.t.ngettext(
        "the only mentor is not allowed for her",
        "none of the {total} mentors is allowed for her",
        total,
    ).format(total=total)


def _quota_outlook(e: Evidence, c: _Context) -> str:
    v = e.values
    t = c.t
    parts = [
        t.ngettext(
            "quota {name} asks for {required} of its {members} member to be matched; "
            "at most {reachable} can be",
            "quota {name} asks for {required} of its {members} members to be matched; "
            "at most {reachable} can be",
            int(v["members"]),
        ).format(
            name=v["name"],
            required=c.number(v["required"]),
            members=c.number(v["members"]),
            reachable=c.number(v["reachable"]),
        )
    ]
    idle = int(v["members"]) - int(v.get("wanting", v["members"]))
    if idle:
        text = t.ngettext("{count} wants no mentor", "{count} want no mentor", idle)
        parts.append(text.format(count=c.number(idle)))
    lacking = int(v.get("no_mentor", 0))
    if lacking:
        text = t.ngettext(
            "{count} has no allowed mentor", "{count} have no allowed mentor", lacking
        ).format(count=c.number(lacking))
        if v.get("rule"):
            text += t.gettext(" ({count} of them because of '{rule}')").format(
                count=c.number(v["rule_count"]), rule=v["rule"]
            )
        parts.append(text)
    if "seats" in v:
        seats = int(v["seats"])
        parts.append(
            t.ngettext(
                "the mentors allowed to {count} of them have {seats} seat in all",
                "the mentors allowed to {count} of them have {seats} seats in all",
                seats,
            ).format(count=c.number(v["crowded"]), seats=c.number(seats))
        )
    return t.gettext("; ").join(parts)


def _lacks(e: Evidence, c: _Context) -> str:
    kind = e.values.get("kind")
    t = c.t
    if kind == "needs":
        text = t.gettext("covers none of her needs")
    elif kind == "availability":
        text = t.gettext("no hours a week in common")
    elif kind == "overlap":
        text = t.gettext("no {criterion} in common")
    elif kind == "category":
        text = t.gettext("different {criterion}")
    elif kind == "distance":
        text = t.gettext("too far apart ({criterion})")
    else:
        text = t.gettext("{criterion}: no match")
    return text.format(criterion=c.criterion(e))


def _quotas_together(e: Evidence, c: _Context) -> str:
    return c.t.ngettext(
        "quota {names} could be met by its group alone, but not with the locked or forbidden pairs",
        "quotas {names} cannot all be met together (each alone could be): their members "
        "want the same mentors, or locked or forbidden pairs take the seats",
        int(e.values.get("count", 2)),
    ).format(names=e.values["names"])


_RENDERERS = {
    "needs": _needs,
    "languages": _languages,
    "common": _common,
    "same": _same,
    "related": _related,
    "numeric": _numeric,
    "distance": _distance,
    "hours": _hours,
    "text": _text,
    "table_score": _table_score,
    "rank_score": _rank_score,
    "stable_pair": _stable_pair,
    "stable_full": _stable_full,
    "coordinator_choice": _coordinator_choice,
    "capacity_exhausted": _capacity,
    "below_min_score": _below,
    "rule_excludes": _rule,
    "none_allowed": _none_allowed,
    "quota_outlook": _quota_outlook,
    "quotas_together": _quotas_together,
    "lacks": _lacks,
}
