"""The interactive what-if behind ``notebooks/what_if.ipynb``.

``WhatIf.update(...)`` re-simulates one set of choices against the baseline on the same
random numbers and draws the S-curves and cost distributions; ``WhatIf.show()`` wires
it to sliders and tick boxes (ipywidgets) so that an analyst can move them in a meeting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .formatting import long_date, money, percent
from .results import SimulationResult
from .scenario import Scenario, load_scenario
from .scenario.changes import change_staffing, move_dates
from .simulate import simulate

__all__ = ["WhatIf", "Choice", "cost_against_baseline"]


@dataclass
class Choice:
    """One what-if: audit date moved, extra people per workstream, risks switched off."""

    audit_weeks_later: float = 0.0
    extra_staff: dict[str, float] = field(default_factory=dict)
    risks_off: tuple[str, ...] = ()


class WhatIf:
    """A baseline scenario and the machinery to compare choices against it.

    Extra staff on a workstream joins the role that can do its work (its ``skills``) and
    can be brought in soonest (shortest ``lead_time``; then the most FTE); duration
    follows ``change_staffing`` (elasticity 0.5, the lead time and onboarding), and a
    role with a capacity grows by the people added.

    Parameters
    ----------
    scenario : Scenario or str
        The baseline, or its scenario file.
    iterations : int
        Monte Carlo iterations of every run.
    seed : int, optional
        The seed of every run (common random numbers); default the scenario's own, or 0.
    """

    def __init__(self, scenario: Scenario | str, iterations: int = 20_000,
                 seed: int | None = None):
        self.base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.iterations = iterations
        self.seed = seed if seed is not None else (self.base.simulation.seed or 0)
        self.baseline = simulate(self.base, iterations=iterations, seed=self.seed,
                                 rank_risks=False)

    def scenario_for(self, choice: Choice) -> Scenario:
        """The scenario a choice describes.

        Parameters
        ----------
        choice : Choice

        Returns
        -------
        Scenario
        """
        s = self.base
        for ws_id, extra in choice.extra_staff.items():
            if extra:
                ws = s.workstream(ws_id)
                lead = {r.id: r.lead_time for r in s.roles}
                skilled = [r for r in ws.staffing if r in (ws.skills or ws.staffing)]
                role = min(skilled, key=lambda r: (lead[r], -ws.staffing[r]))
                s = change_staffing(s, ws_id, {role: ws.staffing[role] + extra})
        if choice.audit_weeks_later:
            s = move_dates(s, audit_weeks_later=choice.audit_weeks_later)
        return s

    def run(self, choice: Choice) -> SimulationResult:
        """Simulate a choice on the baseline's random numbers.

        Parameters
        ----------
        choice : Choice

        Returns
        -------
        SimulationResult
        """
        return simulate(self.scenario_for(choice), iterations=self.iterations, seed=self.seed,
                        rank_risks=False, disabled_risks=choice.risks_off)

    def update(self, choice: Choice, fig=None) -> dict[str, Any]:
        """Simulate, draw baseline against the choice, and return the headline figures.

        The figure is not registered with pyplot (unless ``fig`` is given), so a notebook
        shows it once: as the value it is given, never again at the end of the cell.

        Parameters
        ----------
        choice : Choice
        fig : matplotlib Figure, optional
            Drawn into (cleared first); default a new one.

        Returns
        -------
        dict
            ``figure``, ``p_meet_baseline``, ``p_meet``, ``cost_mean_baseline``,
            ``cost_mean`` and the what-if's ``result``.
        """
        from matplotlib.figure import Figure

        from .plots import s_curves, target_words

        result = self.run(choice)
        if fig is None:
            fig = Figure(figsize=(13, 4.8), layout="constrained")
        fig.clear()
        left, right = fig.subplots(1, 2)
        s_curves({"Baseline": self.baseline, "What-if": result}, ax=left)
        cost_against_baseline(self.baseline, result, ax=right)
        t0, t1 = self.baseline.primary_target, result.primary_target
        p0, p1 = self.baseline.p_meet(t0.date, t0.milestone), result.p_meet(t1.date, t1.milestone)
        left.set_title(f"P({target_words(t1)[0]} by {long_date(t1.date)}): baseline {percent(p0)}, "
                       f"what-if {percent(p1)}")
        return {
            "figure": fig,
            "p_meet_baseline": self.baseline.p_meet(t0.date, t0.milestone),
            "p_meet": result.p_meet(t1.date, t1.milestone),
            "cost_mean_baseline": float(self.baseline.cost.mean()),
            "cost_mean": float(result.cost.mean()),
            "result": result,
        }

    def show(self):
        """Sliders and tick boxes that re-simulate and redraw on every change.

        Every control's label is written in full (workstream and risk names wrap on
        their own line width rather than being cut).

        Returns
        -------
        ipywidgets.VBox
        """
        import html

        import ipywidgets as w
        from IPython.display import display

        def label(text: str, width: str = "21em"):
            return w.HTML(f"<div style='line-height:1.25;white-space:normal'>"
                          f"{html.escape(text)}</div>",
                          layout=w.Layout(width=width, min_width=width))

        def slider_row(text: str, slider):
            return w.HBox([label(text), slider], layout=w.Layout(align_items="center"))

        audit = w.FloatSlider(value=0, min=-4, max=8, step=0.5, readout_format="+.1f",
                              continuous_update=False, layout=w.Layout(width="15em"))
        staff = {ws.id: w.FloatSlider(value=0, min=0, max=2, step=0.25, readout_format=".2f",
                                      continuous_update=False, layout=w.Layout(width="15em"))
                 for ws in self.base.workstreams if ws.staffing}
        names = {ws.id: ws.name or ws.id for ws in self.base.workstreams}
        risks = {r.id: w.Checkbox(value=True, description=r.name or r.id, indent=False,
                                  style={"description_width": "initial"},
                                  layout=w.Layout(width="auto"))
                 for r in self.base.risks}
        text, out = w.HTML(), w.Output()
        cur = self.base.currency

        def redraw(_=None):
            choice = Choice(audit.value, {k: s.value for k, s in staff.items()},
                            tuple(k for k, c in risks.items() if not c.value))
            res = self.update(choice)
            with out:
                out.clear_output(wait=True)
                display(res["figure"])
            text.value = (f"<b>P(meet target): {percent(res['p_meet_baseline'])} &rarr; "
                          f"{percent(res['p_meet'])}</b> &nbsp; mean cost "
                          f"{money(res['cost_mean_baseline'], cur)} &rarr; "
                          f"{money(res['cost_mean'], cur)}")

        for widget in (audit, *staff.values(), *risks.values()):
            widget.observe(redraw, names="value")
        controls = w.HBox([
            w.VBox([w.HTML("<b>Audit date</b>"),
                    slider_row("Weeks later (negative: earlier)", audit),
                    w.HTML("<b>Extra people (FTE) on a workstream</b>"),
                    *(slider_row(names[k], s) for k, s in staff.items())]),
            w.VBox([w.HTML("<b>Risks (untick to remove)</b>"), *risks.values()],
                   layout=w.Layout(margin="0 0 0 2em")),
        ])
        redraw()
        return w.VBox([controls, text, out])


def cost_against_baseline(baseline: SimulationResult, result: SimulationResult, ax=None,
                          **kwargs):
    """The what-if's cost distribution over the baseline's, on the same bins, with each
    one's P80 and the budget band.

    Parameters
    ----------
    baseline, result : SimulationResult
        The baseline and the what-if, run on the same random numbers.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    **kwargs
        Passed to matplotlib's ``hist`` of the what-if.

    Returns
    -------
    matplotlib Axes
    """
    import numpy as np

    from .plots._style import BLUE, GREEN, GREY, _axes, _money

    ax = _axes(ax)
    money = _money(baseline)
    both = np.concatenate([baseline.cost, result.cost])
    bins = np.linspace(both.min(), both.max(), 61)
    band = baseline.scenario.cost_band
    ax.axvspan(band.low, band.high, color=GREEN, alpha=0.10,
               label=f"Cost band {money(band.low)}–{money(band.high)}")
    p80 = {}
    for name, r, style in (("Baseline", baseline, {"color": GREY, "alpha": 0.45,
                                                    "histtype": "stepfilled"}),
                           ("What-if", result, {"color": BLUE, "lw": 2.0,
                                                "histtype": "step", **kwargs})):
        p80[name] = float(r.percentiles("cost", (80,)).iloc[0])
        ax.hist(r.cost, **{"bins": bins, "label": f"{name}: P80 {money(p80[name])}", **style})
        ax.axvline(p80[name], color=style["color"], lw=1.5,
                   ls="-" if name == "What-if" else (0, (4, 2)))
    ax.xaxis.set_major_formatter(money)
    ax.set_xlabel(f"Readiness cost ({baseline.scenario.currency})")
    ax.set_ylabel("Simulated futures (count)")
    ax.set_title(f"Cost against the baseline: P80 {money(p80['Baseline'])} → "
                 f"{money(p80['What-if'])}")
    ax.legend(fontsize=10, loc="best")  # clear of the bars where there is room
    return ax
