"""Where a match's blockwise work runs: in this process, or on a Dask cluster.

The candidate scan and the certificate's pricing scans grow with mentees x mentors, the
criteria's distinct-values tables with the distinct values of both sides.
:func:`blockwise` gives what runs them: this process's threads by default, or the
workers of a Dask cluster when a scheduler is given (``match(..., dask=...)``, or the
``MARRAINE_DASK_SCHEDULER`` environment variable when ``dask`` is None). Either way the
result is the same (:mod:`matching._dask`).

Only the Dask path imports ``distributed`` (it is the optional ``[dask]`` extra): the
engine alone imports and runs without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, Unpack

from matching.candidates import (
    CandidateGraph,
    CandidatePricer,
    CandidateScan,
    ScanOptions,
    scan_candidates,
)
from matching.errors import ConfigError
from matching.features import Similarity
from matching.messages import Message
from matching.scoring import FloatArray, PairScorer

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["SCHEDULER_VARIABLE", "Blockwise", "DaskTarget", "blockwise"]

SCHEDULER_VARIABLE = "MARRAINE_DASK_SCHEDULER"
"""The environment variable naming a Dask scheduler, read when ``dask`` is None."""

DaskTarget: TypeAlias = "str | Client | Literal[False] | None"
"""A scheduler address (``tcp://host:8786``), a connected :class:`distributed.Client`,
``False`` (this process, whatever the environment says) or None (the environment's
``MARRAINE_DASK_SCHEDULER`` if set, else this process)."""


class Blockwise(Protocol):
    """Runs the blockwise work of a match."""

    def table_rows(
        self, inner: Similarity, ranges: Sequence[tuple[int, int]], columns: int
    ) -> Iterable[FloatArray] | None:
        """A distinct-values table's rows (:class:`matching.features.TableRows`), or
        None for this process's threads."""
        ...

    def scan(
        self, scorer: PairScorer, *, top_k: int, **options: Unpack[ScanOptions]
    ) -> CandidateScan:
        """:func:`matching.candidates.scan_candidates`, the same result."""
        ...

    def pricer(
        self, scorer: PairScorer, graph: CandidateGraph, *, forbidden: Sequence[tuple[int, int]]
    ) -> CandidatePricer:
        """A :class:`matching.candidates.CandidatePricer`, the same violators."""
        ...


class LocalBlockwise:
    """The blockwise work on this process's threads."""

    def table_rows(
        self, inner: Similarity, ranges: Sequence[tuple[int, int]], columns: int
    ) -> Iterable[FloatArray] | None:
        return None

    def scan(
        self, scorer: PairScorer, *, top_k: int, **options: Unpack[ScanOptions]
    ) -> CandidateScan:
        return scan_candidates(scorer, top_k=top_k, **options)

    def pricer(
        self, scorer: PairScorer, graph: CandidateGraph, *, forbidden: Sequence[tuple[int, int]]
    ) -> CandidatePricer:
        return CandidatePricer(scorer, graph, forbidden=forbidden)


@contextmanager
def blockwise(target: DaskTarget) -> Iterator[Blockwise]:
    """What runs the blockwise work of one match (see :data:`DaskTarget`); a cluster
    connected to here is closed when the block ends.

    Raises
    ------
    ConfigError
        A scheduler is given but Dask is not installed, or the address is empty.
    ClusterError
        The scheduler cannot be reached (the message names its address).
    """
    if target is None:
        target = os.environ.get(SCHEDULER_VARIABLE) or False
    if target is False:
        yield LocalBlockwise()
        return
    if isinstance(target, str) and not target.strip():
        raise ConfigError("dask", Message("the scheduler address is empty"))
    try:
        # Imported here, on the one path that needs it: ``distributed`` is optional.
        from matching import _dask
    except ImportError as exc:
        reason = Message(
            "running on a Dask cluster needs the [dask] extra ({module} is missing): "
            "pip install 'marraine[dask]'",
            module=str(exc.name),
        )
        raise ConfigError("dask", reason) from None
    with _dask.on_cluster(target.strip() if isinstance(target, str) else target) as cluster:
        yield cluster
