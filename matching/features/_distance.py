"""Coordinates for in-person meetings: the ``distance`` criterion.

Cells are ``lat|lon`` in degrees (or a two-item list). Distances are great-circle
(scikit-learn's ``haversine_distances``) on a sphere of the Earth's mean radius, always
in float64: a float32 cosine loses kilometres at short range.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics.pairwise import haversine_distances

from matching.features._base import Cells, FloatArray, IntArray, Similarity, title_of
from matching.features._parse import parse_column, parse_coordinates
from matching.messages import Evidence
from matching.model import DistanceCriterion

EARTH_RADIUS_KM = 6371.0088


class CoordinateEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Parse ``lat|lon`` cells into (latitude, longitude) in radians; NaN when missing."""

    def fit(self, X: Cells, y: object = None) -> Self:
        """Nothing to learn; checks that every cell parses."""
        parse_column(X, parse_coordinates)
        self.n_features_out_ = 2
        return self

    def transform(self, X: Cells) -> NDArray[np.float64]:
        """(n_rows, 2) float64 radians."""
        parsed = parse_column(X, parse_coordinates)
        out = np.array([p if p is not None else (np.nan, np.nan) for p in parsed], dtype=float)
        return np.asarray(np.radians(out.reshape(-1, 2)), dtype=np.float64)

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """``lat_rad`` and ``lon_rad``."""
        return np.asarray(["lat_rad", "lon_rad"], dtype=object)


def _km(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle km between rows of ``a`` and rows of ``b``; NaN rows give NaN."""
    out = np.full((a.shape[0], b.shape[0]), np.nan)
    ok_a, ok_b = ~np.isnan(a).any(axis=1), ~np.isnan(b).any(axis=1)
    if ok_a.any() and ok_b.any():
        out[np.ix_(ok_a, ok_b)] = haversine_distances(a[ok_a], b[ok_b]) * EARTH_RADIUS_KM
    return out


class DistanceSimilarity(Similarity):
    """``1 - km / radius_km``, 0 beyond the radius or when a coordinate is missing."""

    def __init__(self, criterion: DistanceCriterion) -> None:
        self.criterion = criterion

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Parse both sides' coordinates."""
        encoder = CoordinateEncoder().fit([*mentee_cells, *mentor_cells])
        self._a, self._b = encoder.transform(mentee_cells), encoder.transform(mentor_cells)
        self.n_mentees_, self.n_mentors_ = self._a.shape[0], self._b.shape[0]
        return self

    def _similarity(self, km: NDArray[np.float64]) -> NDArray[np.float64]:
        """Distance -> similarity."""
        return np.nan_to_num(np.clip(1.0 - km / self.criterion.radius_km, 0.0, 1.0), nan=0.0)

    def km(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Great-circle km of given pairs (NaN when a coordinate is missing)."""
        a, b = self._a[mentee_idx], self._b[mentor_idx]
        dlat, dlon = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        h = np.sin(dlat / 2) ** 2 + np.cos(a[:, 0]) * np.cos(b[:, 0]) * np.sin(dlon / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        return np.asarray(km, dtype=np.float64)

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Haversine block in float64, cast at the end."""
        return self._similarity(_km(self._a[rows], self._b)).astype(dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact similarities of given pairs."""
        return self._similarity(self.km(mentee_idx, mentor_idx))

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """``12 km apart``."""
        km = self.km(mentee_idx, mentor_idx)
        sim = self._similarity(km)
        title = title_of(self.criterion)
        return [
            Evidence("distance", title, {"km": round(k, 1)}) if s > 0 else None
            for k, s in zip(km.tolist(), sim.tolist(), strict=True)
        ]
