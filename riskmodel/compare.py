"""Several scenarios side by side, on common random numbers.

Every scenario is simulated with the same seed; inputs keep their ids, so whatever a
change does not touch draws the same numbers in every scenario and a difference
between two columns is the change's own effect, not sampling noise.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .results import SimulationResult
from .scenario.schema import Scenario
from .sim.random import SeedLike, as_seed_sequence
from .simulate import simulate

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .analysis.risks import RiskOrder

__all__ = ["Comparison", "compare", "cheapest_to_reach", "staffing_options", "scenario_row",
           "risk_removal"]


def scenario_row(result: SimulationResult) -> dict[str, Any]:
    """The headline figures of one result as a flat row (``result.headline_row()``).

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    dict
        As ``riskmodel.document.headline_row``.
    """
    return result.headline_row()


@dataclass
class Comparison:
    """Results of several scenarios run on the same random numbers."""

    results: dict[str, SimulationResult]

    def table(self) -> pd.DataFrame:
        """One row per scenario: P(meet), P50/P80 dates and cost, band, cost of delay.

        Returns
        -------
        pandas.DataFrame
            Indexed by scenario name; the columns of ``scenario_row``.
        """
        import pandas as pd

        return pd.DataFrame({k: scenario_row(r) for k, r in self.results.items()}).T \
            .rename_axis("scenario").infer_objects()

    def deltas(self) -> pd.DataFrame:
        """Numeric columns minus the first scenario's (dates as days).

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        table = self.table()
        out = pd.DataFrame(index=table.index)
        first = table.iloc[0]
        for col in table.columns:
            if col.endswith("_date"):
                out[f"{col}_days"] = [(d - first[col]).days for d in table[col]]
            elif pd.api.types.is_numeric_dtype(table[col]):
                out[col] = table[col] - first[col]
        return out

    def mitigation_value(self) -> pd.DataFrame:
        """For each scenario against the first: extra spend and cost of delay saved.

        Returns
        -------
        pandas.DataFrame
            ``extra_spend``, ``cost_of_delay_saved`` and ``net_benefit``.
        """
        import pandas as pd

        table = self.table()
        first = table.iloc[0]
        return pd.DataFrame({
            "extra_spend": table["cost_mean"] - first["cost_mean"],
            "cost_of_delay_saved": first["expected_cost_of_delay"]
            - table["expected_cost_of_delay"],
            "net_benefit": first["economic_cost"] - table["economic_cost"],
        })

    def plot(self, ax=None, **kwargs):
        """Overlaid S-curves of every scenario.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (default: a new figure).
        **kwargs
            Passed to ``riskmodel.plots.s_curves`` (and on to matplotlib's ``plot``).

        Returns
        -------
        matplotlib Axes
        """
        from .plots import s_curves

        return s_curves(self.results, ax=ax, **kwargs)

    def __getitem__(self, name: str) -> SimulationResult:
        """The result of the scenario called ``name``."""
        if name not in self.results:
            raise KeyError(f"no scenario {name!r} in this comparison; it has "
                           f"{', '.join(map(repr, self.results))}")
        return self.results[name]


def compare(scenarios: Mapping[str, Scenario], *, iterations: int | None = None,
            seed: SeedLike = None, jobs: int = 1, executor=None,
            rank_risks: bool = False) -> Comparison:
    """Simulate several scenarios on common random numbers and line them up.

    Parameters
    ----------
    scenarios : mapping of str to Scenario
        Named scenarios; the first is the reference for ``deltas()``.
    iterations : int, optional
        Default: the first scenario's.
    seed : int, SeedSequence or Generator, optional
        Default: the first scenario's; if none is set, one fresh seed is shared.
    jobs, executor
        As for ``simulate``.
    rank_risks : bool
        Also rank risks in every run (slower).

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        No scenarios.
    TypeError
        A value that is not a ``Scenario`` (a path not loaded yet).

    Examples
    --------
    >>> from riskmodel import compare, load_scenario, move_dates
    >>> base = load_scenario("data/scenarios/soc2_readiness.yaml")
    >>> table = compare({"baseline": base,
    ...                  "audit 2 weeks later": move_dates(base, audit_weeks_later=2)},
    ...                 iterations=20_000).table()
    >>> table["p_meet"].round(2).tolist()  # doctest: +SKIP
    [0.46, 0.93]
    >>> bool(table["p_meet"].iloc[1] > table["p_meet"].iloc[0])  # a later audit: better odds
    True
    """
    if not scenarios:
        raise ValueError("compare() needs at least one scenario")
    for name, s in scenarios.items():
        if not isinstance(s, Scenario):
            raise TypeError(f"compare() takes Scenarios: load '{name}' first with "
                            "load_scenario(path)")
    first = next(iter(scenarios.values()))
    root = as_seed_sequence(seed if seed is not None else first.simulation.seed)
    n = iterations if iterations is not None else first.simulation.iterations
    return Comparison({
        name: simulate(s, iterations=n, seed=root, jobs=jobs, executor=executor,
                       rank_risks=rank_risks)
        for name, s in scenarios.items()})


