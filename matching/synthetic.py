"""Seeded synthetic programmes for demos, tests and benchmarks.

:func:`generate_cohort` draws a realistic digital-business cohort (countries, regions,
languages, needs with levels, time slots, goals and bios, conflicts of interest) in the
raw cell format :func:`matching.io.read_participants` produces, so it runs through the same
pipeline as real files. :func:`generate_scores` draws a precomputed-score instance (ids,
demand, capacity and a long score table). Both are vectorised: 30,000 mentees and 3,000
mentors take well under a second, and the same seed always gives the same cohort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching import _synthetic_data as vocab
from matching.defaults import default_programme
from matching.model import Programme, participants_frame

__all__ = ["Cohort", "generate_cohort", "generate_scores"]

StrArray = NDArray[np.object_]
BoolMatrix = NDArray[np.bool_]

WOMAN_MENTOR_SHARE = 0.3
"""Share of mentees who ask for a woman mentor."""
WOMEN_MENTORS_SHARE = 0.8
CAPACITY_SLACK = 1.1
"""Total mentor capacity as a multiple of total mentee demand."""
STATUS = ("self_employed", "cooperative", "student")
STATUS_SHARE = (0.55, 0.25, 0.2)


@dataclass(frozen=True)
class Cohort:
    """A synthetic programme: its configuration and both participant tables.

    ``mentees`` and ``mentors`` hold one row a person with text cells (multi-values
    ``a|b``, levels ``tag:3``, slots ``mon 18-20|sat 9-12``, coordinates ``lat|lon``),
    ``None`` where a cell is empty, and integer ``demand`` / ``capacity`` / ``min_load``.
    """

    mentees: pd.DataFrame
    mentors: pd.DataFrame
    programme: Programme = field(default_factory=default_programme)


def generate_cohort(
    n_mentees: int = 300,
    n_mentors: int | None = None,
    *,
    seed: int = 0,
    programme: Programme | None = None,
) -> Cohort:
    """Draw a realistic digital-business cohort.

    Parameters
    ----------
    n_mentees
        Mentees to draw (at least 1).
    n_mentors
        Mentors to draw; default ``max(1, n_mentees // 10)``.
    seed
        Same seed, same cohort (all randomness comes from one ``numpy`` generator).
    programme
        Carried in the returned cohort; default :func:`matching.default_programme`. The
        columns are those of the default programme whatever is passed.

    Returns
    -------
    Cohort
        Mentees with ``id, name, country, region, utc_offset, location, languages, needs,
        sectors, status, cooperative, organisation, mentor_gender, availability, goals,
        demand``; mentors with ``id, name, gender, country, region, utc_offset, location,
        languages, expertise, sectors, years, organisation, cooperative, availability, bio,
        capacity``. Total capacity is about 1.1 times total demand: capacities are 1–10
        when that is enough, up to 15 when mentors are few (the default 1 in 10).
    """
    if n_mentees < 1:
        raise ValueError("n_mentees must be at least 1")
    n_mentors = max(1, n_mentees // 10) if n_mentors is None else n_mentors
    if n_mentors < 1:
        raise ValueError("n_mentors must be at least 1")
    rng = np.random.default_rng(seed)
    mentees = _mentees(rng, n_mentees)
    mentors = _mentors(rng, n_mentors, int(mentees["demand"].sum()))
    return Cohort(
        mentees=participants_frame(mentees, "mentee"),
        mentors=participants_frame(mentors, "mentor"),
        programme=programme if programme is not None else default_programme(),
    )


def generate_scores(
    n_mentees: int, n_mentors: int, *, density: float = 1.0, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Draw a precomputed-score instance with contention for the best mentors.

    Parameters
    ----------
    n_mentees, n_mentors
        Sizes (at least 1 each).
    density
        Expected share of (mentee, mentor) pairs listed; an absent pair is not allowed.
    seed
        Same seed, same instance.

    Returns
    -------
    mentees, mentors, scores
        ``mentees`` (``id``, ``demand`` 1–2), ``mentors`` (``id``, ``capacity`` with total
        about 1.1 x demand) and ``scores`` (``mentee_id``, ``mentor_id``, ``score`` in
        [0, 1] rounded to 6 decimals), sorted by mentee then mentor.
    """
    if n_mentees < 1 or n_mentors < 1:
        raise ValueError("n_mentees and n_mentors must be at least 1")
    if not 0.0 < density <= 1.0:
        raise ValueError("density must be in (0, 1]")
    rng = np.random.default_rng(seed)
    mentee_ids = _ids("s", n_mentees)
    mentor_ids = _ids("t", n_mentors)
    demand = np.where(rng.random(n_mentees) < 0.1, 2, 1).astype(np.int64)
    capacity = _capacities(rng, n_mentors, int(demand.sum()))
    cells = n_mentees * n_mentors
    if density >= 0.5:
        flat = np.flatnonzero(rng.random(cells) < density) if density < 1.0 else np.arange(cells)
    else:
        # Draw with replacement and drop repeats: a little below the target density, but
        # linear in the number of pairs instead of in n_mentees x n_mentors.
        flat = np.sort(rng.integers(0, cells, size=round(density * cells)))
        # Sort-and-compare: numpy's hash-based unique is several times slower here.
        flat = flat[np.concatenate(([True], flat[1:] != flat[:-1]))]
    mentee_idx, mentor_idx = np.divmod(flat.astype(np.int64), n_mentors)
    # A mentor's appeal is shared by all mentees (contention); the rest is personal fit.
    appeal = rng.beta(2.0, 2.0, n_mentors)
    fit = rng.random(flat.size)
    score = np.round(0.5 * appeal[mentor_idx] + 0.5 * fit, 6)
    mentees = pd.DataFrame({"id": mentee_ids, "demand": demand})
    mentors = pd.DataFrame({"id": mentor_ids, "capacity": capacity})
    # Categorical ids, as matching.io.read_scores returns them: compact at millions of rows.
    scores = pd.DataFrame(
        {
            "mentee_id": pd.Categorical.from_codes(mentee_idx, categories=_index(mentee_ids)),
            "mentor_id": pd.Categorical.from_codes(mentor_idx, categories=_index(mentor_ids)),
            "score": score,
        }
    )
    return mentees, mentors, scores


# --------------------------------------------------------------------------- people


def _mentees(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Mentees: women entrepreneurs, their needs, goals and constraints."""
    place = _places(rng, n, [c.mentee_share for c in vocab.COUNTRIES])
    status = _pick(rng, np.asarray(STATUS, dtype=object), STATUS_SHARE, n)
    is_coop = status == "cooperative"
    popularity = np.tile(np.asarray(vocab.MENTEE_NEED_POPULARITY), (n, 1))
    coop_need = vocab.NEEDS.index("cooperative_management")
    popularity[is_coop, coop_need] = 0.5  # cooperative members ask for it much more
    has_need = _at_least_one(rng, rng.random((n, len(vocab.NEEDS))) < popularity, popularity)
    levels = rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15], size=has_need.shape)
    sectors = _at_least_one(rng, rng.random((n, len(vocab.SECTORS))) < 0.12)
    french = _speaks(place.languages, "french") & (rng.random(n) < 0.8)
    goals = _goals(rng, has_need, sectors, french)
    cooperative = _only(is_coop, _cooperatives(rng, place.region))
    organisation = _only(rng.random(n) < 0.35, place.organisation)
    return pd.DataFrame(
        {
            "id": _ids("me", n),
            "name": _names(rng, place.country_idx, women=np.ones(n, dtype=bool)),
            "country": place.country,
            "region": place.region,
            "utc_offset": place.utc_offset,
            "location": place.location,
            "languages": place.languages_text,
            "needs": _tags_with_levels(vocab.NEEDS, has_need, levels),
            "sectors": _tags(vocab.SECTORS, sectors),
            "status": status,
            "cooperative": cooperative,
            "organisation": organisation,
            "mentor_gender": _only(rng.random(n) < WOMAN_MENTOR_SHARE, "woman"),
            "availability": _slots(rng, n),
            "goals": goals,
            "demand": np.where(rng.random(n) < 0.03, 2, 1).astype(np.int64),
        }
    )


def _mentors(rng: np.random.Generator, n: int, total_demand: int) -> pd.DataFrame:
    """Mentors: professionals teaching the digital-business curriculum."""
    place = _places(rng, n, [c.mentor_share for c in vocab.COUNTRIES], english=0.3)
    popularity = np.tile(np.asarray(vocab.MENTOR_EXPERTISE_POPULARITY), (n, 1))
    has_skill = _at_least_one(rng, rng.random((n, len(vocab.NEEDS))) < popularity, popularity)
    levels = rng.choice([3, 4, 5], p=[0.3, 0.45, 0.25], size=has_skill.shape)
    sectors = _at_least_one(rng, rng.random((n, len(vocab.SECTORS))) < 0.2)
    woman = rng.random(n) < WOMEN_MENTORS_SHARE
    years = rng.integers(2, 31, size=n)
    french = _speaks(place.languages, "french") & (rng.random(n) < 0.75)
    # A few mentors advise a cooperative, so the same-cooperative rule has work to do.
    cooperative = _only(rng.random(n) < 0.05, _cooperatives(rng, place.region))
    return pd.DataFrame(
        {
            "id": _ids("mo", n),
            "name": _names(rng, place.country_idx, women=woman),
            "gender": np.where(woman, "woman", "man"),
            "country": place.country,
            "region": place.region,
            "utc_offset": place.utc_offset,
            "location": place.location,
            "languages": place.languages_text,
            "expertise": _tags_with_levels(vocab.NEEDS, has_skill, levels),
            "sectors": _tags(vocab.SECTORS, sectors),
            "years": years.astype(str).astype(object),
            "organisation": _only(rng.random(n) < 0.6, place.organisation),
            "cooperative": cooperative,
            "availability": _slots(rng, n),
            "bio": _bios(rng, has_skill, sectors, french, years),
            "capacity": _capacities(rng, n, total_demand),
        }
    )


@dataclass(frozen=True)
class _Places:
    """Where each person lives and what they speak (arrays aligned with the people)."""

    country_idx: NDArray[np.int64]
    country: StrArray
    region: StrArray
    utc_offset: StrArray
    location: StrArray
    organisation: StrArray
    languages: BoolMatrix
    languages_text: StrArray


_LANGUAGES = tuple(dict.fromkeys(lang for c in vocab.COUNTRIES for lang, _ in c.languages))


def _places(
    rng: np.random.Generator, n: int, shares: Sequence[float], english: float = 0.0
) -> _Places:
    """Countries, regions, coordinates near the regions' cities, languages, organisations."""
    weights = np.asarray(shares, dtype=np.float64)
    country_idx = rng.choice(len(vocab.COUNTRIES), p=weights / weights.sum(), size=n)
    region = np.empty(n, dtype=object)
    offset = np.empty(n, dtype=object)
    organisation = np.empty(n, dtype=object)
    lat = np.empty(n)
    lon = np.empty(n)
    speaks = np.zeros((n, len(_LANGUAGES)), dtype=bool)
    uniform = rng.random((n, 2 + len(_LANGUAGES)))
    # One pass per country (ten), vectorised over the people living there.
    for k, country in enumerate(vocab.COUNTRIES):
        members = np.flatnonzero(country_idx == k)
        if members.size == 0:
            continue
        region_weights = np.cumsum([r.weight for r in country.regions])
        chosen = np.searchsorted(
            region_weights / region_weights[-1], uniform[members, 0], side="right"
        )
        chosen = np.minimum(chosen, len(country.regions) - 1)
        region[members] = np.asarray([r.name for r in country.regions], dtype=object)[chosen]
        lat[members] = np.asarray([r.lat for r in country.regions])[chosen]
        lon[members] = np.asarray([r.lon for r in country.regions])[chosen]
        offset[members] = _number_text(country.utc_offset)
        organisations = np.asarray(country.organisations, dtype=object)
        organisation[members] = organisations[
            np.minimum(
                (uniform[members, 1] * organisations.size).astype(int), organisations.size - 1
            )
        ]
        for position, (language, probability) in enumerate(country.languages):
            column = _LANGUAGES.index(language)
            extra = english if language == "english" else 0.0
            always = position == 0
            speaks[members, column] = always | (uniform[members, 2 + column] < probability + extra)
    lat += rng.normal(0.0, 0.08, n)
    lon += rng.normal(0.0, 0.08, n)
    location = (
        pd.Series(np.round(lat, 4)).astype(str) + "|" + pd.Series(np.round(lon, 4)).astype(str)
    ).to_numpy(dtype=object)
    countries = np.asarray([c.name for c in vocab.COUNTRIES], dtype=object)
    return _Places(
        country_idx=country_idx.astype(np.int64),
        country=countries[country_idx],
        region=region,
        utc_offset=offset,
        location=location,
        organisation=organisation,
        languages=speaks,
        languages_text=_tags(_LANGUAGES, speaks),
    )


def _speaks(languages: BoolMatrix, language: str) -> NDArray[np.bool_]:
    """Who speaks ``language``."""
    return languages[:, _LANGUAGES.index(language)]


def _names(
    rng: np.random.Generator, country_idx: NDArray[np.int64], women: NDArray[np.bool_]
) -> StrArray:
    """A first name usual in the person's country and a last-name initial."""
    n = country_idx.size
    names = np.empty(n, dtype=object)
    draw = rng.random(n)
    initials = np.asarray(list("ABCDEFGHIKLMNORSTUYZ"), dtype=object)
    for k, country in enumerate(vocab.COUNTRIES):
        for is_woman, pool in ((True, country.women_names), (False, country.men_names)):
            members = np.flatnonzero((country_idx == k) & (women == is_woman))
            choices = np.asarray(pool, dtype=object)
            index = np.minimum((draw[members] * choices.size).astype(int), choices.size - 1)
            names[members] = choices[index]
    full: StrArray = names + " " + _pick(rng, initials, None, n) + "."
    return full


def _cooperatives(rng: np.random.Generator, region: StrArray) -> StrArray:
    """A cooperative name per person, from a word list and her region."""
    words = _pick(rng, np.asarray(vocab.COOPERATIVE_WORDS, dtype=object), None, region.size)
    named: StrArray = "Coopérative " + words + " (" + region + ")"
    return named


def _only(mask: NDArray[np.bool_], values: StrArray | str) -> StrArray:
    """``values`` where ``mask`` holds, None (an empty cell) elsewhere."""
    out = np.full(mask.size, None, dtype=object)
    out[mask] = values[mask] if isinstance(values, np.ndarray) else values
    return out


# --------------------------------------------------------------------------- cells


def _ids(prefix: str, n: int) -> StrArray:
    """Zero-padded ids (``me00042``) so they sort like the rows."""
    width = max(4, len(str(n)))
    numbers = np.char.zfill(np.arange(1, n + 1).astype(str), width)
    return np.char.add(prefix, numbers).astype(object)


def _index(ids: StrArray) -> pd.Index[str]:
    """Ids as a pandas Index of text."""
    return pd.Index([str(i) for i in ids])


def _pick(
    rng: np.random.Generator, values: StrArray, weights: Sequence[float] | None, n: int
) -> StrArray:
    """``n`` draws from ``values`` (with replacement)."""
    p = None if weights is None else np.asarray(weights) / np.sum(weights)
    result: StrArray = values[rng.choice(values.size, p=p, size=n)]
    return result


def _at_least_one(
    rng: np.random.Generator, chosen: BoolMatrix, weights: NDArray[np.float64] | None = None
) -> BoolMatrix:
    """Give every row with nothing chosen one item, drawn by ``weights`` (default uniform)."""
    empty = np.flatnonzero(~chosen.any(axis=1))
    if empty.size:
        scores = rng.random((empty.size, chosen.shape[1]))
        if weights is not None:
            scores = scores * weights[empty]
        chosen[empty, scores.argmax(axis=1)] = True
    return chosen


def _tags(names: Sequence[str], chosen: BoolMatrix) -> StrArray:
    """Rows of a boolean matrix as ``a|b`` cells (None when empty), column by column."""
    return _join([np.where(chosen[:, k], name, "") for k, name in enumerate(names)])


def _tags_with_levels(
    names: Sequence[str], chosen: BoolMatrix, levels: NDArray[np.int64]
) -> StrArray:
    """Rows as ``tag:level|tag:level`` cells."""
    parts = []
    for k, name in enumerate(names):
        text = np.char.add(f"{name}:", levels[:, k].astype(str))
        parts.append(np.where(chosen[:, k], text, ""))
    return _join(parts)


def _join(parts: Sequence[NDArray[np.str_]]) -> StrArray:
    """Join per-column text with ``|``, skipping empty parts (vectorised over rows)."""
    joined = pd.Series(parts[0], dtype=object)
    for part in parts[1:]:
        joined = joined + "|" + pd.Series(part, dtype=object)
    cleaned = joined.str.replace(r"\|{2,}", "|", regex=True).str.strip("|")
    return cleaned.where(cleaned != "", None).to_numpy(dtype=object)


def _slots(rng: np.random.Generator, n: int) -> StrArray:
    """One to four weekly slots, in local time."""
    chosen = _at_least_one(rng, rng.random((n, len(vocab.SLOTS))) < 0.18)
    return _tags(vocab.SLOTS, chosen)


def _number_text(value: float) -> str:
    """A number as a person writes it: ``1``, ``-5``, ``5.5``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _capacities(rng: np.random.Generator, n: int, total_demand: int) -> NDArray[np.int64]:
    """Capacities 1–10 (up to 15 if needed) adding up to about 1.1 x the total demand."""
    target = max(n, round(CAPACITY_SLACK * total_demand))
    mean = target / n
    high = 10 if mean <= 6.5 else 15
    share = min(max((mean - 1.0) / (high - 1.0), 0.02), 0.98)
    capacity = np.rint(1 + (high - 1) * rng.beta(4 * share, 4 * (1 - share), n)).astype(np.int64)
    # Nudge random mentors by one seat until the total hits the target (or the bounds).
    for _ in range(64):
        gap = target - int(capacity.sum())
        room = np.flatnonzero(capacity < high) if gap > 0 else np.flatnonzero(capacity > 1)
        if gap == 0 or room.size == 0:
            break
        chosen = rng.permutation(room)[: abs(gap)]
        capacity[chosen] += 1 if gap > 0 else -1
    return capacity


# --------------------------------------------------------------------------- text


def _first_two(rng: np.random.Generator, chosen: BoolMatrix) -> tuple[NDArray[np.int64], ...]:
    """Two of each row's chosen items at random (the same twice when only one)."""
    keys = rng.random(chosen.shape) + chosen  # chosen items rank above the others
    order = np.argsort(-keys, axis=1)
    first = order[:, 0]
    second = np.where(chosen[np.arange(chosen.shape[0]), order[:, 1]], order[:, 1], first)
    return first.astype(np.int64), second.astype(np.int64)


def _phrases(
    table: Sequence[tuple[str, str]], index: NDArray[np.int64], french: BoolMatrix
) -> StrArray:
    """The French or English phrase of each row's item."""
    fr = np.asarray([p[0] for p in table], dtype=object)
    en = np.asarray([p[1] for p in table], dtype=object)
    result: StrArray = np.where(french, fr[index], en[index])
    return result


def _fill(
    rng: np.random.Generator,
    templates: tuple[tuple[str, ...], tuple[str, ...]],
    french: NDArray[np.bool_],
    values: dict[str, StrArray],
) -> StrArray:
    """Fill templates (one drawn per row, in the row's language) with per-row values."""
    n = french.size
    out = np.empty(n, dtype=object)
    pick = rng.random(n)
    for language, is_french in ((0, True), (1, False)):
        for t, template in enumerate(templates[language]):
            low, high = t / len(templates[language]), (t + 1) / len(templates[language])
            rows = np.flatnonzero((french == is_french) & (pick >= low) & (pick < high))
            if rows.size == 0:
                continue
            # Split the template on its fields and concatenate arrays: no per-row format().
            pieces: StrArray = np.full(rows.size, "", dtype=object)
            rest = template
            while "{" in rest:
                before, _, after = rest.partition("{")
                key, _, rest = after.partition("}")
                pieces = pieces + before + values[key][rows].astype(str).astype(object)
            out[rows] = pieces + rest
    return out


def _goals(
    rng: np.random.Generator, needs: BoolMatrix, sectors: BoolMatrix, french: NDArray[np.bool_]
) -> StrArray:
    """Mentees' goals in French or English, naming two of their needs and a sector."""
    need1, need2 = _first_two(rng, needs)
    sector, _ = _first_two(rng, sectors)
    values = {
        "need1": _phrases(vocab.NEED_PHRASES, need1, french),
        "need2": _phrases(vocab.NEED_PHRASES, need2, french),
        "sector": _phrases(vocab.SECTOR_PHRASES, sector, french),
    }
    return _fill(rng, vocab.GOAL_TEMPLATES, french, values)


def _bios(
    rng: np.random.Generator,
    skills: BoolMatrix,
    sectors: BoolMatrix,
    french: NDArray[np.bool_],
    years: NDArray[np.int64],
) -> StrArray:
    """Mentors' bios in French or English, naming a role, two skills and a sector."""
    skill1, skill2 = _first_two(rng, skills)
    sector, _ = _first_two(rng, sectors)
    roles_fr = np.asarray(vocab.ROLES[0], dtype=object)
    roles_en = np.asarray(vocab.ROLES[1], dtype=object)
    role = rng.integers(0, roles_fr.size, size=french.size)
    values = {
        "role": np.where(french, roles_fr[role], roles_en[role]),
        "years": years.astype(str).astype(object),
        "skill1": _phrases(vocab.SKILL_PHRASES, skill1, french),
        "skill2": _phrases(vocab.SKILL_PHRASES, skill2, french),
        "sector": _phrases(vocab.SECTOR_PHRASES, sector, french),
    }
    return _fill(rng, vocab.BIO_TEMPLATES, french, values)
