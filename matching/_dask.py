"""The blockwise work of a match on a Dask cluster (``match(..., dask=...)``).

What grows with mentees x mentors runs as tasks on the cluster's workers: the candidate
scan (scoring every block, each mentee's best mentors, each mentor's best mentees) and
the dense part of each pricing round of the certificate, and the rows of the criteria's
large distinct-values tables (what encoding costs at scale: distinct need profiles x
distinct mentor profiles, goal texts x bios). Reading the participants, fitting the
encoders on distinct values, choosing the arcs and the solve stay in this process.

The fitted scorer is sent to every worker once (a broadcast scatter) and each task
names it by its future. The scan is cut into parts at chunk starts
(:meth:`matching.candidates.ScanPlan.parts`) and a pricing round's chunks are grouped in
order, so the workers score exactly the chunks a local run scores, and only the parts'
records and the violating pairs come back. A table's rows are computed by the ranges a
local run computes (:func:`matching.features.table_rows`) and come back in order: the
scorer is the local one, and the result is the local one, pair for pair,
to the last digit of the total and the bound (when the workers run the same numeric
libraries as this process).

This module imports ``distributed`` at its top: only :mod:`matching._blockwise` imports
it, when a scheduler is given, so the engine runs without Dask installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any, TypeVar, Unpack

import numpy as np
from distributed import Client, Future, KilledWorker, as_completed

from matching.candidates import (
    SCAN_THREADS,
    CandidateGraph,
    CandidatePricer,
    CandidateScan,
    PricingJob,
    RoundPrices,
    ScanOptions,
    ScanPart,
    ScanPlan,
    ViolatorSearch,
    join_scan,
    plan_scan,
    scan_part,
)
from matching.errors import ClusterError
from matching.features import Similarity, one_blas_thread, table_rows
from matching.messages import Message
from matching.scoring import FloatArray, PairScorer

__all__ = ["ClusterBlockwise", "on_cluster"]

CONNECT_SECONDS = 10
"""How long to try reaching the scheduler, and to wait for a first worker, before giving
up."""
PART_ENTRIES = 2**27
"""Pairs a scan task scores at most (a few seconds of one core; the parts' records are
small beside it)."""
PARTS_PER_WORKER = 4
"""Scan parts per worker at least (when the cohort allows): a slow worker then delays
the end by a small part only."""
PRICING_TASK_ENTRIES = 2**25
"""Pairs a pricing task scores at most."""
TABLE_TASK_ENTRIES = 2**24
"""Distinct-values table entries a task computes at most (128 MiB of float64 coming
back)."""
LOCAL_TABLE_ENTRIES = 2**23
"""A distinct-values table smaller than this is computed here, on this process's
threads: sending the fitted similarity and its rows would cost more (the same numbers
either way)."""
LOCAL_PRICING_ENTRIES = 2**22
"""A pricing round scoring fewer pairs than this runs here: the round trip to the
cluster would cost more than the scan (the result is the same either way)."""

Violators = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]
Job = TypeVar("Job")


@contextmanager
def on_cluster(target: str | Client) -> Iterator[ClusterBlockwise]:
    """The blockwise work on the cluster of ``target``: a scheduler address (connected
    to for the length of the block, then closed) or a :class:`distributed.Client` (used,
    left open)."""
    if isinstance(target, Client):
        cluster = ClusterBlockwise(target, _address(target))
        cluster.wait_for_a_worker()
        yield cluster
        return
    client = _connect(target)
    try:
        cluster = ClusterBlockwise(client, target)
        cluster.wait_for_a_worker()
        yield cluster
    finally:
        client.close()


def _connect(address: str) -> Client:
    """A client of the scheduler at ``address``, or a :class:`ClusterError` naming it."""
    try:
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterError(
            Message(
                "cannot reach the Dask scheduler at {address}: {reason}",
                address=address,
                reason=reason,
            )
        ) from None


def _address(client: Client) -> str:
    """The scheduler's address, for messages."""
    return str(getattr(client.scheduler, "address", None) or "the given client")


