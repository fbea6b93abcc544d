"""Process settings are opt-in (``matching._runtime``): :func:`matching.match` changes no
global state; :func:`matching.process_settings` turns the garbage collector and NumPy's
hugepage advice off for a block and gives them back afterwards, as the caller had them,
even when the block fails or blocks overlap; the ``marraine`` command turns them on."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import matching
from matching import InputError, Mentee, Mentor, Programme, process_settings
from matching._runtime import HUGEPAGE_VARIABLE
from matching.cli import app

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
def callers_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
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


@pytest.mark.usefixtures("callers_settings")
@pytest.mark.parametrize("gc_on", [True, False])
@pytest.mark.parametrize("advice_on", [True, False])
def test_a_library_match_leaves_the_process_settings_alone(gc_on: bool, advice_on: bool) -> None:
    gc.enable() if gc_on else gc.disable()
    _switch()(advice_on)
    during: list[tuple[bool, bool]] = []
    matching.match(MENTEES, MENTORS, PROGRAMME, progress=lambda *_: during.append(_settings()))
    assert during
    assert set(during) == {(gc_on, advice_on)}
    assert _settings() == (gc_on, advice_on)


@pytest.mark.usefixtures("callers_settings")
@pytest.mark.parametrize("gc_on", [True, False])
@pytest.mark.parametrize("advice_on", [True, False])
def test_process_settings_pause_both_and_restore_the_callers(gc_on: bool, advice_on: bool) -> None:
    gc.enable() if gc_on else gc.disable()
    _switch()(advice_on)
    during: list[tuple[bool, bool]] = []
    with process_settings():
        matching.match(MENTEES, MENTORS, PROGRAMME, progress=lambda *_: during.append(_settings()))
    assert during
    assert set(during) == {(False, False)}
    assert _settings() == (gc_on, advice_on)
    with pytest.raises(InputError), process_settings():  # a failed match gives them back too
        matching.match(MENTEES, MENTORS, PROGRAMME, locked=[("nobody", "y")])
    assert _settings() == (gc_on, advice_on)


@pytest.mark.usefixtures("callers_settings")
def test_the_users_numpy_variable_keeps_her_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HUGEPAGE_VARIABLE, "1")
    _switch()(True)
    with process_settings():
        assert _settings() == (False, True)  # the collector still pauses
    assert _settings()[1] is True


@pytest.mark.usefixtures("callers_settings")
def test_overlapping_blocks_restore_only_when_the_last_one_ends() -> None:
    gc.enable()
    _switch()(True)
    first, second = process_settings(), process_settings()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert _settings() == (False, False)  # the second block still runs
    second.__exit__(None, None, None)
    assert _settings() == (True, True)


@pytest.mark.usefixtures("callers_settings")
def test_the_command_matches_under_the_process_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gc.enable()
    _switch()(True)
    during: list[tuple[bool, bool]] = []
    real_match = matching.match

    def observed(*args: Any, **kwargs: Any) -> Any:
        during.append(_settings())
        return real_match(*args, **kwargs)

    monkeypatch.setattr(matching, "match", observed)
    result = CliRunner().invoke(app, ["demo", "--mentees", "20", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert during == [(False, False)]
    assert _settings() == (True, True)
