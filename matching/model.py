"""Participants and programme configuration: the engine's typed, frozen inputs.

A :class:`Programme` says *how* to match: the criteria that score a pair, the hard rules
that allow or forbid it, the objective and the solver options. It is loaded from TOML or
JSON (:meth:`Programme.from_file`); every validation error names the offending key.

:class:`Mentee` and :class:`Mentor` carry an ``id`` and whatever fields the programme's
criteria and rules read (``languages``, ``needs``, ``organisation`` ...), so a programme
can add a field without a code change. Large cohorts are better passed as pandas
DataFrames (one row a participant, same columns); see :func:`participants_frame`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    ValidationError,
    field_validator,
    model_validator,
)

from matching._config_reasons import config_reason, syntax_reason
from matching._objective import Objective, Proposing
from matching.errors import ConfigError, InputError
from matching.messages import Message

__all__ = [
    "AllowedValuesRule",
    "AvailabilityCriterion",
    "CategoryCriterion",
    "Criterion",
    "DistanceCriterion",
    "ExcludeSameRule",
    "FieldMap",
    "GlossaryEntry",
    "GroupQuota",
    "Mentee",
    "MenteeFields",
    "Mentor",
    "MentorFields",
    "NeedsCriterion",
    "NumericCriterion",
    "Objective",
    "OverlapCriterion",
    "Programme",
    "Proposing",
    "RequiresRule",
    "Rule",
    "SignUpOptions",
    "SimilarityEntry",
    "SolverOptions",
    "StableOptions",
    "TextCriterion",
    "config_reason",
    "id_problem",
    "participants_frame",
    "syntax_reason",
    "text_problem",
]


FieldValue = str | int | float | bool | list[str] | None

ID_MAX_LENGTH = 200
"""Longest participant id (the service stores ids in columns of this width)."""

COUNT_BOUNDS: dict[str, tuple[int, int]] = {
    "demand": (1, 20),
    "capacity": (0, 1000),
    "min_load": (0, 1000),
}
"""Bounds of the count columns (mentees' ``demand``, mentors' ``capacity``, ``min_load``)."""

MAX_WEIGHT = 1000.0
"""Largest criterion weight: scores stay within what the solver's integer costs hold."""

MAX_SCORE = 1_000_000.0
"""Largest precomputed pair score (``match(scores=...)``): the solver works on exact
integer costs (scores times a power of ten), which must fit in 64 bits."""

# Controls (C0, DEL, C1), lone surrogates, line and paragraph separators.
_ID_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029/\\\\]")
_TEXT_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> Message | None:
    """Why ``value`` cannot be stored as text, or ``None``: text may hold tabs and line
    breaks but no other control character (NUL included) and no lone surrogate."""
    if _TEXT_REFUSED.search(value):
        return Message("contains a control character or an invalid character")
    return None


def id_problem(value: str) -> Message | None:
    """Why ``value`` cannot be a participant id, or ``None`` — the one rule for ids.

    An id is a label that must survive a URL path segment (``GET`` and ``DELETE`` of one
    person), a database column and a CSV cell unchanged: 1 to ``ID_MAX_LENGTH``
    characters, no ``/`` or ``\\``, no control characters or line separators (tabs and
    line breaks included), not ``.`` or ``..`` (which URL clients collapse), no spaces
    around it (callers drop those first)."""
    if not value:
        return Message("the id is empty")
    if len(value) > ID_MAX_LENGTH:
        return Message("the id is longer than {count} characters", count=ID_MAX_LENGTH)
    if value != value.strip(" "):
        return Message("the id starts or ends with a space")
    if value in (".", ".."):
        return Message("the id must not be '.' or '..'")
    if _ID_REFUSED.search(value):
        return Message("the id must not contain '/', '\\', control characters or line separators")
    return None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# --------------------------------------------------------------------------- participants


