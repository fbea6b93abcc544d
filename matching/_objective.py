"""The objectives a match can optimise: one name shared by the model, the pipeline and the
solver (which must not import the model and, with it, pydantic and pandas)."""

from typing import Literal

Objective = Literal["coverage", "total", "fair", "stable"]
"""``coverage``: most mentees matched, then highest total score (default).
``total``: highest total score. ``fair``: among the matchings that match as many mentees
as ``coverage`` does, the one whose lowest pair score is highest, then highest total.
``stable``: no mentee and mentor who both prefer each other to what they got (deferred
acceptance, mentee-optimal unless ``stable.proposing = "mentors"``); the same as
``solver.method = "stable"``."""

Proposing = Literal["mentees", "mentors"]
"""Who proposes in deferred acceptance, hence which stable matching the ``stable``
objective returns: ``mentees``, the mentee-optimal one (default); ``mentors``, the
mentor-optimal one."""