class ClusterBlockwise:
    """The candidate scan and the certificate's pricing scans on a Dask cluster
    (implements :class:`matching._blockwise.Blockwise`)."""

    def __init__(self, client: Client, address: str) -> None:
        self.client = client
        self.address = address
        self._scorer: tuple[PairScorer, Future[PairScorer]] | None = None

    def wait_for_a_worker(self) -> None:
        """Return once the cluster has a worker; a :class:`ClusterError` after
        ``CONNECT_SECONDS`` without one (tasks would wait for ever)."""
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError):
            reason = Message("the Dask cluster at {address} has no worker", address=self.address)
            raise ClusterError(reason) from None

    def scorer_future(self, scorer: PairScorer) -> Future[PairScorer]:
        """The scorer on every worker, sent once per scorer."""
        if self._scorer is None or self._scorer[0] is not scorer:
            future = self.scatter(scorer)
            self._scorer = (scorer, future)
        return self._scorer[1]

    def scatter(self, value: Any) -> Future[Any]:
        """``value`` on every worker (not hashed: arrays of any size, sent as they are)."""
        with self.failures():
            future: Future[Any] = self.client.scatter(value, broadcast=True, hash=False)
        return future

    def table_rows(
        self, inner: Similarity, ranges: Sequence[tuple[int, int]], columns: int
    ) -> Iterator[FloatArray] | None:
        """A distinct-values table's rows (:class:`matching.features.TableRows`), by
        tasks of consecutive ranges; None (here) for a small table."""
        sizes = [(stop - start) * columns for start, stop in ranges]
        if sum(sizes) < LOCAL_TABLE_ENTRIES:
            return None
        shared = self.scatter(inner)
        with self.failures():
            futures = [
                self.client.submit(_table_rows, shared, batch, pure=False)
                for batch in _batches(list(ranges), sizes, TABLE_TASK_ENTRIES)
            ]
        return self._in_order(futures, shared)

    def _in_order(
        self, futures: list[Future[list[FloatArray]]], shared: Future[Similarity]
    ) -> Iterator[FloatArray]:
        """The tasks' rows in order, each task released once read (the table is filled
        as they come, not held twice)."""
        with self.failures():
            for future in futures:
                yield from future.result()
                future.release()
        shared.release()

    def scan(
        self, scorer: PairScorer, *, top_k: int, **options: Unpack[ScanOptions]
    ) -> CandidateScan:
        """:func:`matching.candidates.scan_candidates` with the blocks on the workers: the
        plan (locked pairs checked, each mentor's floor) here, the parts there."""
        plan = plan_scan(
            scorer,
            top_k=top_k,
            locked=options.get("locked", ()),
            forbidden=options.get("forbidden", ()),
            previous=options.get("previous", ()),
            block_size=options.get("block_size", 2048),
            per_mentor=options.get("per_mentor"),
            pool=options.get("pool", 128),
            threads=SCAN_THREADS,
        )
        shared, shared_plan = self.scorer_future(scorer), self.scatter(plan)
        parts = plan.parts(scorer.n_mentees_, self._part_rows(scorer, plan))
        with self.failures():
            futures = [
                self.client.submit(scan_part, shared, shared_plan, rows, pure=False)
                for rows in parts
            ]
            return join_scan(scorer, plan, self._results(futures, options.get("progress")))

    def pricer(
        self, scorer: PairScorer, graph: CandidateGraph, *, forbidden: Sequence[tuple[int, int]]
    ) -> CandidatePricer:
        """A :class:`CandidatePricer` whose dense scans run on the workers."""
        return ClusterPricer(self, scorer, graph, forbidden=forbidden)

    def _part_rows(self, scorer: PairScorer, plan: ScanPlan) -> int:
        """Mentees per scan part: at most ``PART_ENTRIES`` pairs, and enough parts for
        ``PARTS_PER_WORKER`` per worker when the cohort allows."""
        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        most = max(plan.step, PART_ENTRIES // max(scorer.n_mentors_, 1))
        shared = -(-scorer.n_mentees_ // (workers * PARTS_PER_WORKER))
        return max(plan.step, min(most, shared))

    def _results(
        self, futures: list[Future[ScanPart]], progress: Callable[[float], None] | None
    ) -> Iterator[ScanPart]:
        """The parts as they finish (each released once read), reporting the share done."""
        for done, future in enumerate(as_completed(futures, loop=self.client.loop), start=1):
            yield future.result()
            future.release()
            if progress is not None:
                progress(done / len(futures))

    @contextmanager
    def failures(self) -> Iterator[None]:
        """A lost connection or worker becomes a :class:`ClusterError` naming the
        scheduler (an error of the engine's own, raised inside a task, passes as it is)."""
        try:
            yield
        except (OSError, TimeoutError, KilledWorker, CancelledError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ClusterError(
                Message(
                    "the Dask cluster at {address} failed: {reason}",
                    address=self.address,
                    reason=reason,
                )
            ) from None


class ClusterPricer(CandidatePricer):
    """The certificate's pricer with each round's dense scan on the cluster: the rounds'
    chunks grouped in order into tasks, the same violators as a local scan."""

    def __init__(
        self,
        cluster: ClusterBlockwise,
        scorer: PairScorer,
        graph: CandidateGraph,
        *,
        forbidden: Sequence[tuple[int, int]],
    ) -> None:
        super().__init__(scorer, graph, forbidden=forbidden)
        self.cluster = cluster
        self._forbidden_future: Future[Any] | None = None

    def _run_jobs(self, prices: RoundPrices, jobs: list[PricingJob]) -> list[Violators]:
        """Small rounds here; larger ones as tasks of consecutive jobs, results in order."""
        m = self.scorer.n_mentors_
        sizes = [rows.size * (m if columns is None else columns.size) for rows, columns in jobs]
        if sum(sizes) < LOCAL_PRICING_ENTRIES:
            return super()._run_jobs(prices, jobs)
        cluster = self.cluster
        if self._forbidden_future is None:
            self._forbidden_future = cluster.scatter(self.forbidden_keys)
        shared = (cluster.scorer_future(self.scorer), self._forbidden_future)
        round_prices = cluster.scatter(prices)
        with cluster.failures():
            futures = [
                cluster.client.submit(
                    _violators, *shared, self.per_mentee, round_prices, batch, pure=False
                )
                for batch in _batches(jobs, sizes, PRICING_TASK_ENTRIES)
            ]
            found = cluster.client.gather(futures)
        round_prices.release()
        return [violators for batch in found for violators in batch]


def _violators(
    scorer: PairScorer,
    forbidden: np.ndarray[Any, Any],
    per_mentee: int,
    prices: RoundPrices,
    jobs: list[PricingJob],
) -> list[Violators]:
    """A pricing task: the violators of each job, in order (runs on a worker)."""
    return ViolatorSearch(scorer, forbidden, per_mentee, prices).run_all(jobs)


def _table_rows(inner: Similarity, ranges: list[tuple[int, int]]) -> list[FloatArray]:
    """A table task: the rows of each range, in order (runs on a worker, whose one
    task thread is the only one changing the BLAS limit)."""
    with one_blas_thread():
        return [table_rows(inner, start, stop) for start, stop in ranges]


def _batches(jobs: list[Job], sizes: list[int], limit: int) -> list[list[Job]]:
    """Consecutive jobs grouped into batches of at most ``limit`` entries (one job each
    when a job alone is larger)."""
    batches: list[list[Job]] = []
    batch: list[Job] = []
    filled = 0
    for job, size in zip(jobs, sizes, strict=True):
        if batch and filled + size > limit:
            batches.append(batch)
            batch, filled = [], 0
        batch.append(job)
        filled += size
    if batch:
        batches.append(batch)
    return batches
