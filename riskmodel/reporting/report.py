"""One scenario's report: what ``notebooks/scenario_report.ipynb`` shows and saves."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..results import SimulationResult
from ..scenario import Scenario, load_scenario
from ..scenario.changes import apply_changes, move_dates
from ..simulate import simulate
from .provenance import plain, provenance

__all__ = ["ScenarioReport", "FIGURES", "long_date"]

FIGURES = ("s_curve", "cost_distribution", "driver_tornado", "risk_tornado", "jcl_scatter",
           "cash_flow_fan", "gantt")
"""Figures a report draws and saves, in reading order."""


def long_date(d: dt.date) -> str:
    """``1 Mar 2027``."""
    return f"{d.day} {d:%b %Y}"


def _money(x: float, currency: str) -> str:
    return f"${x:,.0f}" if currency == "USD" else f"{x:,.0f} {currency}"


@dataclass
class ScenarioReport:
    """A simulated scenario with the words, tables and figures of its report."""

    scenario: Scenario
    result: SimulationResult
    parameters: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def run(cls, scenario: str | Path, *, overrides: dict | None = None,
            changes: list | None = None, audit_date: str = "", iterations: int = 20_000,
            seed: int = -1, title: str = "") -> "ScenarioReport":
        """Load, change, simulate. Raises ``ScenarioError`` for bad input."""
        s = load_scenario(scenario)
        if overrides:
            s = s.with_changes(overrides)
        if changes:
            s = apply_changes(s, changes)
        if audit_date:
            s = move_dates(s, audit_date=audit_date)
        if title:
            s = s.with_changes(name=title)
        result = simulate(s, iterations=iterations, seed=None if seed < 0 else seed)
        params = {"scenario": str(scenario), "overrides": overrides or {},
                  "changes": changes or [], "audit_date": audit_date,
                  "iterations": iterations, "seed": seed, "title": title}
        return cls(s, result, plain(params))

    # -- words ---------------------------------------------------------------------
    def heading(self) -> str:
        """Title and headline as Markdown, with the scenario's name escaped."""
        import html

        return f"# {html.escape(self.scenario.name)}\n## {self.headline()}"

    def headline(self) -> str:
        """``P(audit-ready by 1 Mar 2027) = 46%``."""
        t = self.result.primary_target
        p = self.result.p_meet(t.date, t.milestone)
        what = "audit-ready" if t.id == "audit" else t.id.replace("_", " ")
        return f"P({what} by {long_date(t.date)}) = {p:.0%}"

    def reading(self) -> str:
        """A few sentences reading the percentiles for a director (Markdown)."""
        r, cur = self.result, self.scenario.currency
        t = r.primary_target
        q = r.percentiles(t.milestone if t.milestone != "end" else "finish", (50, 80))
        c = r.percentiles("cost", (50, 80))
        band = r.cost_band()
        plan = r.plan_confidence()
        cont = r.contingency(0.8)
        p = r.p_meet(t.date, t.milestone)
        lines = [
            f"- **Chance of making {long_date(t.date)}: {p:.0%}.** "
            + ("More likely than not." if p >= 0.5 else "Less likely than not."),
            f"- **P50 ({long_date(r.date_of(q['p50']))}, {_money(c['p50'], cur)})** is the "
            "midpoint: half the simulated futures finish earlier and cheaper, half later "
            "and dearer. Plan to it only where a miss is cheap.",
            f"- **P80 ({long_date(r.date_of(q['p80']))}, {_money(c['p80'], cur)})** is a "
            "commitment: four futures in five do better. This is the date and budget to "
            "promise.",
            f"- The deterministic plan ({r.plan['finish']:.1f} weeks, "
            f"{_money(r.plan['cost'], cur)}) is met in only {plan['finish']:.0%} of "
            f"futures; reaching P80 needs {cont['weeks']:+.1f} weeks and "
            f"{_money(cont['cost'], cur)} of contingency.",
            f"- Cost against the {_money(band['low'], cur)}–{_money(band['high'], cur)} "
            f"band: {band['p_below']:.0%} below, {band['p_within']:.0%} within, "
            f"{band['p_above']:.0%} above.",
        ]
        return "\n".join(lines)

    # -- tables --------------------------------------------------------------------
    def top_risks(self, n: int = 3) -> pd.DataFrame:
        """The risks that move the P80 date most."""
        return self.result.risks().head(n)[["name", "probability", "p80_finish_shift",
                                            "p80_cost_shift", "p_meet_shift"]]

    def assumptions(self) -> dict[str, pd.DataFrame]:
        """Workstream estimates and staffing, and the risk register, as tables."""
        rates = {r.id: r.weekly_rate for r in self.scenario.roles}
        ws = pd.DataFrame([{
            "workstream": w.name or w.id, "duration (weeks)": w.duration.describe(),
            "depends on": ", ".join(d.id for d in w.depends_on) or "-",
            "weekly cost": sum(f * rates[r] for r, f in w.staffing.items()),
        } for w in self.scenario.workstreams])
        risks = pd.DataFrame([{
            "risk": r.name or r.id, "probability": r.probability,
            "affects": ", ".join(r.affects) or "-",
            "impact": (r.delay.describe() + " weeks") if r.delay is not None else
            (f"x {r.factor.describe()}" if r.factor is not None else "-"),
            "cost": r.cost.describe(),
        } for r in self.scenario.risks])
        return {"workstreams": ws, "risks": risks}

    def provenance(self) -> dict[str, Any]:
        """Version, inputs and hashes, seed, iterations, time, parameters."""
        return provenance(self.result, self.parameters)

    # -- figures and files ---------------------------------------------------------
    def figure(self, name: str):
        """Draw one of ``FIGURES``; returns the matplotlib Figure (shown inline)."""
        import matplotlib.pyplot as plt

        with plt.rc_context({"font.size": 12, "legend.fontsize": 11, "axes.titlesize": 14}):
            ax = getattr(self.result.plot, name)()
        self.figures[name] = ax.figure
        plt.close(ax.figure)  # keep it for saving; the notebook displays the return value
        return ax.figure

    def summary(self) -> dict[str, Any]:
        """``summary.json``: the JSON contract, provenance and the report's extras."""
        r = self.result
        t = r.primary_target
        weeks = np.percentile(r.finish_of(t.milestone), np.arange(0, 101))
        flow = r.cash_flow("M")
        extras = {
            "headline": self.headline(),
            "label": self.scenario.name,
            "start_date": self.scenario.start_date.isoformat(),
            "finish_quantiles": {"milestone": t.milestone, "weeks": weeks.tolist()},
            "cost_quantiles": np.percentile(r.cost, np.arange(0, 101)).tolist(),
            "cost_breakdown": r.cost_breakdown().to_dict(orient="records"),
            "cash_flow_monthly": [
                {"date": d.isoformat(), "p10": row.p10, "p50": row.p50, "p90": row.p90}
                for d, row in flow.iterrows()],
            "top_risks": [{"id": k, **v} for k, v in
                          self.top_risks().to_dict(orient="index").items()],
            "contingency": {k: {"weeks": float(v.schedule_contingency_weeks),
                                "cost": float(v.cost_contingency)}
                            for k, v in r.contingency_table().iterrows()},
            "plan_confidence": r.plan_confidence(),
            "cost_of_delay": r.cost_of_delay().to_dict(orient="index"),
            "cost_p5_p95": [float(x) for x in np.percentile(r.cost, [5, 95])],
            "assumptions": {k: v.to_dict(orient="records")
                            for k, v in self.assumptions().items()},
        }
        return {**r.to_dict(), "report": plain(extras), "provenance": self.provenance()}

    def save(self, folder: str | Path = ".") -> list[Path]:
        """Write ``summary.json`` and every drawn figure (PNG) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name in FIGURES:
            if name not in self.figures:
                self.figure(name)
            path = folder / f"{name}.png"
            self.figures[name].savefig(path, dpi=110)
            written.append(path)
        path = folder / "summary.json"
        path.write_text(json.dumps(self.summary(), indent=2, allow_nan=False) + "\n")
        return [path, *written]