class _Participant(BaseModel):
    """A person: an ``id`` plus the fields the programme's criteria and rules read."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: str = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # Spreadsheets turn ids into numbers; an id is a label, never arithmetic.
        return str(value).strip(" ") if isinstance(value, int | str) else value

    @field_validator("id")
    @classmethod
    def _id_rule(cls, value: str) -> str:
        problem = id_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("demand", "capacity", "min_load", mode="before", check_fields=False)
    @classmethod
    def _count_not_a_flag(cls, value: Any) -> Any:
        # JSON's true is not a count of 1.
        if isinstance(value, bool):
            raise ValueError(Message("must be a whole number, not true or false"))
        return value

    @property
    def fields(self) -> dict[str, Any]:
        """The fields beyond ``id`` and the capacity/demand numbers."""
        return dict(self.model_extra or {})


class Mentee(_Participant):
    """A mentee. ``demand`` is how many mentors she should get (default 1)."""

    demand: int = Field(default=1, ge=1, le=20)


class Mentor(_Participant):
    """A mentor. ``capacity`` is how many mentees she takes at most (default 1);
    ``min_load`` how many she should get at least when the programme can (default 0)."""

    capacity: int = Field(default=1, ge=0, le=1000)
    min_load: int = Field(default=0, ge=0, le=1000)

    @model_validator(mode="after")
    def _min_load_within_capacity(self) -> Self:
        if self.min_load > self.capacity:
            raise ValueError(Message("min_load must not exceed capacity"))
        return self


def participants_frame(
    people: Sequence[Mentee] | Sequence[Mentor] | pd.DataFrame,
    side: Literal["mentee", "mentor"],
    *,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return participants as a DataFrame: one row a person, ``id`` first, defaults filled.

    Accepts a list of :class:`Mentee` / :class:`Mentor` (or plain dicts) or a DataFrame that
    already has an ``id`` column. ``demand`` (mentees) or ``capacity`` and ``min_load``
    (mentors) are always present as integer columns. Ids must be unique. ``names`` maps
    the engine's column names to the programme's own, for error messages
    (:func:`matching.apply_field_map` did the renaming).
    """
    shown = dict(names or {})
    if isinstance(people, pd.DataFrame):
        frame = people.copy()
    else:
        rows = [
            {"id": p.id, **_counts(p), **p.fields} if isinstance(p, _Participant) else dict(p)
            for p in people
        ]
        frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame({"id": []})
    if "id" not in frame.columns:
        id_column = shown.get("id", "id")
        raise InputError(
            Message("the participant table has no '{column}' column", column=id_column),
            column=id_column,
        )
    # Spaces around an id are dropped; any other character is checked by the id rule.
    frame["id"] = frame["id"].map(lambda v: str(v).strip(" ") if v is not None else "")
    for row, value in enumerate(frame["id"]):
        problem = id_problem(value)
        if problem is not None:
            raise InputError(problem, row=row, column=shown.get("id", "id"))
    duplicated = frame["id"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax())
        reason = (
            Message("duplicate mentee id") if side == "mentee" else Message("duplicate mentor id")
        )
        raise InputError(reason, row=row, column=shown.get("id", "id"))
    counts = {"mentee": {"demand": 1}, "mentor": {"capacity": 1, "min_load": 0}}[side]
    for column, default in counts.items():
        frame[column] = _count_column(frame, column, default, shown.get(column, column))
    if side == "mentor" and (frame["min_load"] > frame["capacity"]).any():
        row = int((frame["min_load"] > frame["capacity"]).to_numpy().argmax())
        low, high = shown.get("min_load", "min_load"), shown.get("capacity", "capacity")
        reason = Message("{low} must not exceed {high}", low=low, high=high)
        raise InputError(reason, row=row, column=low)
    return frame.reset_index(drop=True)


