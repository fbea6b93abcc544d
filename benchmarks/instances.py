"""Benchmark instances: one seeded synthetic programme, the same for every solver.

Kind ``programme``: ``matching.synthetic.generate_cohort`` gives the participants and the
default programme gives the criteria and rules; ``match()`` (ours) scores them itself,
while the baselines receive the dense score matrix built *blockwise from the same*
``PairScorer`` (``NaN`` where a rule forbids the pair: that pair is no arc for anyone).
Baselines therefore get their scores for free; ours pays for scoring inside ``match()``.

Kind ``scores``: ``matching.synthetic.generate_scores`` gives a long table of allowed
pairs; ours runs ``match(..., scores=frame)`` and the baselines read the same table.

Every mentee is given demand 1 and every mentor minimum load 0, because not every baseline
can express more (scipy's assignment, the hospital–residents game); the numbers hold for
the problem every method solves.

An instance lives in a directory: ``scores.npy`` (float32 N x M, memory-mapped by the
workers) and ``meta.npz`` (capacities, demands, ids).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Instance", "build_instance", "cohort_frames", "load_instance"]

_BLOCK = 2048


@dataclass(frozen=True)
class Instance:
    """A materialised instance (scores memory-mapped)."""

    path: Path
    kind: str
    n: int
    m: int
    seed: int
    scores: np.ndarray  # float32, NaN = not allowed
    capacity: np.ndarray
    demand: np.ndarray
    mentee_ids: np.ndarray
    mentor_ids: np.ndarray

    @property
    def allowed_arcs(self) -> int:
        return int(json.loads((self.path / "info.json").read_text())["allowed_arcs"])


def cohort_frames(n: int, m: int, seed: int) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """(programme, mentees, mentors) of the synthetic cohort, demand 1 and min load 0."""
    from matching.synthetic import generate_cohort

    cohort = generate_cohort(n, m, seed=seed)
    mentees = _frame(cohort.mentees, "mentee")
    mentors = _frame(cohort.mentors, "mentor")
    if "demand" in mentees.columns:
        mentees["demand"] = 1
    if "min_load" in mentors.columns:
        mentors["min_load"] = 0
    return cohort.programme, mentees, mentors


def _frame(participants: Any, side: str) -> pd.DataFrame:
    """A participant table as a DataFrame (the engine accepts both)."""
    if isinstance(participants, pd.DataFrame):
        return participants.copy()
    from matching.model import participants_frame

    return participants_frame(participants, side)  # type: ignore[arg-type]


def scores_frames(
    n: int, m: int, seed: int, density: float = 1.0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scores, mentees, mentors) of a synthetic score-file instance, demand 1, min load 0."""
    from matching.synthetic import generate_scores

    mentees, mentors, scores = generate_scores(n, m, density=density, seed=seed)
    mentees, mentors = mentees.copy(), mentors.copy()
    if "demand" in mentees.columns:
        mentees["demand"] = 1
    if "min_load" in mentors.columns:
        mentors["min_load"] = 0
    return scores, mentees, mentors


def _score_block(scorer: Any, rows: np.ndarray) -> np.ndarray:
    """One block of scores, float32, NaN where the pair is not allowed."""
    block = scorer.score_block(rows)
    allowed = None
    if isinstance(block, tuple):  # (scores, allowed)
        block, allowed = block
    elif hasattr(block, "score") and hasattr(block, "allowed"):
        block, allowed = block.score, block.allowed
    values = np.asarray(block, dtype=np.float32).copy()
    if allowed is not None:
        values[~np.asarray(allowed, dtype=bool)] = np.nan
    values[~np.isfinite(values)] = np.nan  # -inf marks a forbidden pair too
    return values


