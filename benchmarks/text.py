"""Text matching across French, Arabic and English: ranking quality and speed per encoder.

``python -m benchmarks.text`` (``make bench-text``) reads the labelled evaluation set in
``benchmarks/data/text/`` (mentee needs, mentor bios, and the relevance 0/1/2 of every
need-bio pair; see its README) and, for each encoder, ranks the bios for every need:

- among the bios of one language (a need in ``mixed`` French/Darija/English or in Arabic
  against French bios...): one cell per (need language, bio language);
- among all bios (``all``).

Quality: NDCG@5 (graded gains 0/1/2, the mean over needs) and AUC (the chance that a
relevant bio, relevance 2, outscores an unrelated one, relevance 0; ties count half).
Speed: texts encoded per second, fitting on the synthetic programme's goals and bios
(``--speed-texts`` of each side, distinct texts as the engine encodes them).

Encoders: today's TF-IDF of character n-grams (``ngrams``), each component of the
multilingual encoder alone (``concepts``, ``stemmed words``, ``folded n-grams``), the
three together, and the default (concepts and folded n-grams). Output: a table,
``results/text.json`` and ``results/text.md``. Nothing is asserted: compare the lines of one run.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.run import machine_info
from matching.features import MultilingualTextEncoder, TextEncoder, default_glossary
from matching.synthetic import generate_cohort

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "text"
RESULTS = HERE / "results"
NEED_LANGUAGES = ("fr", "ar", "en", "mixed")
BIO_LANGUAGES = ("fr", "ar", "en")
TOP = 5

ENCODERS: dict[str, Callable[[], Any]] = {
    "ngrams (today)": lambda: TextEncoder(3, 5),
    "concepts": lambda: MultilingualTextEncoder(ngram_weight=0),
    "stemmed words": lambda: MultilingualTextEncoder(
        concept_weight=0, word_weight=1, ngram_weight=0
    ),
    "folded n-grams": lambda: MultilingualTextEncoder(concept_weight=0),
    "all three": lambda: MultilingualTextEncoder(
        concept_weight=0.5, word_weight=0.3, ngram_weight=0.2
    ),
    "multilingual (default)": MultilingualTextEncoder,
}


def load() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Needs, bios and the labelled pairs."""
    needs = pd.read_csv(DATA / "needs.csv", dtype=str)
    bios = pd.read_csv(DATA / "bios.csv", dtype=str)
    pairs = pd.read_csv(DATA / "pairs.csv", dtype={"need_id": str, "bio_id": str})
    return needs, bios, pairs


def ndcg_at(scores: np.ndarray, gains: np.ndarray, k: int = TOP) -> float:
    """NDCG@k of one ranking (ties broken by position: the data's order)."""
    order = np.argsort(-scores, kind="stable")[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((gains[order] * discounts[: order.size]).sum())
    ideal = np.sort(gains)[::-1][:k]
    best = float((ideal * discounts[: ideal.size]).sum())
    return dcg / best if best > 0 else 0.0


def auc(scores: np.ndarray, gains: np.ndarray) -> float | None:
    """P(a relevance-2 bio outscores a relevance-0 bio), ties half."""
    good, bad = scores[gains == 2], scores[gains == 0]
    if good.size == 0 or bad.size == 0:
        return None
    wins = (good[:, None] > bad[None, :]).sum() + 0.5 * (good[:, None] == bad[None, :]).sum()
    return float(wins / (good.size * bad.size))


def evaluate(make: Callable[[], Any]) -> dict[str, dict[str, float]]:
    """NDCG@5 and AUC per (need language, bio language) cell and over all bios."""
    needs, bios, pairs = load()
    encoded = make().fit_transform(needs["text"].tolist() + bios["text"].tolist())
    similarity = np.asarray((encoded[: len(needs)] @ encoded[len(needs) :].T).todense())
    gains = (
        pairs.pivot(index="need_id", columns="bio_id", values="relevance")
        .loc[needs["id"], bios["id"]]
        .to_numpy(dtype=np.float64)
    )
    cells: dict[str, dict[str, float]] = {}
    columns_of = {lang: np.flatnonzero(bios["language"] == lang) for lang in BIO_LANGUAGES}
    columns_of["all"] = np.arange(len(bios))
    for need_language in NEED_LANGUAGES:
        rows = np.flatnonzero(needs["language"] == need_language)
        for bio_language, columns in columns_of.items():
            ndcgs = [ndcg_at(similarity[r, columns], gains[r, columns]) for r in rows]
            aucs = [auc(similarity[r, columns], gains[r, columns]) for r in rows]
            known = [a for a in aucs if a is not None]
            cells[f"{need_language}->{bio_language}"] = {
                "ndcg5": float(np.mean(ndcgs)),
                "auc": float(np.mean(known)) if known else float("nan"),
            }
    return cells


def speed(make: Callable[[], Any], texts: list[str]) -> float:
    """Texts encoded per CPU second (fit and transform at once, as the engine does; the
    best of three, in CPU time, which another process's load disturbs less)."""
    best = float("inf")
    for _ in range(3):
        default_glossary.cache_clear()  # each run reads and stems as a new process would
        start = time.process_time()
        make().fit_transform(texts)
        best = min(best, time.process_time() - start)
    return len(texts) / best


def synthetic_texts(per_side: int) -> list[str]:
    """Distinct goals and bios of the synthetic programme (what the engine encodes)."""
    cohort = generate_cohort(per_side, max(per_side // 10, 10), seed=0)
    goals = cohort.mentees["goals"].dropna().unique().tolist()
    bios = cohort.mentors["bio"].dropna().unique().tolist()
    return [str(t) for t in goals + bios]


def _table(results: dict[str, Any]) -> str:
    """Markdown: one row per encoder, NDCG@5 per cell; AUC and speed at the end."""
    cells = [f"{a}->{b}" for a in NEED_LANGUAGES for b in BIO_LANGUAGES]
    head = ["encoder", *cells, "all NDCG@5", "all AUC", "texts per CPU s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in results["encoders"].items():
        quality = row["quality"]
        pooled_auc = np.mean([quality[f"{a}->all"]["auc"] for a in NEED_LANGUAGES])
        pooled_ndcg = np.mean([quality[f"{a}->all"]["ndcg5"] for a in NEED_LANGUAGES])
        values = [f"{quality[c]['ndcg5']:.2f}" for c in cells]
        values += [f"{pooled_ndcg:.2f}", f"{pooled_auc:.2f}", f"{row['texts_per_second']:,.0f}"]
        lines.append("| " + " | ".join([name, *values]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.text", description=__doc__)
    parser.add_argument("--speed-texts", type=int, default=30_000, help="mentees for speed")
    parser.add_argument("--name", default="text")
    args = parser.parse_args(argv)
    texts = synthetic_texts(args.speed_texts)
    results: dict[str, Any] = {"machine": machine_info(), "speed_texts": len(texts)}
    results["encoders"] = {
        name: {"quality": evaluate(make), "texts_per_second": speed(make, texts)}
        for name, make in ENCODERS.items()
    }
    table = _table(results)
    print(f"NDCG@5 per need language -> bio language; speed on {len(texts):,} distinct texts\n")
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{args.name}.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