def _counts(person: _Participant) -> dict[str, int]:
    """The integer counts of a participant model, by column name."""
    if isinstance(person, Mentee):
        return {"demand": person.demand}
    if isinstance(person, Mentor):
        return {"capacity": person.capacity, "min_load": person.min_load}
    return {}


def _count_column(frame: pd.DataFrame, column: str, default: int, shown: str) -> pd.Series:
    """A non-negative integer column with missing cells set to ``default`` (messages call
    it ``shown``, the programme's name for it)."""
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype="int64")
    values = pd.to_numeric(frame[column], errors="coerce")
    missing = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
    values = values.where(~missing, default)
    low, high = COUNT_BOUNDS[column]
    flags = frame[column].map(lambda v: isinstance(v, bool))  # JSON's true is not 1
    bad = values.isna() | (values < low) | (values > high) | (values % 1 != 0) | flags
    if bad.any():
        row = int(bad.to_numpy().argmax())
        reason = Message(
            "{column} must be a whole number from {low} to {high}", column=shown, low=low, high=high
        )
        raise InputError(reason, row=row, column=shown)
    return values.astype("int64")


# --------------------------------------------------------------------------- criteria


class SimilarityEntry(_Frozen):
    """Partial credit between two values (tags or categories), symmetric, in [0, 1]."""

    a: str
    b: str
    similarity: float = Field(strict=True, ge=0.0, le=1.0)


Label = str | dict[str, str]
"""A text for explanations: one for every language, or one per language code
(``{ fr = "région", ar = "الجهة", en = "region" }``)."""


class _CriterionBase(_Frozen):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    mentee_field: str = Field(min_length=1)
    mentor_field: str = Field(min_length=1)
    weight: float = Field(default=1.0, strict=True, ge=0.0, le=MAX_WEIGHT)
    required: bool = Field(default=False, strict=True)
    """Also a hard rule: a pair is allowed only if its similarity is at least
    ``min_similarity`` (and above 0 when ``min_similarity`` is 0)."""
    min_similarity: float = Field(default=0.0, strict=True, ge=0.0, le=1.0)
    title: Label | None = None
    """How explanations name the criterion (default: its name, underscores as spaces)."""
    labels: dict[str, Label] = Field(default_factory=dict)
    """How explanations show values (keys compare case-insensitively); a value without
    a label is shown as first written in the data."""

    @field_validator("title")
    @classmethod
    def _title_languages(cls, title: Label | None) -> Label | None:
        _check_label(title)
        return title

    @field_validator("labels")
    @classmethod
    def _labels_languages(cls, labels: dict[str, Label]) -> dict[str, Label]:
        for label in labels.values():
            _check_label(label)
        return labels


def _check_label(label: Label | None) -> None:
    """A label per language names only known languages, at least one."""
    if isinstance(label, dict) and (not label or set(label) - {"en", "fr", "ar"}):
        raise ValueError(Message("a label per language uses the codes en, fr and ar"))


class NeedsCriterion(_CriterionBase):
    """Mentee needs (tags, optional level 1-5 as ``tag:level``) vs mentor expertise.

    Similarity is the share of the mentee's needs covered. A need at level ``n`` met by a
    mentor at level ``l`` earns ``clip((l - n + 1) / (full_credit_gap + 1), 0, 1)``: full
    credit when the mentor is ``full_credit_gap`` levels above. Related tags give partial
    credit: a need earns the best, over the mentor's tags ``t'``, of
    ``similarity(need tag, t') * credit(level of t', need level)`` with similarity 1 for the
    tag itself and the ``related`` table's value otherwise (so a mentor whose own level is
    too low for the need can still earn credit through a strong related tag).
    """

    kind: Literal["needs"] = "needs"
    full_credit_gap: int = Field(default=2, strict=True, ge=0, le=4)
    default_mentee_level: int = Field(default=1, strict=True, ge=1, le=5)
    default_mentor_level: int = Field(default=4, strict=True, ge=1, le=5)
    related: tuple[SimilarityEntry, ...] = ()


