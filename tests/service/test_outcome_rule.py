"""The rule that turns a pair's check-in answers into its outcome (good, poor,
ended_early): what the dashboard counts at risk and what learning reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.models import CheckIn
from service.ops.checkins import outcome_of

answers = st.lists(
    st.tuples(st.booleans(), st.integers(1, 5), st.booleans()), min_size=1, max_size=2
)


def _rows(given_answers: list[tuple[bool, int, bool]]) -> list[CheckIn]:
    return [
        CheckIn(
            run_id="run_x",
            side=side,
            mentee_id="e1",
            mentor_id="r1",
            meeting=meeting,
            rating=rating,
            continuing=continuing,
            end_reason=None if continuing else "no_time",
        )
        for side, (meeting, rating, continuing) in zip(
            ("mentee", "mentor"), given_answers, strict=False
        )
    ]


@given(answers)
def test_the_outcome_follows_the_stated_rule(given_answers: list[tuple[bool, int, bool]]) -> None:
    result = outcome_of(_rows(given_answers))
    ended = any(not continuing for _, _, continuing in given_answers)
    mean = sum(rating for _, rating, _ in given_answers) / len(given_answers)
    poor = any(not meeting for meeting, _, _ in given_answers) or mean < 3
    assert result.outcome == ("ended_early" if ended else "poor" if poor else "good")
    assert result.mean_rating == mean
    assert result.answers == len(given_answers)
    assert result.end_reasons == (("no_time",) if ended else ())


@given(answers)
def test_the_outcome_does_not_depend_on_who_answered_first(
    given_answers: list[tuple[bool, int, bool]],
) -> None:
    forward = outcome_of(_rows(given_answers))
    backward = outcome_of(_rows(given_answers[::-1]))
    assert (forward.outcome, forward.mean_rating) == (backward.outcome, backward.mean_rating)
