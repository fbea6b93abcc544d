"""The assignment problem and its solvers (layers: docs/architecture.md).

One problem type (:class:`AssignmentProblem`: sparse allowed pairs with their scores as
:class:`ScoredPairs`, demands, capacities, minimum loads, locked and incumbent pairs,
quotas), one configuration
(:class:`SolverConfig`) and one answer (:class:`AssignmentSolution`), behind
:func:`solve`: OR-Tools min-cost flow by default (exact on the arcs, and over all allowed
pairs with an :class:`ArcPricer`; quotas on groups that share no mentee included),
CP-SAT for the other quotas, deferred acceptance for ``stable`` (on lists extended as
the proposals need them, :mod:`._stable`).
:func:`validate` checks any solution without trusting the solver;
:func:`contention_prices` estimates, on a :func:`subsample`, the prices that tell candidate
generation which pairs matter. ``docs/architecture.md`` shows the layers.
"""

from matching._objective import Proposing
from matching._pairs import ScoredPairs
from matching.solver._contention import contention_prices, subsample
from matching.solver._diagnostics import (
    Bottleneck,
    allowed_graph,
    connected_components,
    find_bottleneck,
)
from matching.solver._problem import (
    ArcPricer,
    AssignmentProblem,
    AssignmentSolution,
    QuotaConstraint,
    SolverConfig,
)
from matching.solver._solve import solve
from matching.solver._stable import (
    ArcLists,
    ListPart,
    Matched,
    PreferenceLists,
    Thresholds,
    oriented_lists,
    solve_stable,
    stable_matching,
)
from matching.solver._validate import validate

__all__ = [
    "ArcLists",
    "ArcPricer",
    "AssignmentProblem",
    "AssignmentSolution",
    "Bottleneck",
    "ListPart",
    "Matched",
    "PreferenceLists",
    "Proposing",
    "QuotaConstraint",
    "ScoredPairs",
    "SolverConfig",
    "Thresholds",
    "allowed_graph",
    "connected_components",
    "contention_prices",
    "find_bottleneck",
    "oriented_lists",
    "solve",
    "solve_stable",
    "stable_matching",
    "subsample",
    "validate",
]