class OverlapCriterion(_CriterionBase):
    """Two tag sets (languages, sectors, meeting modes).

    ``any``: 1 if they share a tag; ``jaccard``: |A ∩ B| / |A ∪ B|; ``share``: the share
    of the mentee's tags the mentor has."""

    kind: Literal["overlap"] = "overlap"
    mode: Literal["any", "jaccard", "share"] = "share"


class CategoryCriterion(_CriterionBase):
    """One value each (business stage, region): 1 if equal, else the table's similarity."""

    kind: Literal["category"] = "category"
    table: tuple[SimilarityEntry, ...] = ()


class NumericCriterion(_CriterionBase):
    """Numbers (years of experience, UTC offset).

    ``closeness``: ``1 - |mentor - mentee - gap| / scale``; ``at_least``: 1 when
    ``mentor - mentee >= gap``, falling to 0 over ``scale`` below it. Clipped to [0, 1];
    a missing number scores 0."""

    kind: Literal["numeric"] = "numeric"
    mode: Literal["closeness", "at_least"] = "closeness"
    scale: float = Field(default=1.0, strict=True, gt=0.0)
    gap: float = Field(default=0.0, strict=True)


class AvailabilityCriterion(_CriterionBase):
    """Weekly time slots like ``mon 18-20|sat 9-12`` in each person's local time.

    Slots are moved to UTC with each side's ``*_offset_field`` (hours from UTC) when
    given, and compared hour by hour; similarity is ``min(1, common hours / target_hours)``.
    """

    kind: Literal["availability"] = "availability"
    mentee_offset_field: str | None = None
    mentor_offset_field: str | None = None
    target_hours: float = Field(default=2.0, strict=True, gt=0.0)


class DistanceCriterion(_CriterionBase):
    """Coordinates ``lat|lon`` in degrees: ``1 - km / radius_km``, 0 beyond the radius."""

    kind: Literal["distance"] = "distance"
    radius_km: float = Field(default=50.0, strict=True, gt=0.0)


