"""Participant tables -> per-criterion matrices: scikit-learn encoders, fitted on both sides.

Each criterion kind of :mod:`matching.model` has an encoder (a scikit-learn transformer:
parameters in ``__init__``, ``fit`` returns ``self``, learned state ending in ``_``,
``get_feature_names_out``) and a :class:`Similarity` that fits the encoder on the mentee
column and the mentor column concatenated (shared vocabularies), then scores a block of
mentees against every mentor with matrix products, exact pairs in float64, and evidence
in words. :func:`check_participants` validates the cells a programme reads.

Raw cells: multi-valued cells are lists or ``a|b`` text; a level is ``tag:3`` (1-5); tags
and categories compare case-insensitively, trimmed; numbers may use a decimal comma;
empty / None / NaN is missing (the person scores 0 on that criterion).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from matching.features._availability import AvailabilityEncoder, AvailabilitySimilarity
from matching.features._base import Similarity
from matching.features._category import CategoryEncoder, CategorySimilarity
from matching.features._check import check_participants
from matching.features._dedup import Deduplicated, TableRows, one_blas_thread, table_rows
from matching.features._distance import CoordinateEncoder, DistanceSimilarity
from matching.features._glossary import Glossary, default_glossary
from matching.features._multilingual import MultilingualTextEncoder
from matching.features._needs import NeedsEncoder, NeedsSimilarity
from matching.features._numeric import NumberEncoder, NumericSimilarity
from matching.features._parse import normalise, parse_levelled, parse_tags
from matching.features._rules import RuleMask, SideRuleMask, fit_rule
from matching.features._tags import OverlapSimilarity, TagSetEncoder
from matching.features._text import TextEncoder, TextSimilarity
from matching.model import (
    AvailabilityCriterion,
    CategoryCriterion,
    Criterion,
    DistanceCriterion,
    NeedsCriterion,
    NumericCriterion,
    OverlapCriterion,
    TextCriterion,
)

__all__ = [
    "AvailabilityEncoder",
    "AvailabilitySimilarity",
    "CategoryEncoder",
    "CategorySimilarity",
    "CoordinateEncoder",
    "Deduplicated",
    "DistanceSimilarity",
    "Glossary",
    "MultilingualTextEncoder",
    "NeedsEncoder",
    "NeedsSimilarity",
    "NumberEncoder",
    "NumericSimilarity",
    "OverlapSimilarity",
    "RuleMask",
    "SideRuleMask",
    "Similarity",
    "TableRows",
    "TagSetEncoder",
    "TextEncoder",
    "TextSimilarity",
    "check_participants",
    "default_glossary",
    "fit_rule",
    "fit_similarity",
    "make_similarity",
    "normalise",
    "one_blas_thread",
    "parse_levelled",
    "parse_tags",
    "table_rows",
]


def make_similarity(criterion: Criterion) -> Similarity:
    """The (unfitted) :class:`Similarity` for a criterion, by its kind.

    Parameters
    ----------
    criterion
        Any criterion of :mod:`matching.model`.

    Returns
    -------
    Similarity
    """
    if isinstance(criterion, NeedsCriterion):
        return NeedsSimilarity(criterion)
    if isinstance(criterion, OverlapCriterion):
        return OverlapSimilarity(criterion)
    if isinstance(criterion, CategoryCriterion):
        return CategorySimilarity(criterion)
    if isinstance(criterion, NumericCriterion):
        return NumericSimilarity(criterion)
    if isinstance(criterion, AvailabilityCriterion):
        return AvailabilitySimilarity(criterion)
    if isinstance(criterion, DistanceCriterion):
        return DistanceSimilarity(criterion)
    if isinstance(criterion, TextCriterion):
        return TextSimilarity(criterion)
    raise TypeError(f"unknown criterion kind: {type(criterion).__name__}")


def _cells(frame: pd.DataFrame, criterion: Criterion, side: str) -> Any:
    """The cells a criterion reads on one side (slots with offsets for availability)."""
    field = getattr(criterion, f"{side}_field")
    if isinstance(criterion, AvailabilityCriterion):
        offset = getattr(criterion, f"{side}_offset_field")
        offsets = frame[offset] if offset else pd.Series([None] * len(frame), index=frame.index)
        return pd.DataFrame({"slots": frame[field].to_numpy(), "offset": offsets.to_numpy()})
    return frame[field]


def fit_similarity(
    criterion: Criterion,
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    *,
    table_rows: TableRows | None = None,
) -> Similarity:
    """A :class:`Similarity` fitted on the criterion's columns of both participant frames.

    Parameters
    ----------
    criterion
        The criterion.
    mentees, mentors
        Participant frames (see :func:`matching.model.participants_frame`); the columns
        the criterion reads must exist (:func:`check_participants` says so).
    table_rows
        Where its distinct-values table is computed (a cluster's workers); here when
        None.

    Returns
    -------
    Similarity
    """
    similarity = Deduplicated(make_similarity(criterion))
    return similarity.fit(
        _cells(mentees, criterion, "mentee"),
        _cells(mentors, criterion, "mentor"),
        rows=table_rows,
    )
