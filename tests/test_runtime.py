"""What a match changes in the process while it runs (``matching._runtime``): the garbage
collector and NumPy's hugepage advice are off during a match and given back afterwards,
as the caller had them, even when the match fails or matches overlap."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

import matching
from matching import InputError, Mentee, Mentor, Programme
from matching._runtime import HUGEPAGE_VARIABLE, match_settings

PROGRAMME = Programme.from_dict(
    {
        "name": "runtime",
        "criteria": [
            {"name": "needs", "kind": "needs", "mentee_field": "needs",
             "mentor_field": "expertise", "weight": 1.0},
        ],
    }
)  # fmt: skip
MENTEES = [Mentee(id="x", needs="seo")]
MENTORS = [Mentor(id="y", capacity=2, expertise="seo:5")]


def _switch() -> Callable[[bool], bool]:
    from numpy._core import multiarray

    switch: Callable[[bool], bool] = multiarray._set_madvise_hugepage
    return switch


def _advice() -> bool:
    """NumPy's current hugepage advice (its setter returns the previous value)."""
    switch = _switch()
    current = switch(False)
    switch(current)
    return current


@pytest.fixture
def process_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a test sets, the process gets its own settings back."""
    monkeypatch.delenv(HUGEPAGE_VARIABLE, raising=False)
    gc_was, advice_was = gc.isenabled(), _advice()
    try:
        yield
    finally:
        gc.enable() if gc_was else gc.disable()
        _switch()(advice_was)


def _settings() -> tuple[bool, bool]:
    return gc.isenabled(), _advice()


@pytest.mark.usefixtures("process_settings")
@pytest.mark.parametrize("gc_on", [True, False])
@pytest.mark.parametrize("advice_on", [True, False])
def test_a_match_pauses_both_and_restores_the_callers_settings(
    gc_on: bool, advice_on: bool
) -> None:
    gc.enable() if gc_on else gc.disable()
    _switch()(advice_on)
    during: list[tuple[bool, bool]] = []
    matching.match(MENTEES, MENTORS, PROGRAMME, progress=lambda *_: during.append(_settings()))
    assert during
    assert set(during) == {(False, False)}
    assert _settings() == (gc_on, advice_on)
    with pytest.raises(InputError):  # a failed match gives them back too
        matching.match(MENTEES, MENTORS, PROGRAMME, locked=[("nobody", "y")])
    assert _settings() == (gc_on, advice_on)


@pytest.mark.usefixtures("process_settings")
def test_the_users_numpy_variable_keeps_her_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HUGEPAGE_VARIABLE, "1")
    _switch()(True)
    during: list[tuple[bool, bool]] = []
    matching.match(MENTEES, MENTORS, PROGRAMME, progress=lambda *_: during.append(_settings()))
    assert set(during) == {(False, True)}  # the collector still pauses
    assert _settings()[1] is True


@pytest.mark.usefixtures("process_settings")
def test_overlapping_matches_restore_only_when_the_last_one_ends() -> None:
    gc.enable()
    _switch()(True)
    first, second = match_settings(), match_settings()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert _settings() == (False, False)  # the second match still runs
    second.__exit__(None, None, None)
    assert _settings() == (True, True)