MAX_OPTIONS = 200
"""Most staffing combinations ``staffing_options`` builds (each is a simulation)."""


def staffing_options(base: Scenario, moves: Mapping[str, Mapping[str, Any]],
                     combine: int = 2) -> dict[str, Scenario]:
    """Every combination of up to ``combine`` staffing moves, as scenarios.

    A combination that is not a valid scenario (two moves on one workstream's same
    role, a role that cannot do the work, more than a role's capacity with ``hire:
    false``) raises ``ScenarioError`` naming it.

    Parameters
    ----------
    base : Scenario
    moves : mapping of str to dict
        A label for each move and its ``change_staffing`` arguments (``workstream``,
        ``staffing`` and optionally ``lead_time``, ``onboarding``, ``hire``...).
    combine : int
        The most moves in one combination.

    Returns
    -------
    dict of str to Scenario
        Labelled by the moves' labels joined with ``" + "``.

    Raises
    ------
    ScenarioError
        ``moves`` is not a mapping of labels to arguments, ``combine`` is not a whole
        number of 1 or more, there would be more than ``MAX_OPTIONS`` combinations, a
        move's label is also a combination's (``"a + b"``), or a combination is not a
        valid scenario (named).
    """
    import itertools
    import math

    from .errors import ScenarioError
    from .scenario.changes import apply_changes

    if not isinstance(moves, Mapping) or not all(isinstance(m, Mapping)
                                                 for m in moves.values()):
        raise ScenarioError("staffing options: moves must map labels to change_staffing "
                            "arguments")
    if isinstance(combine, bool) or not isinstance(combine, int) or combine < 1:
        raise ScenarioError(f"staffing options: combine must be a whole number of 1 or more, "
                            f"got {combine!r}"[:200])
    count = sum(math.comb(len(moves), k) for k in range(1, min(combine, len(moves)) + 1))
    if count > MAX_OPTIONS:
        raise ScenarioError(f"staffing options: {count:,} combinations of {len(moves)} moves; "
                            f"the limit is {MAX_OPTIONS} (fewer moves or a smaller combine)")
    out: dict[str, Scenario] = {}
    labels = list(moves)
    for k in range(1, combine + 1):
        for combo in itertools.combinations(labels, k):
            if " + ".join(combo) in out:
                raise ScenarioError(f"staffing options: the label {' + '.join(combo)[:80]!r} "
                                    "is both a move and a combination of moves; rename the "
                                    "move")
            try:
                out[" + ".join(combo)] = apply_changes(
                    base, [{"staffing": dict(moves[label])} for label in combo])
            except ScenarioError as exc:
                raise ScenarioError(f"staffing option {' + '.join(combo)[:80]!r}: {exc}") from None
    return out


def cheapest_to_reach(base: Scenario, options: Mapping[str, Scenario] | None = None,
                      p_target: float = 0.8, *, moves: Mapping[str, Mapping[str, Any]] | None
                      = None, combine: int = 2, budget: float | None = None,
                      **kwargs: Any) -> pd.DataFrame:
    """Which option reaches P(meet audit target) >= ``p_target`` at the lowest mean cost.

    Parameters
    ----------
    base : Scenario
    options : mapping of str to Scenario, optional
        Named alternatives.
    p_target : float
        The confidence an option must reach.
    moves : mapping of str to change_staffing arguments, optional
        Staffing moves searched in every combination of up to ``combine`` of them
        (``staffing_options``), e.g. ``{"+1 SF contractor from week 3": {"workstream":
        "sf_permissions", "staffing": {"sf_developer_contract": 2}, "arrives": 3}}``.
        People added come with their onboarding and lead time, and wait for shared roles
        where the scenario has capacities.
    combine : int
        The most moves in one combination.
    budget : float, optional
        An option must also keep its mean cost within this to count as reaching.
    **kwargs
        As for ``compare`` (iterations, seed, jobs...). Every option runs on the same
        draws as the baseline (common random numbers).

    Returns
    -------
    pandas.DataFrame
        Every option's P(meet) and cost with ``reaches`` (and ``within_budget``), the
        cheapest option that reaches the target first; the baseline is ``baseline``.

    Raises
    ------
    ScenarioError
        ``budget`` is not a finite number, ``moves`` is refused (``staffing_options``),
        or a label is used twice (an option or move named ``baseline``, or an option and a
        move of the same name).
    TypeError
        An option that is not a ``Scenario``.
    """
    import math

    from .errors import ScenarioError

    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or not math.isfinite(budget)):
        raise ScenarioError(f"cheapest_to_reach: budget must be a finite number, got "
                            f"{budget!r}"[:200])
    options = dict(options or {})
    searched = staffing_options(base, moves, combine) if moves else {}
    if "baseline" in options or "baseline" in searched:
        raise ScenarioError("cheapest_to_reach: 'baseline' labels the base scenario; give the "
                            "option or move labelled 'baseline' another label")
    clash = [label for label in searched if label in options]
    if clash:
        raise ScenarioError(f"cheapest_to_reach: {clash[0][:80]!r} labels both an option and "
                            "a staffing move; give one of them another label")
    every = {**options, **searched}
    comparison = compare({"baseline": base, **every}, **kwargs)
    table = comparison.table()[["p_meet", "cost_mean", "cost_p80", "economic_cost"]]
    table["within_budget"] = True if budget is None else table["cost_mean"] <= budget
    table["reaches"] = (table["p_meet"] >= p_target) & table["within_budget"]
    table["extra_cost"] = table["cost_mean"] - table.loc["baseline", "cost_mean"]
    return table.sort_values(["reaches", "cost_mean"], ascending=[False, True])


