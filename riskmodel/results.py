"""Simulation results as labelled data: percentiles, P(meet), cost band, drivers.

``SimulationResult`` holds the per-iteration finish and cost of a run plus per-block
sums; every number printed or plotted is a method here, and ``to_dict()`` is the JSON
contract of DESIGN §4.
"""
from __future__ import annotations

import copy
import datetime as dt
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .analysis.drivers import rank_correlation
from .analysis.table import Table
from .document import CONTINGENCY_LEVELS, COST_LEVELS, DATE_LEVELS, FINISH_LEVELS
from .scenario.schema import RESERVED_MILESTONE, Scenario

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .analysis.risks import RiskOrder
    from .sim.without_risk import RiskOff

__all__ = ["SimulationResult", "FINISH_LEVELS", "COST_LEVELS", "rank_correlation"]

_SORTING = threading.Lock()  # one sort of a result's values, whichever thread asks first


def _rate_means(blocks, n: int) -> dict[str, np.ndarray] | None:
    """``SimulationResult.rate_means_`` from the blocks' sums (None without uncertain rates)."""
    if any(b.rate_sums is None for b in blocks):
        return None
    return {name: np.sum([b.rate_sums[name] for b in blocks], axis=0) / n
            for name in blocks[0].rate_sums}


def _target_columns(result: SimulationResult) -> Table:
    """``SimulationResult.targets()``'s table as columns."""
    targets = result.scenario.all_targets
    errors = [result.p_meet_std_error(t.date, t.milestone) for t in targets]
    return Table("target", [t.id for t in targets], {
        "milestone": [t.milestone for t in targets],
        "date": [t.date for t in targets],
        "probability": [result.p_meet(t.date, t.milestone) for t in targets],
        "std_error": [se for se, _ in errors],
        "std_error_method": [method for _, method in errors]})


def _plan_start(spec, plan) -> np.ndarray:
    """The deterministic plan's starts (after any wait for people)."""
    from .sim.block import start_of

    return start_of(spec, plan.finish, plan.duration)[:, 0]