class GlossaryEntry(_Frozen):
    """Words or phrases (in any language) that express one concept of the programme's
    domain, added to the shipped glossary: ``{ concept = "beekeeping", terms =
    ["apiculture", "beekeeping", "تربية النحل"] }``. A shipped concept's name adds words
    to it."""

    concept: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")
    terms: tuple[str, ...] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _terms_have_words(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        if any(not any(ch.isalnum() for ch in term) for term in terms):
            raise ValueError(Message("every term needs at least one letter or digit"))
        return terms


class TextCriterion(_CriterionBase):
    """Free text (goals vs bio) in French, Arabic or English, across languages.

    ``encoder = "multilingual"`` (default): glossary concepts, stemmed and folded words
    and character n-grams (:class:`matching.features.MultilingualTextEncoder`);
    ``glossary`` adds the programme's own concepts or words. ``encoder = "ngrams"``:
    TF-IDF of character n-grams alone, within one language."""

    kind: Literal["text"] = "text"
    encoder: Literal["multilingual", "ngrams"] = "multilingual"
    ngram_min: int = Field(default=3, strict=True, ge=1, le=8)
    ngram_max: int = Field(default=5, strict=True, ge=1, le=8)
    max_features: int | None = Field(default=2**16, strict=True, gt=0)
    glossary: tuple[GlossaryEntry, ...] = ()

    @model_validator(mode="after")
    def _ngram_order(self) -> Self:
        if self.ngram_min > self.ngram_max:
            raise ValueError(Message("ngram_min must not exceed ngram_max"))
        return self


Criterion = Annotated[
    NeedsCriterion
    | OverlapCriterion
    | CategoryCriterion
    | NumericCriterion
    | AvailabilityCriterion
    | DistanceCriterion
    | TextCriterion,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- rules


class RequiresRule(_Frozen):
    """A mentor attribute the mentee requires: when the mentee's ``mentee_field`` is set
    (e.g. ``mentor_gender = woman``), the mentor's ``mentor_field`` must hold that value."""

    kind: Literal["requires"] = "requires"
    name: str = Field(default="", pattern=r"^[A-Za-z0-9_]*$")
    mentee_field: str
    mentor_field: str
    optional: bool = Field(default=False, strict=True)
    """When a column the rule reads is absent from a file: ``False`` (the default) refuses
    the run, naming rule and column; ``True`` switches the rule off with a warning."""


class ExcludeSameRule(_Frozen):
    """Conflict of interest: no pair whose fields share a value (same organisation or
    cooperative). Empty values never conflict."""

    kind: Literal["exclude_same"] = "exclude_same"
    name: str = Field(default="", pattern=r"^[A-Za-z0-9_]*$")
    mentee_field: str
    mentor_field: str
    optional: bool = Field(default=False, strict=True)
    """As :attr:`RequiresRule.optional`."""


class AllowedValuesRule(_Frozen):
    """A rule on one side alone: only participants of ``side`` whose ``field`` holds one
    of ``values`` may be matched (e.g. every mentor's ``gender`` is ``woman``). It fails
    safe: an empty cell is not an allowed value. Values compare as the criteria do
    (trimmed, case-insensitive)."""

    kind: Literal["allowed_values"] = "allowed_values"
    name: str = Field(default="", pattern=r"^[A-Za-z0-9_]*$")
    side: Literal["mentee", "mentor"]
    field: str = Field(min_length=1)
    values: tuple[str, ...] = Field(min_length=1)
    optional: bool = Field(default=False, strict=True)
    """As :attr:`RequiresRule.optional`."""


Rule = Annotated[RequiresRule | ExcludeSameRule | AllowedValuesRule, Field(discriminator="kind")]


class GroupQuota(_Frozen):
    """A minimum of matched mentees among those whose ``field`` equals ``value``: a count
    (``min_count``) or a share of the group (``min_share``, e.g. 40% of cooperative
    members), exactly one of the two.

    A ``hard`` quota (the default) refuses any matching that misses it. A soft one costs
    ``penalty`` (in pair-score units) per missing member, so the solver trades it against
    the pairs' scores and still certifies the result optimal for that trade. Every result
    reports each quota met or short by how many.

    The min-cost flow enforces quotas whose groups share no mentee (one field, or fields
    that never overlap) under every objective but ``stable`` (which refuses quotas);
    Lagrangian flows one quota overlapping those under ``total`` and ``coverage``;
    CP-SAT the others."""

    field: str = Field(min_length=1)
    value: str
    min_share: float | None = Field(default=None, strict=True, ge=0.0, le=1.0)
    min_count: int | None = Field(default=None, strict=True, ge=0)
    hard: bool = Field(default=True, strict=True)
    penalty: float = Field(default=1.0, strict=True, gt=0.0, le=MAX_WEIGHT)
    """Soft quotas only: the score a matching gives up per missing member."""

    @model_validator(mode="after")
    def _one_minimum(self) -> Self:
        if (self.min_share is None) == (self.min_count is None):
            raise ValueError(Message("give exactly one of min_share and min_count"))
        return self

    @property
    def name(self) -> str:
        """How results and messages name the quota: ``field=value``."""
        return f"{self.field}={self.value}"

    def required(self, group_size: int) -> int:
        """How many of a group of ``group_size`` members must be matched (a count larger
        than the group asks for the whole group)."""
        if self.min_count is not None:
            return min(self.min_count, group_size)
        share = self.min_share if self.min_share is not None else 0.0
        return math.ceil(share * group_size - 1e-9)


# --------------------------------------------------------------------------- fields


class _SideFields(_Frozen):
    """Which of one side's columns play the engine's roles (shared by both sides)."""

    id: str = Field(default="id", min_length=1)
    """The column holding each person's identifier."""
    name: str | None = None
    """The column shown as a person's name on the page, in exports and explanations;
    ``None``: the column ``name`` when the file has one, else the id alone."""
    groups: tuple[str, ...] = ()
    """Columns describing groups (status, country, city ...): the page's charts and
    filters, match rate and mean score per group, and recruitment gaps use them."""
    region: str | None = None
    """The column of a person's region or country, shown and filtered on the page."""
    email: str | None = None
    """The column of a person's e-mail address: introductions and check-in links are
    sent to it (the service); ``None``: the column ``email`` when the data has one."""
    language: str | None = None
    """The column of the language (``en``, ``fr`` or ``ar``) a person is written to in;
    ``None``, or another value in a row: the programme's ``language``."""
    ignore: tuple[str, ...] = ()
    """Columns the programme knowingly leaves unread (notes, e-mail ...): no warning."""

    def role_columns(self) -> dict[str, str]:
        """The programme's column for each role it sets (role to column)."""
        roles = {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "email": self.email,
            "language": self.language,
        }
        return {role: column for role, column in roles.items() if column}


class MenteeFields(_SideFields):
    """The mentees' roles: ``demand`` is how many mentors she asks for (default 1)."""

    demand: str = Field(default="demand", min_length=1)

    def role_columns(self) -> dict[str, str]:
        return {**super().role_columns(), "demand": self.demand}


class MentorFields(_SideFields):
    """The mentors' roles: ``capacity`` (mentees she takes, default 1) and ``min_load``
    (mentees she must be given, default 0)."""

    capacity: str = Field(default="capacity", min_length=1)
    min_load: str = Field(default="min_load", min_length=1)

    def role_columns(self) -> dict[str, str]:
        return {**super().role_columns(), "capacity": self.capacity, "min_load": self.min_load}


class FieldMap(_Frozen):
    """The programme's own column names for the engine's roles, per side (TOML
    ``[fields.mentee]`` and ``[fields.mentor]``). CLI, API and page read files alike
    through it; the defaults are the engine's own names."""

    mentee: MenteeFields = MenteeFields()
    mentor: MentorFields = MentorFields()

    @model_validator(mode="after")
    def _roles_take_distinct_columns(self) -> Self:
        for side in (self.mentee, self.mentor):
            columns = list(side.role_columns().values())
            for column in columns:
                if columns.count(column) > 1:
                    raise ValueError(Message("column '{column}' plays two roles", column=column))
        return self


class SolverOptions(_Frozen):
    """How the assignment is solved; the defaults suit cohorts from 10 to 30,000 mentees."""

    method: Literal["auto", "min_cost_flow", "cp_sat", "stable"] = "auto"
    top_k: int = Field(default=20, strict=True, ge=1, le=1000)
    """Candidate mentors kept per mentee before the certificate adds what is missing: her
    best by score, or from 2,000 mentees her best by score less each mentor's contention
    price (estimated on a quarter of the cohort), plus her best by score. Under the
    ``stable`` objective: the first part of each proposer's list (each later part is
    twice the last)."""
    block_size: int = Field(default=2048, strict=True, ge=1)
    """Mentees scored at once against all mentors; bounds memory."""
    certify: bool = Field(default=True, strict=True)
    """Prove optimality over all allowed pairs, not just the candidates."""
    max_rounds: int = Field(default=100, strict=True, ge=1)
    time_limit_seconds: float = Field(default=60.0, strict=True, gt=0.0)
    """For CP-SAT only; min-cost flow always finishes."""
    workers: int = Field(default=2, strict=True, ge=1, le=64)
    seed: int = Field(default=0, strict=True)


class StableOptions(_Frozen):
    """How the ``stable`` objective ranks and who proposes (see the README's "Stable
    matching and ranked preferences")."""

    proposing: Proposing = "mentees"
    """``mentees``: the mentee-optimal stable matching (every mentee gets the best mentors
    any stable matching gives her); ``mentors``: the mentor-optimal one."""
    mentor_weights: dict[str, StrictFloat] | None = None
    """The mentors' own ranking: the same criteria with these weights (criterion name to
    weight, 0 or more; criteria not named weigh 0). Default: mentors rank by the pair
    score. Mentor rank files take precedence."""

    @field_validator("mentor_weights")
    @classmethod
    def _weights_valid(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        if any(not w >= 0.0 or w == float("inf") for w in value.values()):
            raise ValueError(Message("mentor weights must be finite numbers, 0 or more"))
        if sum(value.values()) <= 0:
            raise ValueError(Message("at least one mentor weight must be above 0"))
        return value


class SignUpOptions(_Frozen):
    """What the service's sign-up forms say and ask beyond the fields (TOML
    ``[sign_up]``)."""

    minors: bool = Field(default=False, strict=True)
    """The programme's mentees are minors: a mentee's form also asks for a parent's or
    guardian's consent."""
    retention_notice: Label | None = None
    """How long the programme keeps what a person submits and why, shown above the
    consent box (one text, or one per language); ``None``: the service's default text."""

    @field_validator("retention_notice")
    @classmethod
    def _notice_languages(cls, notice: Label | None) -> Label | None:
        _check_label(notice)
        return notice


# --------------------------------------------------------------------------- programme


class Programme(_Frozen):
    """How a programme matches: criteria, rules, objective and solver options."""

    name: str = "programme"
    language: Literal["en", "fr", "ar"] = "en"
    """The language of the explanations in this programme's output files (the CLI's
    ``--lang``, the API's ``Accept-Language`` and the page choose for their readers)."""
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = ()
    objective: Objective = "coverage"
    min_score: float = Field(default=0.0, strict=True, ge=0.0)
    """Pairs scoring below this are not allowed (unmatched reason ``below_min_score``)."""
    allow_repeat_pairs: bool = Field(default=False, strict=True)
    """Whether a previous pair (passed to ``match(previous=...)``) may be proposed again."""
    quotas: tuple[GroupQuota, ...] = ()
    fields: FieldMap = FieldMap()
    """The programme's own column names for ids, counts, names, groups and region."""
    alternatives: int = Field(default=3, strict=True, ge=0, le=20)
    solver: SolverOptions = SolverOptions()
    stable: StableOptions = StableOptions()
    sign_up: SignUpOptions = SignUpOptions()
    """What the service's sign-up forms add: a guardian's consent, the retention notice."""

    @model_validator(mode="after")
    def _unique_criterion_names(self) -> Self:
        names = [c.name for c in self.criteria]
        reserved = {"mentee_id", "mentor_id", "score", "why"}
        for name in names:
            if names.count(name) > 1:
                raise ValueError(Message("criterion name '{name}' is used twice", name=name))
            if name in reserved:
                raise ValueError(
                    Message("criterion name '{name}' is reserved for an output column", name=name)
                )
        if sum(c.weight for c in self.criteria) <= 0:
            raise ValueError(Message("at least one criterion needs a weight above 0"))
        return self

    @model_validator(mode="after")
    def _quotas_need_a_method_that_honours_them(self) -> Self:
        if self.quotas and self.solver.method == "stable":
            raise ValueError(Message("solver.method 'stable' cannot honour quotas: use 'auto'"))
        if self.quotas and self.objective == "stable":
            raise ValueError(Message("the objective 'stable' cannot honour quotas"))
        return self

    @model_validator(mode="after")
    def _mentor_weights_name_criteria(self) -> Self:
        unknown = set(self.stable.mentor_weights or {}) - set(self.criterion_names)
        if unknown:
            raise ValueError(
                Message(
                    "stable.mentor_weights names unknown criteria: {names}",
                    names=tuple(sorted(unknown)),
                )
            )
        return self

    @property
    def is_stable(self) -> bool:
        """Whether this programme asks for a stable matching (objective or method)."""
        return self.objective == "stable" or self.solver.method == "stable"

    def mentor_programme(self) -> Programme | None:
        """The programme whose score is the mentors' ranking (``stable.mentor_weights``:
        the same criteria and rules, reweighted), or None when mentors rank by the pair
        score."""
        weights = self.stable.mentor_weights
        if weights is None:
            return None
        return self.with_weights({c.name: float(weights.get(c.name, 0.0)) for c in self.criteria})

    # ----------------------------------------------------------------- loading

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None) -> Programme:
        """Validate a configuration mapping; errors name the offending key."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            error = exc.errors(include_input=False)[0]
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            raise ConfigError(key, config_reason(error), source) from None

    @classmethod
    def from_file(cls, path: str | Path) -> Programme:
        """Load a programme from a ``.toml`` or ``.json`` file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            found = not isinstance(exc, FileNotFoundError)
            reason = Message("cannot read the file") if found else Message("file not found")
            raise ConfigError("(file)", reason, str(path)) from None
        try:
            is_json = path.suffix.lower() == ".json"
            data = json.loads(text) if is_json else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("(syntax)", syntax_reason(exc), str(path)) from None
        if not isinstance(data, dict):
            reason = Message("must be a table / object")
            raise ConfigError("(top level)", reason, str(path))
        return cls.from_dict(data, source=str(path))

    # ----------------------------------------------------------------- identity

    def canonical_json(self) -> str:
        """The configuration as canonical JSON (sorted keys), the input of :meth:`sha256`."""
        data = self.model_dump(mode="json")
        # Hashes of programmes that leave a newer section at its default stay as they were.
        if self.stable == StableOptions():
            del data["stable"]
        if self.fields == FieldMap():
            del data["fields"]
        if self.sign_up == SignUpOptions():
            del data["sign_up"]
        _drop_new_defaults(data)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        """Hash of the canonical configuration: recorded with every result."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    @property
    def criterion_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.criteria)

    def with_weights(self, weights: Mapping[str, float]) -> Programme:
        """A copy with some criterion weights replaced (unknown names are an error)."""
        unknown = set(weights) - set(self.criterion_names)
        if unknown:
            reason = Message("unknown criterion names: {names}", names=tuple(sorted(unknown)))
            raise ConfigError("criteria", reason)
        criteria = tuple(
            c.model_copy(update={"weight": float(weights[c.name])}) if c.name in weights else c
            for c in self.criteria
        )
        return self.from_dict({**self.model_dump(), "criteria": [c.model_dump() for c in criteria]})

    def fields_read(self, side: Literal["mentee", "mentor"]) -> tuple[str, ...]:
        """Every participant field the criteria, rules and quotas read on one side (not
        the roles of :attr:`fields`)."""
        names: list[str] = []
        for criterion in self.criteria:
            names.append(getattr(criterion, f"{side}_field"))
            offset = getattr(criterion, f"{side}_offset_field", None)
            if offset:
                names.append(offset)
        for rule in self.rules:
            if isinstance(rule, AllowedValuesRule):
                if rule.side == side:
                    names.append(rule.field)
            else:
                names.append(getattr(rule, f"{side}_field"))
        if side == "mentee":
            names.extend(q.field for q in self.quotas)
        return tuple(dict.fromkeys(names))


def _drop_new_defaults(data: dict[str, Any]) -> None:
    """Remove, from a dumped programme, rule and quota keys added since hashes were first
    recorded, where they hold their defaults, so earlier programmes keep their hash."""
    for rule in data.get("rules", []):
        if rule.get("optional") is False:
            del rule["optional"]
    for quota in data.get("quotas", []):
        for key, default in (("min_count", None), ("hard", True), ("penalty", 1.0)):
            if key in quota and quota[key] == default:
                del quota[key]
