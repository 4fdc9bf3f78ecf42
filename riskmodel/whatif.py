"""The interactive what-if behind ``notebooks/what_if.ipynb``.

``WhatIf.update(...)`` re-simulates one set of choices against the baseline on the same
random numbers and draws the S-curves and cost distributions; ``WhatIf.show()`` wires
it to sliders and tick boxes (ipywidgets) so that an analyst can move them in a meeting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .results import SimulationResult
from .scenario import Scenario, load_scenario
from .scenario.changes import change_staffing, move_dates
from .simulate import simulate

__all__ = ["WhatIf", "Choice"]


@dataclass
class Choice:
    """One what-if: audit date moved, extra people per workstream, risks switched off."""

    audit_weeks_later: float = 0.0
    extra_staff: dict[str, float] = field(default_factory=dict)
    risks_off: tuple[str, ...] = ()


class WhatIf:
    """A baseline scenario and the machinery to compare choices against it.

    Extra staff on a workstream joins its main role (the role with the most FTE);
    duration follows the staffing rule of ``change_staffing`` (elasticity 0.5).
    """

    def __init__(self, scenario: Scenario | str, iterations: int = 20_000,
                 seed: int | None = None):
        self.base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.iterations = iterations
        self.seed = seed if seed is not None else (self.base.simulation.seed or 0)
        self.baseline = simulate(self.base, iterations=iterations, seed=self.seed,
                                 rank_risks=False)

    def scenario_for(self, choice: Choice) -> Scenario:
        """The scenario a choice describes."""
        s = self.base
        for ws_id, extra in choice.extra_staff.items():
            if extra:
                ws = s.workstream(ws_id)
                role = max(ws.staffing, key=ws.staffing.get)
                s = change_staffing(s, ws_id, {role: ws.staffing[role] + extra})
        if choice.audit_weeks_later:
            s = move_dates(s, audit_weeks_later=choice.audit_weeks_later)
        return s

    def run(self, choice: Choice) -> SimulationResult:
        """Simulate a choice on the baseline's random numbers."""
        return simulate(self.scenario_for(choice), iterations=self.iterations, seed=self.seed,
                        rank_risks=False, disabled_risks=choice.risks_off)

    def update(self, choice: Choice, fig=None) -> dict[str, Any]:
        """Simulate, draw baseline against the choice, and return the headline figures."""
        import matplotlib.pyplot as plt

        from .plots import cost_distribution, s_curves

        result = self.run(choice)
        if fig is None:
            fig = plt.figure(figsize=(13, 4.5), layout="constrained")
        fig.clear()
        left, right = fig.subplots(1, 2)
        s_curves({"Baseline": self.baseline, "What-if": result}, ax=left)
        cost_distribution(result, ax=right)
        t0, t1 = self.baseline.primary_target, result.primary_target
        return {
            "figure": fig,
            "p_meet_baseline": self.baseline.p_meet(t0.date, t0.milestone),
            "p_meet": result.p_meet(t1.date, t1.milestone),
            "cost_mean_baseline": float(self.baseline.cost.mean()),
            "cost_mean": float(result.cost.mean()),
            "result": result,
        }

    def show(self):
        """Sliders and tick boxes that re-simulate and redraw on every change."""
        import ipywidgets as w
        import matplotlib.pyplot as plt
        from IPython.display import display

        audit = w.FloatSlider(value=0, min=-4, max=8, step=0.5, description="Audit +weeks",
                              continuous_update=False)
        staff = {ws.id: w.FloatSlider(value=0, min=0, max=2, step=0.25,
                                      description=ws.id[:18], continuous_update=False)
                 for ws in self.base.workstreams if ws.staffing}
        risks = {r.id: w.Checkbox(value=True, description=(r.name or r.id)[:40], indent=False)
                 for r in self.base.risks}
        text, out = w.HTML(), w.Output()

        def redraw(_=None):
            choice = Choice(audit.value, {k: s.value for k, s in staff.items()},
                            tuple(k for k, c in risks.items() if not c.value))
            with out:
                out.clear_output(wait=True)
                res = self.update(choice)
                display(res["figure"])
                plt.close(res["figure"])
            text.value = (f"<b>P(meet target): {res['p_meet_baseline']:.0%} &rarr; "
                          f"{res['p_meet']:.0%}</b> &nbsp; mean cost "
                          f"${res['cost_mean_baseline']:,.0f} &rarr; ${res['cost_mean']:,.0f}")

        for widget in (audit, *staff.values(), *risks.values()):
            widget.observe(redraw, names="value")
        controls = w.HBox([
            w.VBox([w.HTML("<b>Audit date</b>"), audit, w.HTML("<b>Extra FTE</b>"),
                    *staff.values()]),
            w.VBox([w.HTML("<b>Risks (untick to remove)</b>"), *risks.values()]),
        ])
        redraw()
        return w.VBox([controls, text, out])