@dataclass
class SimulationResult:
    """The outcome of ``simulate``: a sample of finishes and costs, and what drove them.

    Attributes
    ----------
    scenario : Scenario
    iterations, seed : int
    finish : ndarray
        Programme end (weeks from the start date) per iteration.
    cost : ndarray
        Readiness spend per iteration.
    milestone_finish : dict of ndarray
        Finish per iteration of every workstream a target is set on.
    jobs : int
        The workers the run was given (``simulate(jobs=...)``; 1 on an executor): with
        two or more, ``to_dict()`` makes its slowest table on a second thread.
    """

    scenario: Scenario
    iterations: int
    seed: int
    sampling: str
    elapsed: float
    finish: np.ndarray
    cost: np.ndarray
    milestone_finish: dict[str, np.ndarray]
    criticality_: np.ndarray
    fired_: np.ndarray
    mean_duration_: np.ndarray
    mean_finish_: np.ndarray
    mean_fixed_: np.ndarray
    mean_risk_cost_: np.ndarray
    mean_programme_cost_: np.ndarray
    detail: dict[str, np.ndarray]
    plan: dict[str, Any]
    without_risk: RiskOff | None = None
    no_risks: dict[str, np.ndarray] | None = None
    norisk_mean_duration_: np.ndarray | None = None
    norisk_mean_finish_: np.ndarray | None = None
    mean_triggered_cost_: np.ndarray | None = None  # per risk: others' cost it brings
    unlevelled: dict[str, np.ndarray] | None = None  # end, milestones had nobody waited
    # with uncertain rates (spec.rates): means of each rate ("rate"), of rate k x working
    # duration of workstream j ("rate_duration", rates x workstreams) and x the weeks
    # overhead o runs ("rate_weeks"); "norisk_...": in the run without risks (if ranked)
    rate_means_: dict[str, np.ndarray] | None = None
    warnings_: list = field(default_factory=list)
    disabled_risks: tuple[str, ...] = ()
    spec: Any = field(default=None, repr=False)
    precision_run_: dict[str, Any] | None = None  # what a run to a precision did
    status: Any = None
    jobs: int = 1
    _cache: dict = field(default_factory=dict, repr=False)

    # -- construction --------------------------------------------------------------
    @classmethod
    def _from_blocks(cls, *, scenario, spec, collector, plan, seed, elapsed, sampling,
                     disabled_risks):
        blocks = collector.ordered()
        n = collector.size
        arrays = collector.arrays
        total = lambda name: np.sum([getattr(b, name) for b in blocks], axis=0)  # noqa
        milestones = arrays["milestones"]
        names = [spec.workstreams[j] for j in spec.milestones]
        detail = collector.detail()
        def variant(prefix):
            return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

        without, none = collector.risk_off(), variant("no_risks:")
        ranked = all(b.norisk_duration_sum is not None for b in blocks)
        return cls(
            scenario=scenario, iterations=n, seed=seed, sampling=sampling, elapsed=elapsed,
            finish=arrays["end"], cost=arrays["cost"],
            milestone_finish={m: milestones[i] for i, m in enumerate(names)},
            criticality_=total("critical_count") / n,
            fired_=total("fired_count") / n,
            mean_duration_=total("duration_sum") / n,
            mean_finish_=total("finish_sum") / n,
            mean_fixed_=total("fixed_sum") / n,
            mean_risk_cost_=total("risk_cost_sum") / n,
            mean_programme_cost_=total("programme_sum") / n,
            detail=detail,
            plan={"finish": float(plan.end[0]), "cost": float(plan.cost[0]),
                  "workstream_finish": plan.finish[:, 0].copy(),
                  "workstream_duration": plan.duration[:, 0].copy(),
                  "workstream_start": _plan_start(spec, plan),
                  "critical": plan.critical[:, 0].copy()},
            without_risk=without or None,
            no_risks=none or None,
            unlevelled=variant("unlevelled:") or None,
            norisk_mean_duration_=total("norisk_duration_sum") / n if ranked else None,
            norisk_mean_finish_=total("norisk_finish_sum") / n if ranked else None,
            mean_triggered_cost_=total("triggered_cost_sum") / n if ranked else None,
            rate_means_=_rate_means(blocks, n),
            disabled_risks=disabled_risks,
            spec=spec,
        )

    # -- time helpers ----------------------------------------------------------------
    @property
    def workstream_ids(self) -> list[str]:
        """The workstreams' ids, in the scenario's order (the rows of the detail)."""
        return [w.id for w in self.scenario.workstreams]

    @property
    def risk_ids(self) -> list[str]:
        """The risks' ids, in the scenario's order."""
        return [r.id for r in self.scenario.risks]

    def weeks(self, when: dt.date | str | float) -> float:
        """Weeks from the start date of a date (or ISO text); numbers are weeks already.

        Parameters
        ----------
        when : date, datetime, str or float
            A date, ISO text (``"2027-03-01"``) or a number of weeks.

        Returns
        -------
        float
            Weeks after the scenario's ``start_date``.

        Raises
        ------
        ValueError
            Text that is not an ISO date.
        """
        if isinstance(when, (int, float, np.floating)) and not isinstance(when, bool):
            return float(when)
        if isinstance(when, str):
            try:
                when = dt.date.fromisoformat(when)
            except ValueError:
                raise ValueError(f"expected an ISO date like 2027-03-01, got {when!r}") \
                    from None
        if isinstance(when, dt.datetime):
            when = when.date()
        return self.scenario.weeks_from_start(cast(dt.date, when))

    def date_of(self, weeks: float) -> dt.date:
        """Calendar date of a finish ``weeks`` after the start, rounded up to a day.

        Parameters
        ----------
        weeks : float
            Weeks after the scenario's ``start_date``.

        Returns
        -------
        datetime.date
        """
        return self.scenario.start_date + dt.timedelta(days=math.ceil(round(weeks * 7, 9)))

    def sorted_values(self, of: str) -> np.ndarray:
        """The run's per-iteration ``"finish"`` (the end) or ``"cost"``, sorted ascending.

        Kept for the next call: the summary document reads each three times (its
        percentiles, the contingency, the risk table), on two threads after a run on two
        workers, and sorting a million values takes about 50 ms (the two take 15 MiB at
        1M iterations).

        Parameters
        ----------
        of : {"finish", "cost"}

        Returns
        -------
        ndarray
            Read-only, shared with later calls.

        Raises
        ------
        ValueError
            ``of`` is neither.
        """
        if of not in ("finish", "cost"):
            raise ValueError(f"no sorted values {of!r}: finish or cost")
        key = ("sorted", of)
        with _SORTING:
            if key not in self._cache:
                ordered = np.sort(self.finish if of == "finish" else self.cost)
                ordered.flags.writeable = False
                self._cache[key] = ordered
        return self._cache[key]

    def finish_of(self, milestone: str = RESERVED_MILESTONE) -> np.ndarray:
        """Per-iteration finish (weeks) of ``end`` or of a workstream a target is set on.

        Parameters
        ----------
        milestone : str
            ``"end"`` (the programme, default), a target's milestone, or any workstream when
            every iteration is kept in detail.

        Returns
        -------
        ndarray
            One finish per iteration, in weeks from the start.

        Raises
        ------
        ValueError
            No per-iteration finish is kept for ``milestone``.
        """
        if milestone == RESERVED_MILESTONE:
            return self.finish
        if milestone in self.milestone_finish:
            return self.milestone_finish[milestone]
        if milestone in self.workstream_ids and len(self.detail["finish"][0]) == self.iterations:
            return self.detail["finish"][self.workstream_ids.index(milestone)].astype(float)
        kept = ", ".join([RESERVED_MILESTONE, *self.milestone_finish])
        raise ValueError(f"no per-iteration finish is kept for {milestone!r}: the milestones "
                         f"kept are {kept} (add a target on it)")

    # -- probabilities and percentiles ------------------------------------------------
    def p_meet(self, when: dt.date | str | float, milestone: str = RESERVED_MILESTONE) -> float:
        """P(milestone finishes no later than ``when``).

        Parameters
        ----------
        when : date, str or float
            A date, ISO text or weeks from the start.
        milestone : str
            ``"end"`` (default) or a target's milestone.

        Returns
        -------
        float
            The share of iterations that finish by then.

        Examples
        --------
        >>> import riskmodel as rm
        >>> r = rm.simulate(rm.load_scenario("data/scenarios/soc2_readiness.yaml"),
        ...                 iterations=8192, seed=1, rank_risks=False)
        >>> 0.3 < r.p_meet("2027-03-01") < 0.6
        True
        """
        return float(np.mean(self._met(when, milestone)))

    def _met(self, when, milestone: str = RESERVED_MILESTONE) -> np.ndarray:
        weeks = self.weeks(when)
        if not math.isfinite(weeks):
            raise ValueError(f"when must be a date or a finite number of weeks, got {when!r}")
        return self.finish_of(milestone) <= weeks + 1e-12

    def std_error(self, p: float) -> float:
        """The binomial Monte Carlo standard error of a probability ``p`` from this run.

        Exact for plain random sampling; under Latin hypercube sampling it overstates the
        error (see ``p_meet_std_error``).

        Parameters
        ----------
        p : float
            A probability estimated from this run's iterations.

        Returns
        -------
        float
        """
        return math.sqrt(max(p * (1 - p), 0.0) / self.iterations)

    def p_meet_std_error(self, when, milestone: str = RESERVED_MILESTONE) -> tuple[float, str]:
        """Standard error of ``p_meet(when, milestone)`` and how it was estimated.

        Under Latin hypercube sampling each block of ``BLOCK`` iterations is an
        independent replicate, so the error comes from the spread between blocks (with
        at least ``MIN_REPLICATES`` full blocks); the binomial formula overstates it
        (about 1.6x on the shipped scenario). Otherwise, and for plain random sampling,
        the binomial formula.

        Parameters
        ----------
        when : date, str or float
            As for ``p_meet``.
        milestone : str
            As for ``p_meet``.

        Returns
        -------
        tuple of (float, str)
            The standard error and the method (``"between blocks (...)"`` or ``"binomial"``).
        """
        from .analysis.precision import block_std_error
        from .sim.engine import BLOCK

        met = self._met(when, milestone)
        binomial = self.std_error(float(met.mean()))
        if self.sampling == "lhs":
            se = block_std_error(met, BLOCK)
            if se is not None:
                return se, f"between blocks ({len(met) // BLOCK} Latin hypercube replicates)"
            return binomial, "binomial (an upper bound under Latin hypercube sampling)"
        return binomial, "binomial"

    def _sample(self, of: str) -> np.ndarray:
        """The per-iteration values of ``"cost"``, of the programme ``"end"`` or of a
        milestone's finish (``"finish"`` is 0.1's name for ``"end"``)."""
        if of == "cost":
            return self.cost
        return self.finish_of(RESERVED_MILESTONE if of == "finish" else of)

    def percentiles(self, of: str = RESERVED_MILESTONE,
                    levels: Sequence[float] = FINISH_LEVELS) -> pd.Series:
        """Percentiles (numpy's default method) of the ``"end"`` (default), ``"cost"``
        or a milestone's finish.

        Parameters
        ----------
        of : str
            ``"end"``, ``"cost"`` or a target's milestone (``"finish"``, 0.1's name for
            ``"end"``, is still read as ``"end"``).
        levels : sequence of float
            Percentile levels from 0 to 100.

        Returns
        -------
        pandas.Series
            Weeks (or money), labelled ``p50``, ``p80``...
        """
        import pandas as pd

        values = np.percentile(self._sample(of), list(levels))
        return pd.Series(values, index=[f"p{q:g}" for q in levels], name=of)

    def finish_dates(self, levels: Sequence[float] = DATE_LEVELS,
                     milestone: str = RESERVED_MILESTONE) -> pd.Series:
        """Finish dates at percentiles, each rounded up to a day.

        Parameters
        ----------
        levels : sequence of float
            Percentile levels (default P10, P50, P80, P90).
        milestone : str
            ``"end"`` (default) or a target's milestone.

        Returns
        -------
        pandas.Series
            Dates labelled ``p10``, ``p50``...
        """
        weeks = self.percentiles(milestone, levels)
        return weeks.map(self.date_of).rename("finish_date")

    def targets(self) -> pd.DataFrame:
        """Every target with P(met) and its standard error.

        Returns
        -------
        pandas.DataFrame
            Indexed by target id: ``milestone``, ``date``, ``probability``, ``std_error``,
            ``std_error_method``.
        """
        return self.columns("targets").frame()

    def columns(self, table: str, *args: Any) -> Table:
        """A labelled table as plain columns, without pandas (kept for the next call).

        ``"targets"``, ``"workstreams"`` (``near_critical_weeks``), ``"risks"`` (``by``)
        and ``"contingency"`` (``levels``): what ``targets()``, ``workstreams()``,
        ``risks()`` and ``contingency_table()`` build their DataFrames from. The summary
        document reads these, so ``riskmodel simulate --json`` never imports pandas.

        Parameters
        ----------
        table : {"targets", "workstreams", "risks", "contingency"}
        *args
            The table's own argument, as above (its default when left out).

        Returns
        -------
        riskmodel.analysis.table.Table
            Shared with later calls: read it, do not change it.
        """
        from .analysis import NEAR_CRITICAL_WEEKS
        from .analysis.drivers import driver_columns
        from .analysis.money import contingency_columns
        from .analysis.risks import risk_columns

        tables = {"targets": (_target_columns, ()),
                  "workstreams": (driver_columns, (NEAR_CRITICAL_WEEKS,)),
                  "risks": (risk_columns, ("expected",)),
                  "contingency": (contingency_columns, (CONTINGENCY_LEVELS,))}
        if table not in tables:
            raise ValueError(f"no table {table!r}: targets, workstreams, risks or contingency")
        make, defaults = tables[table]
        if len(args) > len(defaults):
            raise TypeError(f"the {table} table takes {len(defaults)} argument(s)")
        if table == "contingency" and args:
            args = (tuple(args[0]),)  # levels, as a key
        key = ("columns", table, *(args or defaults))
        if key not in self._cache:
            self._cache[key] = make(self, *key[2:])
        return self._cache[key]

    @property
    def primary_target(self):
        """The audit target (or the first target): the date the headline is about."""
        return self.scenario.all_targets[0]

    def cost_band(self, low: float | None = None, high: float | None = None) -> dict[str, float]:
        """P(cost below, within and above the band), the scenario's band by default.

        Parameters
        ----------
        low, high : float, optional
            The band's edges (default: the scenario's ``cost_band``).

        Returns
        -------
        dict
            ``low``, ``high``, ``p_below``, ``p_within``, ``p_above``.
        """
        band = self.scenario.cost_band
        low = band.low if low is None else low
        high = band.high if high is None else high
        below = float(np.mean(self.cost < low))
        above = float(np.mean(self.cost > high))
        return {"low": low, "high": high, "p_below": below, "p_within": 1.0 - below - above,
                "p_above": above}

    @property
    def budget(self) -> float:
        """The budget joint confidence is tested against: the scenario's ``budget``, or
        by default the top of its cost band (``budget_source`` says which)."""
        return float(self.scenario.budget if self.scenario.budget is not None
                     else self.scenario.cost_band.high)

    @property
    def budget_source(self) -> str:
        """``"budget"`` (given in the scenario) or ``"cost_band.high"`` (the default)."""
        return "budget" if self.scenario.budget is not None else "cost_band.high"

    def jcl(self, when: dt.date | str | float | None = None, budget: float | None = None,
            milestone: str | None = None) -> float:
        """Joint confidence: P(finish <= when and cost <= budget).

        Parameters
        ----------
        when : date, str or float, optional
            Default: the headline target's date.
        budget : float, optional
            Default: ``budget`` (the scenario's, else the top of its cost band).
        milestone : str, optional
            Default: the headline target's milestone.

        Returns
        -------
        float
        """
        target = self.primary_target
        when = target.date if when is None else when
        milestone = target.milestone if milestone is None else milestone
        budget = self.budget if budget is None else budget
        return float(np.mean(self._met(when, milestone) & (self.cost <= budget)))

    def jcl_promise(self, confidence: float = 0.8) -> dict[str, Any]:
        """The date at the budget and the budget at the target date that hold together
        with ``confidence`` (see ``riskmodel.analysis.joint.promise``).

        Parameters
        ----------
        confidence : float
            Joint confidence between 0 and 1 (default 0.8).

        Returns
        -------
        dict
            ``date_at_budget``, ``weeks_at_budget``, ``budget_at_date`` (None: not
            reachable), with the ``confidence``, ``budget`` and target ``date`` used.
        """
        from .analysis.joint import promise

        return promise(self, confidence)

    # -- drivers and analysis (riskmodel.analysis) ---------------------------------
    def workstreams(self, near_critical_weeks: float | None = None) -> pd.DataFrame:
        """Per workstream: criticality, near-criticality, the sensitivities of its base
        estimate, cruciality, SSI, finish percentiles (``riskmodel.analysis.drivers``).

        Parameters
        ----------
        near_critical_weeks : float, optional
            Total float at most this counts as near-critical (default
            ``NEAR_CRITICAL_WEEKS``, half a week).

        Returns
        -------
        pandas.DataFrame
            Indexed by workstream id; a copy.
        """
        from .analysis import NEAR_CRITICAL_WEEKS

        weeks = NEAR_CRITICAL_WEEKS if near_critical_weeks is None else near_critical_weeks
        return self.columns("workstreams", weeks).frame()

    def modes(self, of: str = RESERVED_MILESTONE, **kwargs) -> dict[str, Any] | None:
        """A second peak in the programme ``"end"`` (default), the ``"cost"`` or a
        milestone's finish, described (``riskmodel.analysis.shape.bimodality``).

        Parameters
        ----------
        of : str
            ``"end"``, ``"cost"`` or a target's milestone.
        **kwargs
            Passed to ``bimodality`` (thresholds).

        Returns
        -------
        dict or None
            ``main`` and ``second`` peaks (``second["cause"]``, when present, is the risk
            behind it, from the futures kept in detail); None when there is one peak.
        """
        from .analysis.shape import bimodality, peak_cause

        sample = self._sample(of)
        shape = bimodality(sample, **kwargs)
        fired = self.detail.get("fired")
        if shape is not None and fired is not None:
            cause = peak_cause(sample[:fired.shape[1]], fired, shape, self.risk_ids)
            if cause is not None:
                names = {r.id: r.name or r.id for r in self.scenario.risks}
                shape["second"]["cause"] = {**cause, "name": names[cause["risk"]]}
        return shape

    def risks(self, by: RiskOrder = "expected") -> pd.DataFrame:
        """Risk ranking: what each risk does to P(meet), the mean, P80 and P90 date and
        cost, on the same draws without it (``riskmodel.analysis.risk_ranking``).

        Parameters
        ----------
        by : {"expected", "p80", "p90", "cost"}
            The order: expected impact (default), or the P80 or P90 date shift, or the P80
            cost shift.

        Returns
        -------
        pandas.DataFrame
            Indexed by risk id; a copy.
        """
        return self.columns("risks", by).frame()

    def contingency(self, confidence: float = 0.8) -> dict[str, Any]:
        """Weeks and money to add to the deterministic plan to reach ``confidence``.

        Parameters
        ----------
        confidence : float
            A share between 0 and 1 (0.8 for P80).

        Returns
        -------
        dict
            ``weeks`` and ``cost``, and how much of each comes from estimate uncertainty
            (merge bias included) and from the risks (``from_estimates``, ``from_risks``;
            absent without risk ranking).

        Raises
        ------
        ValueError
            ``confidence`` is not strictly between 0 and 1.
        """
        if not 0 < confidence < 1:
            raise ValueError(f"confidence is a share between 0 and 1 (0.8 for P80), got "
                             f"{confidence!r}")
        from .analysis.money import contingency_levels

        return next(iter(contingency_levels(
            self.columns("contingency", (100 * confidence,))).values()))

    def contingency_table(self, levels: Sequence[float] = (50, 70, 80, 90, 95)) -> pd.DataFrame:
        """Finish, cost and contingency over the plan at each confidence level.

        Parameters
        ----------
        levels : sequence of float
            Confidence levels in percent.

        Returns
        -------
        pandas.DataFrame
            Indexed ``p50``, ``p70``... (``riskmodel.analysis.contingency_table``).
        """
        return self.columns("contingency", tuple(levels)).frame()

    def plan_confidence(self) -> dict[str, float]:
        """P(deterministic plan date), P(plan cost) and both: merge bias made visible.

        Returns
        -------
        dict
            ``finish``, ``cost`` and ``both``.
        """
        from .analysis import plan_confidence

        return plan_confidence(self)

    def jcl_frontier(self, confidence: float = 0.7, points: int = 40) -> pd.DataFrame:
        """(date, budget) pairs at a joint confidence level.

        Parameters
        ----------
        confidence : float
            Joint confidence between 0 and 1 (default 0.7).
        points : int
            How many dates from the ``confidence`` percentile of the finish to the latest.

        Returns
        -------
        pandas.DataFrame
            Indexed by date: ``weeks`` and ``budget`` (``riskmodel.analysis.jcl_frontier``).
        """
        from .analysis import jcl_frontier

        return jcl_frontier(self, confidence, points=points)

    def cost_given_timing(self, when=None) -> pd.DataFrame:
        """Cost percentiles when the headline target is met and when it is missed.

        Parameters
        ----------
        when : date, str or float, optional
            Default: the headline target's date.

        Returns
        -------
        pandas.DataFrame
        """
        from .analysis import cost_given_timing

        return cost_given_timing(self, when)

    def cash_flow(self, freq: str = "W") -> pd.DataFrame:
        """Cumulative spend over time, P10/P50/P90 and the mean.

        Parameters
        ----------
        freq : {"W", "M"}
            By week (default) or month end.

        Returns
        -------
        pandas.DataFrame
            On a ``DatetimeIndex`` named ``date`` (``riskmodel.analysis.cash_flow``).
        """
        from .analysis import cash_flow

        return cash_flow(self, freq)

    def cost_of_delay(self) -> pd.DataFrame:
        """Expected weeks late and revenue at risk past each target (apart from spend).

        Uses ``cost_of_delay.weekly`` of the scenario (0 if it has none).

        Returns
        -------
        pandas.DataFrame
            Indexed by target: ``expected_weeks_late``, ``p80_weeks_late``,
            ``expected_cost_of_delay``.
        """
        import pandas as pd

        weekly = self.scenario.cost_of_delay.weekly if self.scenario.cost_of_delay else 0.0
        rows = []
        for t in self.scenario.all_targets:
            late = np.maximum(self.finish_of(t.milestone) - self.weeks(t.date), 0.0)
            rows.append({"target": t.id, "expected_weeks_late": float(late.mean()),
                         "p80_weeks_late": float(np.percentile(late, 80)),
                         "expected_cost_of_delay": weekly * float(late.mean())})
        return pd.DataFrame(rows).set_index("target")

    def waiting(self) -> dict[str, Any] | None:
        """Lateness due to waiting for people (``analysis.resources.waiting``).

        Returns
        -------
        dict or None
            P50/P80 shifts and weeks, the share waiting and the change in P(headline target);
            None without capacities.
        """
        from .analysis.resources import waiting

        return waiting(self)

    def role_demand(self) -> dict[str, pd.DataFrame]:
        """Per capacity-limited role, by week: FTE demanded had nobody waited and in use
        (P50, P90) against the capacity (``analysis.resources.role_demand``).

        Returns
        -------
        dict of str to pandas.DataFrame
        """
        from .analysis.resources import role_demand

        return role_demand(self)

    def cost_breakdown(self) -> pd.DataFrame:
        """Mean cost by item: workstream labour by role, fixed costs, overhead, time added by
        risks, the risks' own costs; the means add up to the mean total cost
        (``riskmodel.analysis.breakdown.cost_breakdown``).

        Returns
        -------
        pandas.DataFrame
        """
        from .analysis.breakdown import cost_breakdown

        return cost_breakdown(self)

    def economic_cost(self) -> float:
        """Mean spend plus the expected cost of delay past the headline target.

        Returns
        -------
        float
        """
        cod = self.cost_of_delay()
        return float(self.cost.mean()) + float(cod["expected_cost_of_delay"].iloc[0])

    @property
    def plot(self):
        """Plots of this result: ``result.plot.s_curve()``, ``.cost_distribution()``..."""
        from .plots import PlotAccessor

        return PlotAccessor(self)

    def cdf(self, milestone: str = RESERVED_MILESTONE) -> tuple[np.ndarray, np.ndarray]:
        """Empirical CDF of a finish: sorted weeks and P(finish <= weeks).

        Parameters
        ----------
        milestone : str
            ``"end"`` (default) or a target's milestone.

        Returns
        -------
        tuple of ndarray
            The sorted finishes (weeks) and the cumulative probabilities.
        """
        x = np.sort(self.finish_of(milestone))
        return x, np.arange(1, len(x) + 1) / len(x)

    def convergence(self) -> dict[str, Any]:
        """Monte Carlo standard errors of the headline figures (and the precision run).

        Returns
        -------
        dict
            ``p_meet`` (per target), ``finish_p80``, ``cost_p80``, ``iterations``, and what a
            run to a precision did (``precision_run_``).
        """
        from .analysis import quantile_std_error

        out: dict[str, Any] = {t: float(row["std_error"])
                               for t, row in self.columns("targets").rows()}
        out = {"p_meet": out,
               "finish_p80": float(quantile_std_error(self.finish, 0.8)),
               "cost_p80": float(quantile_std_error(self.cost, 0.8)),
               "iterations": self.iterations}
        if self.precision_run_:
            out.update(self.precision_run_)
        return out

    # -- output --------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """The headline figures as a two-column table a person reads.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``figure``, one ``value`` column of text (``document.headline_table``).
        """
        from .document import headline_table

        return headline_table(self)

    def headline_row(self) -> dict[str, Any]:
        """The headline figures as a flat row (``riskmodel.document.headline_row``).

        Returns
        -------
        dict
        """
        from .document import headline_row

        return headline_row(self)

    def to_dict(self) -> dict[str, Any]:
        """The summary document of DESIGN §4 (``riskmodel simulate --json``).

        Returns
        -------
        dict
            Plain JSON types; a copy (changing it changes nothing in the result).
        """
        from .document import summary_document

        if "dict" not in self._cache:
            self._cache["dict"] = summary_document(self)
        return copy.deepcopy(self._cache["dict"])

    def __repr__(self) -> str:
        t = self.primary_target
        p = self.p_meet(t.date, t.milestone)
        return (f"<SimulationResult '{self.scenario.name}': {self.iterations:,} iterations, "
                f"P({t.id} by {t.date}) = {p:.1%}>")
