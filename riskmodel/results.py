"""Simulation results as labelled data: percentiles, P(meet), cost band, drivers.

``SimulationResult`` holds the per-iteration finish and cost of a run plus per-block
sums; every number printed or plotted is a method here, and ``to_dict()`` is the JSON
contract of DESIGN §4.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .analysis.drivers import rank_correlation
from .scenario.schema import RESERVED_MILESTONE, Scenario

__all__ = ["SimulationResult", "FINISH_LEVELS", "COST_LEVELS", "rank_correlation"]

FINISH_LEVELS = (5, 10, 20, 50, 70, 80, 90, 95)
COST_LEVELS = (10, 50, 80, 90)
SCHEMA = "riskmodel.summary/1"


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
    without_risk: dict[str, np.ndarray] | None = None
    disabled_risks: tuple[str, ...] = ()
    spec: Any = field(default=None, repr=False)
    convergence_: dict[str, Any] | None = None
    status: Any = None
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
        detailed = [b.detail for b in blocks if b.detail is not None]
        detail = {k: np.concatenate([d[k] for d in detailed], axis=-1) for k in detailed[0]}
        prefix = "without_risk:"
        without = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
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
                  "critical": plan.critical[:, 0].copy()},
            without_risk=without or None,
            disabled_risks=disabled_risks,
            spec=spec,
        )

    # -- time helpers ----------------------------------------------------------------
    @property
    def workstream_ids(self) -> list[str]:
        return [w.id for w in self.scenario.workstreams]

    @property
    def risk_ids(self) -> list[str]:
        return [r.id for r in self.scenario.risks]

    def weeks(self, when: dt.date | str | float) -> float:
        """Weeks from the start date of a date (or ISO text); numbers are weeks already."""
        if isinstance(when, (int, float, np.floating)) and not isinstance(when, bool):
            return float(when)
        if isinstance(when, str):
            when = dt.date.fromisoformat(when)
        if isinstance(when, dt.datetime):
            when = when.date()
        return self.scenario.weeks_from_start(when)

    def date_of(self, weeks: float) -> dt.date:
        """Calendar date of a finish ``weeks`` after the start, rounded up to a day."""
        return self.scenario.start_date + dt.timedelta(days=math.ceil(round(weeks * 7, 9)))

    def finish_of(self, milestone: str = RESERVED_MILESTONE) -> np.ndarray:
        """Per-iteration finish (weeks) of ``end`` or of a workstream a target is set on."""
        if milestone == RESERVED_MILESTONE:
            return self.finish
        if milestone in self.milestone_finish:
            return self.milestone_finish[milestone]
        if milestone in self.workstream_ids and len(self.detail["finish"][0]) == self.iterations:
            return self.detail["finish"][self.workstream_ids.index(milestone)].astype(float)
        raise KeyError(f"no per-iteration finish kept for '{milestone}': add a target on it")

    # -- probabilities and percentiles ------------------------------------------------
    def p_meet(self, when: dt.date | str | float, milestone: str = RESERVED_MILESTONE) -> float:
        """P(milestone finishes no later than ``when``: a date, ISO text or weeks)."""
        return float(np.mean(self.finish_of(milestone) <= self.weeks(when) + 1e-12))

    def std_error(self, p: float) -> float:
        """Monte Carlo standard error of a probability estimated from this run.

        The binomial formula; Latin hypercube sampling usually does better, so it is an
        upper bound for monotone outcomes.
        """
        return math.sqrt(max(p * (1 - p), 0.0) / self.iterations)

    def percentiles(self, of: str = "finish", levels: Sequence[float] = FINISH_LEVELS
                    ) -> pd.Series:
        """Percentiles (numpy's default method) of ``finish``, ``cost`` or a milestone."""
        data = self.cost if of == "cost" else self.finish_of("end" if of == "finish" else of)
        values = np.percentile(data, list(levels))
        return pd.Series(values, index=[f"p{q:g}" for q in levels], name=of)

    def finish_dates(self, levels: Sequence[float] = (10, 50, 80, 90),
                     milestone: str = RESERVED_MILESTONE) -> pd.Series:
        """Finish dates at percentiles, each rounded up to a day."""
        weeks = self.percentiles(milestone if milestone != "end" else "finish", levels)
        return weeks.map(self.date_of).rename("finish_date")

    def targets(self) -> pd.DataFrame:
        """Every target with P(met) and its standard error."""
        rows = []
        for t in self.scenario.all_targets:
            p = self.p_meet(t.date, t.milestone)
            rows.append({"target": t.id, "milestone": t.milestone, "date": t.date,
                         "probability": p, "std_error": self.std_error(p)})
        return pd.DataFrame(rows).set_index("target")

    @property
    def primary_target(self):
        """The audit target (or the first target): the date the headline is about."""
        return self.scenario.all_targets[0]

    def cost_band(self, low: float | None = None, high: float | None = None) -> dict[str, float]:
        """P(cost below, within and above the band), the scenario's band by default."""
        band = self.scenario.cost_band
        low = band.low if low is None else low
        high = band.high if high is None else high
        below = float(np.mean(self.cost < low))
        above = float(np.mean(self.cost > high))
        return {"low": low, "high": high, "p_below": below, "p_within": 1.0 - below - above,
                "p_above": above}

    def jcl(self, when: dt.date | str | float | None = None, budget: float | None = None,
            milestone: str | None = None) -> float:
        """Joint confidence: P(finish <= when and cost <= budget).

        Defaults: the audit target's date and milestone, and the top of the cost band.
        """
        target = self.primary_target
        when = target.date if when is None else when
        milestone = target.milestone if milestone is None else milestone
        budget = self.scenario.cost_band.high if budget is None else budget
        ok = (self.finish_of(milestone) <= self.weeks(when) + 1e-12) & (self.cost <= budget)
        return float(np.mean(ok))

    # -- drivers and analysis (riskmodel.analysis) ---------------------------------
    def workstreams(self) -> pd.DataFrame:
        """Per workstream: criticality, sensitivities, cruciality, SSI, finish percentiles."""
        from .analysis import drivers

        if "drivers" not in self._cache:
            self._cache["drivers"] = drivers(self)
        return self._cache["drivers"].copy()

    def risks(self) -> pd.DataFrame:
        """Risk ranking: what each risk does to P(meet), the P80 date and the P80 cost."""
        from .analysis import risk_ranking

        if "risks" not in self._cache:
            self._cache["risks"] = risk_ranking(self)
        return self._cache["risks"].copy()

    def contingency(self, confidence: float = 0.8) -> dict[str, float]:
        """Weeks and money to add to the deterministic plan to reach ``confidence``."""
        q = 100 * confidence
        return {
            "weeks": float(np.percentile(self.finish, q)) - self.plan["finish"],
            "cost": float(np.percentile(self.cost, q)) - self.plan["cost"],
        }

    def contingency_table(self, levels: Sequence[float] = (50, 70, 80, 90, 95)) -> pd.DataFrame:
        """Finish, cost and contingency over the plan at each confidence level."""
        from .analysis import contingency_table

        return contingency_table(self, levels)

    def plan_confidence(self) -> dict[str, float]:
        """P(deterministic plan date), P(plan cost) and both: merge bias made visible."""
        from .analysis import plan_confidence

        return plan_confidence(self)

    def jcl_frontier(self, confidence: float = 0.7, points: int = 40) -> pd.DataFrame:
        """(date, budget) pairs at a joint confidence level (default 70%)."""
        from .analysis import jcl_frontier

        return jcl_frontier(self, confidence, points=points)

    def cost_given_timing(self, when=None) -> pd.DataFrame:
        """Cost percentiles when the audit target is met and when it is missed."""
        from .analysis import cost_given_timing

        return cost_given_timing(self, when)

    def cash_flow(self, freq: str = "W") -> pd.DataFrame:
        """Cumulative spend by week (``"W"``) or month end (``"M"``), P10/P50/P90."""
        from .analysis import cash_flow

        return cash_flow(self, freq)

    def cost_of_delay(self) -> pd.DataFrame:
        """Expected weeks late and revenue at risk past each target (apart from spend).

        Uses ``cost_of_delay.weekly`` of the scenario (0 if it has none).
        """
        weekly = self.scenario.cost_of_delay.weekly if self.scenario.cost_of_delay else 0.0
        rows = []
        for t in self.scenario.all_targets:
            late = np.maximum(self.finish_of(t.milestone) - self.weeks(t.date), 0.0)
            rows.append({"target": t.id, "expected_weeks_late": float(late.mean()),
                         "p80_weeks_late": float(np.percentile(late, 80)),
                         "expected_cost_of_delay": weekly * float(late.mean())})
        return pd.DataFrame(rows).set_index("target")

    def cost_breakdown(self) -> pd.DataFrame:
        """Mean cost by item: workstream labour and fixed costs, programme fixed costs,
        overhead and risks, each with the role split where staffing gives one.

        Columns: ``category`` (workstream, fixed cost, overhead, risk), ``item``,
        ``role`` (or empty), ``mean``. The means add up to the mean total cost.
        """
        s = self.scenario
        rates = {r.id: r.weekly_rate for r in s.roles}
        rows = []
        for j, w in enumerate(s.workstreams):
            for role, fte in w.staffing.items():
                rows.append(("workstream", w.id, role, fte * rates[role] * self.mean_duration_[j]))
            if self.mean_fixed_[j]:
                rows.append(("workstream", w.id, "", self.mean_fixed_[j]))
        for f, mean in zip(s.fixed_costs, self.mean_programme_cost_):
            rows.append(("fixed cost", f.id, "", mean))
        index = {w.id: j for j, w in enumerate(s.workstreams)}
        for o in s.overhead:
            weeks = self.finish.mean() if o.until == RESERVED_MILESTONE else \
                self.mean_finish_[index[o.until]]
            if o.weekly_cost is not None:
                rows.append(("overhead", o.id, "", o.weekly_cost * weeks))
            else:
                rows += [("overhead", o.id, role, fte * rates[role] * weeks)
                         for role, fte in o.staffing.items()]
        for r, mean in zip(s.risks, self.mean_risk_cost_):
            rows.append(("risk", r.id, "", mean))
        return pd.DataFrame(rows, columns=["category", "item", "role", "mean"])

    def economic_cost(self) -> float:
        """Mean spend plus the expected cost of delay past the audit target."""
        cod = self.cost_of_delay()
        return float(self.cost.mean()) + float(cod["expected_cost_of_delay"].iloc[0])

    @property
    def plot(self):
        """Plots of this result: ``result.plot.s_curve()``, ``.cost_distribution()``..."""
        from .plots import PlotAccessor

        return PlotAccessor(self)

    def cdf(self, milestone: str = RESERVED_MILESTONE) -> tuple[np.ndarray, np.ndarray]:
        """Empirical CDF of a finish: sorted weeks and P(finish <= weeks)."""
        x = np.sort(self.finish_of(milestone))
        return x, np.arange(1, len(x) + 1) / len(x)

    def convergence(self) -> dict[str, Any]:
        """Monte Carlo standard errors of the headline figures (and the precision run)."""
        from .analysis import quantile_std_error

        out = {t: float(row.std_error) for t, row in self.targets().iterrows()}
        out = {"p_meet": out,
               "finish_p80": float(quantile_std_error(self.finish, 0.8)),
               "cost_p80": float(quantile_std_error(self.cost, 0.8)),
               "iterations": self.iterations}
        if self.convergence_:
            out.update(self.convergence_)
        return out

    # -- output --------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """The headline figures as a two-column table a person reads."""
        d = self.to_dict()
        cur = d["cost"]["currency"]
        money = lambda x: f"{cur} {x:,.0f}"  # noqa: E731
        rows = []
        for tid, t in d["targets"].items():
            rows.append((f"P({tid}: {t['milestone']} by {t['date']})",
                         f"{t['probability']:.1%} ± {t['std_error']:.1%}"))
        fd = d["finish_date"]
        rows += [("Finish P50 / P80", f"{fd['p50']} / {fd['p80']}"),
                 ("Finish P10 – P90 (weeks)", f"{d['finish']['p10']:.1f} – "
                                              f"{d['finish']['p90']:.1f}"),
                 ("Cost P50 / P80", f"{money(d['cost']['p50'])} / {money(d['cost']['p80'])}"),
                 ("Cost P10 – P90", f"{money(d['cost']['p10'])} – {money(d['cost']['p90'])}")]
        b = d["cost_band"]
        rows.append((f"Cost below / within / above {money(b['low'])}–{money(b['high'])}",
                     f"{b['p_below']:.0%} / {b['p_within']:.0%} / {b['p_above']:.0%}"))
        rows += [("Deterministic plan", f"{d['deterministic']['finish']:.1f} weeks, "
                                        f"{money(d['deterministic']['cost'])}"),
                 ("Contingency to P80", f"{d['contingency']['p80']['weeks']:+.1f} weeks, "
                                        f"{money(d['contingency']['p80']['cost'])}"),
                 (f"Joint confidence (by {d['jcl']['date']} and ≤ {money(d['jcl']['budget'])})",
                  f"{d['jcl']['probability']:.1%}")]
        return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")

    def to_dict(self) -> dict[str, Any]:
        """The summary document of DESIGN §4 (``riskmodel simulate --json``)."""
        from . import __version__

        if "dict" in self._cache:
            return self._cache["dict"]
        f = self.percentiles("finish", FINISH_LEVELS)
        c = self.percentiles("cost", COST_LEVELS)
        target = self.primary_target
        ws = self.workstreams()
        rk = self.risks()
        none_if_nan = lambda x: None if math.isnan(x) else float(x)  # noqa: E731
        out = {
            "schema": SCHEMA,
            "scenario": {"name": self.scenario.name, "sha256": self.scenario.sha256},
            "iterations": self.iterations,
            "seed": self.seed,
            "version": __version__,
            "finish": {"unit": "weeks", "mean": float(self.finish.mean()),
                       "std": float(self.finish.std()), **{k: float(v) for k, v in f.items()}},
            "finish_date": {k: v.isoformat() for k, v in self.finish_dates().items()},
            "targets": {
                tid: {"milestone": row.milestone, "date": row.date.isoformat(),
                      "probability": row.probability, "std_error": row.std_error}
                for tid, row in self.targets().iterrows()
            },
            "cost": {"currency": self.scenario.currency, "mean": float(self.cost.mean()),
                     "std": float(self.cost.std()), **{k: float(v) for k, v in c.items()}},
            "cost_band": self.cost_band(),
            "deterministic": {"finish": self.plan["finish"], "cost": self.plan["cost"]},
            "contingency": {"p80": self.contingency(0.8)},
            "jcl": {"date": target.date.isoformat(), "budget": self.scenario.cost_band.high,
                    "probability": self.jcl()},
            "workstreams": {
                wid: {"criticality": float(r.criticality), "sensitivity": float(r.sensitivity),
                      "finish_p80": float(r.finish_p80)}
                for wid, r in ws.iterrows()
            },
            **({"as_of": self.status.as_of.isoformat()} if self.status is not None else {}),
            "risks": {
                rid: {"fired": float(r.fired), "p80_finish_shift": none_if_nan(r.p80_finish_shift),
                      "p80_cost_shift": none_if_nan(r.p80_cost_shift)}
                for rid, r in rk.iterrows()
            },
        }
        self._cache["dict"] = out
        return out

    def __repr__(self) -> str:
        t = self.primary_target
        p = self.p_meet(t.date, t.milestone)
        return (f"<SimulationResult '{self.scenario.name}': {self.iterations:,} iterations, "
                f"P({t.id} by {t.date}) = {p:.1%}>")