def risk_removal(scenario: Scenario, result: SimulationResult | None = None, *,
                 by: RiskOrder = "expected", top: int | None = None, iterations: int | None = None,
                 seed: SeedLike = None, jobs: int = 1, executor=None) -> pd.DataFrame:
    """P(meet), the P80 date and the P80 cost with the top 1, 2, ..., k risks removed
    together, on the same draws.

    Risk shifts do not add up (two delays on parallel paths overlap; removing one risk
    on the critical path can expose another path), so the effect of removing several
    risks is measured by simulating without them, not by summing their shifts.

    Parameters
    ----------
    scenario : Scenario
    result : SimulationResult, optional
        A run of ``scenario`` with risk ranking; its ranking (``by``), iterations and
        seed are used (default: a new run).
    by : {"expected", "p80", "p90", "cost"}
        The risk order (see ``SimulationResult.risks``).
    top : int, optional
        How many risks to remove at most (default: all).
    iterations, seed, jobs, executor
        As for ``simulate`` (default: those of ``result``).

    Returns
    -------
    pandas.DataFrame
        One row per k (0 = nothing removed): ``removed`` (the k-th risk's id),
        ``p_meet`` (the headline target), ``p80_weeks`` and ``p80_date`` (the programme
        end, as the risks' shifts are), ``cost_p80``, ``cost_mean``, and ``p80_shift``
        (weeks gained against k = 0) beside ``p80_shift_if_additive`` (the sum of the
        removed risks' separate P80 shifts of the end).

    Raises
    ------
    ValueError
        ``result`` was run without risk ranking, or ``by`` is not a known order.
    """
    import pandas as pd

    if result is None:
        result = simulate(scenario, iterations=iterations, seed=seed, jobs=jobs,
                          executor=executor)
    if result.without_risk is None:
        raise ValueError("risk_removal needs a run with risk ranking (rank_risks=True): the "
                         "order of the risks comes from it")
    ranking = result.risks(by=by)
    order = list(ranking.index)[:top]
    n = iterations or result.iterations
    root = as_seed_sequence(result.seed if seed is None else seed)
    target = result.primary_target

    def row(k, r):
        p80 = float(r.percentiles("end", (80,)).iloc[0])
        return {"k": k, "removed": order[k - 1] if k else "", "p_meet":
                r.p_meet(target.date, target.milestone), "p80_weeks": p80,
                "p80_date": r.date_of(p80), "cost_p80": float(np.percentile(r.cost, 80)),
                "cost_mean": float(r.cost.mean())}

    base = result if n == result.iterations and seed is None else simulate(
        scenario, iterations=n, seed=root, jobs=jobs, executor=executor, rank_risks=False)
    rows = [row(0, base)]
    for k in range(1, len(order) + 1):
        rows.append(row(k, simulate(scenario, iterations=n, seed=root, jobs=jobs,
                                    executor=executor, rank_risks=False,
                                    disabled_risks=order[:k])))
    table = pd.DataFrame(rows).set_index("k")
    table["p80_shift"] = table["p80_weeks"].iloc[0] - table["p80_weeks"]
    separate = ranking["p80_finish_shift"].reindex(order).fillna(0.0).to_numpy()
    table["p80_shift_if_additive"] = np.concatenate([[0.0], np.cumsum(separate)])
    return table