def engine_fingerprint() -> str:
    """Hash of the engine sources that decide an instance's scores (the cache key)."""
    import matching

    package = Path(matching.__file__).parent
    digest = hashlib.sha256()
    names = ("scoring.py", "synthetic.py", "_synthetic_data.py", "defaults.py", "model.py")
    files = [package / name for name in names]
    files += sorted((package / "features").glob("*.py")) + sorted((package / "data").glob("*"))
    for file in files:
        if file.is_file():
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


def build_instance(kind: str, n: int, m: int, seed: int, root: Path) -> Instance:
    """Materialise an instance under ``root`` (reused while the engine's scoring is unchanged)."""
    path = root / f"{kind}-{n}x{m}-s{seed}-{engine_fingerprint()}"
    if (path / "info.json").exists():
        return load_instance(path)
    path.mkdir(parents=True, exist_ok=True)
    if kind == "programme":
        from matching.scoring import PairScorer

        programme, mentees, mentors = cohort_frames(n, m, seed)
        scorer = PairScorer(programme).fit(mentees, mentors)
        dense = np.lib.format.open_memmap(
            path / "scores.npy", mode="w+", dtype=np.float32, shape=(n, m)
        )
        for start in range(0, n, _BLOCK):
            rows = np.arange(start, min(n, start + _BLOCK), dtype=np.int64)
            dense[start : rows[-1] + 1] = _score_block(scorer, rows)
        dense.flush()
        min_score = float(getattr(programme, "min_score", 0.0) or 0.0)
        if min_score > 0:
            for start in range(0, n, _BLOCK):
                chunk = dense[start : start + _BLOCK]
                chunk[chunk < min_score] = np.nan
            dense.flush()
    elif kind == "scores":
        table, mentees, mentors = scores_frames(n, m, seed)
        dense = np.lib.format.open_memmap(
            path / "scores.npy", mode="w+", dtype=np.float32, shape=(n, m)
        )
        dense[:] = np.nan
        mentee_index = pd.Index(mentees["id"].astype(str))
        mentor_index = pd.Index(mentors["id"].astype(str))
        rows = mentee_index.get_indexer(table["mentee_id"].astype(str))
        cols = mentor_index.get_indexer(table["mentor_id"].astype(str))
        dense[rows, cols] = table["score"].to_numpy(np.float32)
        dense.flush()
        table.to_parquet(path / "scores.parquet", index=False)
        mentees.to_parquet(path / "mentees.parquet", index=False)
        mentors.to_parquet(path / "mentors.parquet", index=False)
    else:
        raise ValueError(f"unknown instance kind {kind!r}")
    allowed = 0
    for start in range(0, n, _BLOCK):
        allowed += int(np.count_nonzero(~np.isnan(dense[start : start + _BLOCK])))
    del dense
    capacity = mentors["capacity"].to_numpy(np.int64) if "capacity" in mentors else np.ones(m)
    demand = np.ones(n, dtype=np.int64)
    np.savez(
        path / "meta.npz",
        capacity=np.asarray(capacity, dtype=np.int64),
        demand=demand,
        mentee_ids=mentees["id"].astype(str).to_numpy().astype(str),
        mentor_ids=mentors["id"].astype(str).to_numpy().astype(str),
    )
    info = {"kind": kind, "n": n, "m": m, "seed": seed, "allowed_arcs": allowed}
    info["seats"] = int(np.sum(capacity))
    (path / "info.json").write_text(json.dumps(info))
    return load_instance(path)


def load_instance(path: Path) -> Instance:
    """Open a materialised instance; the score matrix is memory-mapped, not read."""
    info = json.loads((path / "info.json").read_text())
    meta = np.load(path / "meta.npz", allow_pickle=False)
    return Instance(
        path=path,
        kind=info["kind"],
        n=info["n"],
        m=info["m"],
        seed=info["seed"],
        scores=np.load(path / "scores.npy", mmap_mode="r"),
        capacity=meta["capacity"],
        demand=meta["demand"],
        mentee_ids=meta["mentee_ids"],
        mentor_ids=meta["mentor_ids"],
    )
