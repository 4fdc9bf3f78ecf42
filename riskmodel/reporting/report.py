"""One scenario's report: what ``notebooks/scenario_report.ipynb`` shows and saves."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..analysis.risks import condition_text
from ..formatting import long_date, money, percent, points, target_name
from ..results import SimulationResult
from ..scenario import Scenario, load_scenario
from ..scenario.changes import apply_changes, move_dates
from ..simulate import simulate
from .provenance import plain, provenance
from .safe_text import markdown_text

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.risks import RiskOrder

__all__ = ["ScenarioReport", "FIGURES", "long_date"]

FIGURES = ("s_curve", "cost_distribution", "driver_tornado", "risk_tornado", "risk_tail",
           "risk_removal", "jcl_scatter", "cash_flow_fan", "gantt", "role_demand")
"""Figures a report draws and saves, in reading order."""


def _spread(dist, fmt, unit: str = "") -> str:
    """A distribution in words: ``3 weeks``, ``1–4 weeks, most likely 1.5`` or
    ``2–5 weeks (P10–P90), median 3``."""
    lo, hi = dist.support
    if lo == hi:
        return f"{fmt(lo)}{unit}"
    mode = getattr(dist, "mode", None) if "mode" in getattr(dist, "params", {}) else None
    if mode is not None and np.isfinite(lo) and np.isfinite(hi):
        return f"{fmt(lo)}–{fmt(hi)}{unit}, most likely {fmt(mode)}"
    if dist.name == "uniform":
        return f"{fmt(lo)}–{fmt(hi)}{unit}, any value equally likely"
    p10, p50, p90 = (float(x) for x in dist.sample(np.array([0.1, 0.5, 0.9])))
    return f"{fmt(p10)}–{fmt(p90)}{unit} (P10–P90), median {fmt(p50)}"


def _no_math(markdown: str) -> str:
    """Markdown whose dollar signs show as such: Jupyter and nbconvert read the text
    between two ``$`` as mathematics ("$385,626 ... $699,343"); already escaped ones
    (``markdown_text``) stay as they are."""
    return re.sub(r"(?<!\\)\$", r"\\$", markdown)


def _signed(x: float, fmt: str) -> str:
    """``x`` with its sign (``fmt``), or ``0`` where it rounds to zero (never ``-0.00``)."""
    text = fmt.format(x)
    return "0" if float(text) == 0 else text


def _number(x: float) -> str:
    """Weeks for people: ``2``, ``2.5``, ``2.9`` (one decimal at most)."""
    return f"{round(float(x), 1):g}"


def _short(value: Any) -> str:
    """A change or an override in one line: ``staffing: workstream sf_permissions, ...``."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_short(v)}" if isinstance(v, (dict, list)) else f"{k} {v}"
                         for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_short(v) for v in value)
    return str(value)


def _code(text: str) -> str:
    """Text for inside a Markdown code span (shown literally): one line, no backticks."""
    return " ".join(str(text).replace("`", "'").split())


@dataclass
class ScenarioReport:
    """A simulated scenario with the words, tables and figures of its report."""

    scenario: Scenario
    result: SimulationResult
    parameters: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def run(cls, scenario: str | Path, *, overrides: dict | None = None,
            changes: list | None = None, audit_date: str | None = None,
            iterations: int = 20_000, seed: int | None = None,
            title: str | None = None) -> ScenarioReport:
        """Load, change, simulate. Raises ``ScenarioError`` for bad input.

        Parameters
        ----------
        scenario : str or Path
            The scenario file.
        overrides : dict, optional
            A partial scenario merged by id (``Scenario.with_changes``).
        changes : list, optional
            Named what-if changes (``riskmodel.scenario.changes.apply_changes``).
        audit_date : str, optional
            An ISO date to test instead of the scenario's audit date.
        iterations : int
            Monte Carlo iterations.
        seed : int, optional
            Default: the scenario's own seed.
        title : str, optional
            The report's title (default: the scenario's name).

        Returns
        -------
        ScenarioReport

        Raises
        ------
        ScenarioError
            The scenario file, the overrides, the changes or the audit date are not valid.
        """
        s = load_scenario(scenario)
        if overrides:
            s = s.with_changes(overrides)
        if changes:
            s = apply_changes(s, changes)
        if audit_date:
            s = move_dates(s, audit_date=audit_date)
        if title:
            s = s.with_changes(name=title)
        result = simulate(s, iterations=iterations, seed=seed)
        params = {"scenario": str(scenario), "overrides": overrides or {},
                  "changes": changes or [], "audit_date": audit_date or "",
                  "iterations": iterations, "seed": -1 if seed is None else seed,
                  "title": title or ""}
        return cls(s, result, plain(params))

    # -- words ---------------------------------------------------------------------
    def heading(self) -> str:
        """Title and headline as Markdown; the scenario's name is shown as written
        (HTML and Markdown escaped: never a link, an image or a script).

        Returns
        -------
        str
            Two Markdown headings.
        """
        return f"# {markdown_text(self.scenario.name)}\n## {markdown_text(self.headline())}"

    def headline(self) -> str:
        """``P(audit-ready by 1 Mar 2027) = 46%``.

        Returns
        -------
        str
            For the primary target.
        """
        t = self.result.primary_target
        p = self.result.p_meet(t.date, t.milestone)
        return f"P({target_name(t.id)} by {long_date(t.date)}) = {percent(p)}"

    def reading(self) -> str:
        """A few sentences reading the forecast for a director (Markdown).

        Every sentence holds for the number it gives: separate percentiles are never
        presented as a joint commitment (the date and budget to promise come from the
        joint frontier), a second peak in the dates or costs is named, and the
        contingency says how much of it the risks cause.

        Returns
        -------
        str
            A Markdown list, one sentence an item.
        """
        r, cur = self.result, self.scenario.currency
        d = r.to_dict()
        t = r.primary_target
        q = r.percentiles(t.milestone, (50, 80))
        c = r.percentiles("cost", (50, 80))
        band, plan, j = r.cost_band(), r.plan_confidence(), d["jcl"]
        cont = d["contingency"]["p80"]
        p = r.p_meet(t.date, t.milestone)
        se = d["targets"][t.id]["std_error"]
        lines = [
            f"- **Chance of making {long_date(t.date)}: {percent(p)}** (± {percent(se, 1)} "
            "Monte Carlo error). "
            + ("More likely than not." if p >= 0.5 else "Less likely than not."),
            f"- **P50**: half the simulated futures finish by "
            f"{long_date(r.date_of(q['p50']))}; half cost less than {money(c['p50'], cur)}.",
            f"- **P80**: four futures in five finish by {long_date(r.date_of(q['p80']))}, and "
            f"four in five cost less than {money(c['p80'], cur)}, but **both hold together "
            f"in only {percent(j['at_p80']['probability'])}** of futures: they are not a pair "
            "to promise.",
            self._promise_sentence(),
            f"- The deterministic plan ({r.plan['finish']:.1f} weeks, "
            f"{money(r.plan['cost'], cur)}) is met in only {percent(plan['finish'])} of "
            f"futures; reaching P80 needs {cont['weeks']:+.1f} weeks and "
            f"{money(cont['cost'], cur)} of contingency"
            + (f", of which the risks cause {cont['from_risks']['weeks']:+.1f} weeks and "
               f"{money(cont['from_risks']['cost'], cur)} and estimate uncertainty (merge "
               f"bias included) the rest." if "from_risks" in cont else "."),
            f"- Cost against the {money(band['low'], cur)}–{money(band['high'], cur)} "
            f"band: {percent(band['p_below'])} below, {percent(band['p_within'])} within, "
            f"{percent(band['p_above'])} above.",
            *self._shape_sentences(),
            *self._people_sentences(),
        ]
        return _no_math("\n".join(line for line in lines if line))

    def people(self) -> str:
        """Whether work waits for people, in a sentence (Markdown).

        Returns
        -------
        str
        """
        from .words import waiting_text

        wait = self.result.waiting()
        if wait is None:
            return ("No role has a capacity in this scenario: every workstream gets its "
                    "people as soon as it can start.")
        text = waiting_text(self._for_words())
        if text is None and wait["share_waiting"] == 0:
            return ("No workstream waits for people: the roles' capacities cover every set "
                    "of workstreams that can run at once.")
        if text is None:
            return (f"Workstreams wait for people in {percent(wait['share_waiting'])} of futures, "
                    f"but it moves the P80 date by only {wait['p80_shift_weeks']:.1f} weeks "
                    f"and the chance of making the date by "
                    f"{points(abs(wait['p_meet_change']))}.")
        return markdown_text(text) + "."  # markdown_text escapes every $

    def _role_names(self) -> dict[str, str]:
        return {r.id: r.name or r.id for r in self.scenario.roles}

    def _for_words(self) -> dict[str, Any]:
        """The summary as ``words`` reads it (role names and the start date for dates)."""
        return {**self.result.to_dict(), "report": {
            "role_names": self._role_names(),
            "start_date": self.scenario.start_date.isoformat()}}

    def _promise_sentence(self) -> str:
        """The pair to promise with 80% joint confidence, from the joint frontier (the
        words the deck and the workbook use too)."""
        from .words import promise_text

        return ("- **To promise a date and a budget together with 80% confidence**: "
                + promise_text(self.result.to_dict()) + ".")

    def _people_sentences(self) -> list[str]:
        """Say what waiting for people costs, when it matters."""
        from .words import waiting_text

        text = waiting_text(self._for_words())
        return [f"- **{markdown_text(text)}.**"] if text else []

    def _shape_sentences(self) -> list[str]:
        """Name a second peak in the dates or the costs (not averaged away)."""
        out = []
        r, cur = self.result, self.scenario.currency
        t = r.primary_target
        for what, of, fmt in (("finish", t.milestone, lambda w: long_date(r.date_of(w))),
                              ("cost", "cost", lambda x: money(x, cur))):
            shape = r.modes(of)
            if shape is None:
                continue
            main, second = shape["main"], shape["second"]
            noun = "dates" if what == "finish" else "costs"
            cause = second.get("cause")
            why = (f", {percent(cause['share'])} of them with: "
                   f"*{markdown_text(cause['name'])}*" if cause else "")
            out.append(
                f"- **The {noun} have two peaks**: most futures near {fmt(main['value'])}, "
                f"and a second group ({percent(second['share'])} of futures{why}) near "
                f"{fmt(second['value'])}. An average or a P50 hides this second group; plan "
                "for it as a separate outcome.")
        return out

    # -- tables --------------------------------------------------------------------
    def top_risks(self, n: int = 3, by: RiskOrder = "expected") -> pd.DataFrame:
        """The risks with the largest expected impact (``by="p90"`` for the tail): what
        each adds to the mean finish and cost, to the P80 and the P90, on the same draws
        without it. ``chance`` is the share of futures in which it occurs; a conditional
        risk's name says its condition, and its ``probability`` holds given that.

        Parameters
        ----------
        n : int
            How many risks.
        by : {"expected", "p80", "p90", "cost"}
            The order (``SimulationResult.risks``).

        Returns
        -------
        pandas.DataFrame
        """
        rk = self.result.risks(by=by).head(n)
        named = [f"{name} ({cond})" if cond else name
                 for name, cond in zip(rk["name"], rk["condition"])]
        return rk.assign(name=named, chance=rk["fired"])[[
            "name", "probability", "chance", "mean_finish_impact", "mean_cost_impact",
            "p80_finish_shift", "p90_finish_shift", "p90_cost_shift", "p_meet_shift"]]

    def risk_table(self) -> pd.DataFrame:
        """Every risk as a person reads it: names, percentages, weeks and money.

        Returns
        -------
        pandas.DataFrame
            Indexed by the risk's name.
        """
        cur = self.scenario.currency
        rk = self.result.risks()
        return pd.DataFrame({
            "Risk": rk["name"],
            "Probability": [f"{percent(p)} {cond} ({percent(f)} of futures)" if cond else percent(p)
                            for p, cond, f in zip(rk["probability"], rk["condition"],
                                                  rk["fired"])],
            "Mean delay added (weeks)": rk["mean_finish_impact"].map(
                lambda x: _signed(x, "{:+.2f}")),
            "Mean cost added": rk["mean_cost_impact"].map(lambda x: money(x, cur)),
            "of which its own cost": rk["own_cost"].map(lambda x: money(x, cur)),
            "P80 / P90 date shift (weeks)": [
                f"{_signed(a, '{:+.1f}')} / {_signed(b, '{:+.1f}')}"
                for a, b in zip(rk["p80_finish_shift"], rk["p90_finish_shift"])],
            "Change in P(meet) (points)": rk["p_meet_shift"].map(
                lambda x: _signed(100 * x, "{:+.0f}")),
        }).set_index("Risk")

    def removal(self) -> pd.DataFrame:
        """P(meet) and the P80 date with the top 1, 2, ... risks removed together (same
        draws); cached. See ``riskmodel.compare.risk_removal``.

        Returns
        -------
        pandas.DataFrame
            A row for none removed, then one more risk a row.
        """
        if "removal" not in self._cache:
            from ..compare import risk_removal

            self._cache["removal"] = risk_removal(self.scenario, self.result)
        return self._cache["removal"]

    def removal_table(self) -> pd.DataFrame:
        """``removal()`` as a person reads it.

        Returns
        -------
        pandas.DataFrame
            Indexed by the risks removed.
        """
        table, names = self.removal(), {r.id: r.name or r.id for r in self.scenario.risks}
        return pd.DataFrame({
            "Risks removed": ["none"] + [f"+ {names[x]}" for x in table["removed"][1:]],
            "P(meet)": table["p_meet"].map(percent).to_numpy(),
            "P80 date": table["p80_date"].map(long_date).to_numpy(),
            "P80 earlier by (weeks)": table["p80_shift"].map("{:.1f}".format).to_numpy(),
            "if separate shifts added": table["p80_shift_if_additive"].map(
                "{:.1f}".format).to_numpy(),
        }).set_index("Risks removed")

    def non_additivity(self) -> str:
        """One sentence: risk shifts do not add up (Markdown).

        Returns
        -------
        str
            Empty with fewer than two risks.
        """
        table = self.removal()
        k = min(3, len(table) - 1)
        if k < 2:
            return ""
        row = table.iloc[k]
        together, added = f"{row.p80_shift:.1f}", f"{row.p80_shift_if_additive:.1f}"
        lead = ("Risk shifts do not add up: removing" if together != added else
                "Here the shifts happen to add up; in general they do not: removing")
        return (f"{lead} the top {k} risks together moves the P80 date by {together} weeks "
                f"and P(meet) to {percent(row.p_meet)}, against {added} weeks if their separate "
                "P80 shifts are added. The table below removes them one more at a time, on "
                "the same simulated futures.")

    def warnings(self) -> str:
        """The schedule health check's findings as Markdown (empty when there are none).

        Returns
        -------
        str
        """
        found = self.result.to_dict()["warnings"]
        if not found:
            return ""
        lines = ["**Check before trusting these numbers:**", ""]
        # a code span shows its text as is (no Markdown, no HTML): only backticks to avoid
        lines += [f"- {markdown_text(w['message'])} (`{_code(w['where'])}`)" for w in found]
        return "\n".join(lines)

    def _team_cost(self, staffing: dict[str, float]) -> tuple[float, float, float]:
        """A team's weekly cost (lowest, at the plan's rates, highest) over its roles'
        weekly rates (a rate given as a distribution spans its range)."""
        rates = {r.id: r.weekly_rate for r in self.scenario.roles}
        lo, hi = (sum(f * rates[r].support[k] for r, f in staffing.items()) for k in (0, 1))
        return lo, sum(f * rates[r].plan_value for r, f in staffing.items()), hi

    def assumptions(self) -> dict[str, pd.DataFrame]:
        """Workstream estimates and staffing, and the risk register, as tables (a weekly
        cost at the plan's rates where a rate is uncertain).

        Returns
        -------
        dict of str to pandas.DataFrame
            ``{"workstreams": ..., "risks": ...}``.
        """
        ws = pd.DataFrame([{
            "workstream": w.name or w.id, "duration (weeks)": w.duration.describe(),
            "depends on": ", ".join(d.describe() for d in w.depends_on) or "-",
            "weekly cost": self._team_cost(w.staffing)[1],
        } for w in self.scenario.workstreams])
        risks = pd.DataFrame([{
            "risk": r.name or r.id, "probability": r.probability,
            "when": condition_text(self.scenario, r) or "-",
            "affects": ", ".join(r.affects) or "-",
            "impact": (r.delay.describe() + " weeks") if r.delay is not None else
            (f"x {r.factor.describe()}" if r.factor is not None else "-"),
            "cost": r.cost.describe(),
        } for r in self.scenario.risks])
        return {"workstreams": ws, "risks": risks}

    def provenance(self) -> dict[str, Any]:
        """Version, inputs and hashes, seed, iterations, time, parameters.

        Returns
        -------
        dict
            ``riskmodel.reporting.provenance.provenance`` of the result.
        """
        return provenance(self.result, self.parameters)

    # -- the same, as a person reads them (the notebook shows these) -------------------
    def _names(self) -> dict[str, str]:
        return {w.id: w.name or w.id for w in self.scenario.workstreams}

    def workstream_table(self) -> pd.DataFrame:
        """``assumptions()["workstreams"]`` as a person reads it: names, weeks, money.

        Returns
        -------
        pandas.DataFrame
            Indexed by the workstream's name.
        """
        cur, names = self.scenario.currency, self._names()

        def team(staffing) -> str:
            lo, plan, hi = self._team_cost(staffing)
            if lo == hi:
                return money(plan, cur)
            spread = f"{money(lo, cur)}–{money(hi, cur)}" if np.isfinite(hi) else "uncertain"
            return f"{money(plan, cur)} at plan rates ({spread})"

        return pd.DataFrame([{
            "Workstream": names[w.id],
            "Duration (weeks)": _spread(w.duration, _number),
            "Depends on": "; ".join(
                [d.describe(names.get(d.id)) for d in w.depends_on]
                + ([f"not before {long_date(w.not_before)}"] if w.not_before else [])) or "-",
            "Team cost per week": team(w.staffing),
        } for w in self.scenario.workstreams]).set_index("Workstream")

    def role_table(self) -> pd.DataFrame:
        """The roles as a person reads them: weekly rate, how many exist (capacity) and
        how long one more takes to bring in.

        Returns
        -------
        pandas.DataFrame
            Indexed by the role's name.
        """
        cur = self.scenario.currency

        def capacity(role) -> str:
            steps = role.capacity_steps()
            if steps is None:
                return "unlimited"
            if steps[0][0] is None and len(steps) == 1:
                return f"{steps[0][1]:g} FTE"
            return "; ".join(f"{f:g} FTE from {long_date(d)}" for d, f in steps[1:])

        return pd.DataFrame([{
            "Role": r.name or r.id,
            "Weekly rate": _spread(r.weekly_rate, lambda x: money(x, cur)),
            "Capacity": capacity(r),
            "To add one (weeks)": f"{r.lead_time:g}" if r.capacity is not None else "-",
        } for r in self.scenario.roles]).set_index("Role")

    def risk_register(self) -> pd.DataFrame:
        """``assumptions()["risks"]`` as a person reads it: names, percent, weeks, money;
        a conditional risk's probability with its condition ("60% if not audit-ready by
        1 Mar 2027").

        Returns
        -------
        pandas.DataFrame
            Indexed by the risk's name.
        """
        cur, names = self.scenario.currency, self._names()
        risk_names = {r.id: r.name or r.id for r in self.scenario.risks}
        return pd.DataFrame([{
            "Risk": r.name or r.id,
            "Probability": (f"{percent(r.probability)} "
                            + condition_text(self.scenario, r, risk_names)).strip(),
            "Affects": "; ".join(names.get(a, a) for a in r.affects) or "-",
            "Impact if it happens": (
                "+" + _spread(r.delay, _number, " weeks") if r.delay is not None
                else "duration × " + _spread(r.factor, lambda x: f"{round(x, 2):g}")
                if r.factor is not None else "-"),
            "Cost if it happens": _spread(r.cost, lambda x: money(x, cur)),
        } for r in self.scenario.risks]).set_index("Risk")

    def provenance_table(self) -> pd.DataFrame:
        """``provenance()`` as a small two-column table.

        Returns
        -------
        pandas.DataFrame
            One ``Value`` column, indexed by what each row is.
        """
        p = self.provenance()
        params = p.get("parameters") or {}
        rows = [
            ("Scenario", self.scenario.name),
            ("Scenario file", params.get("scenario") or "-"),
            ("Changes", "; ".join(_short(c) for c in params.get("changes") or []) or "none"),
            ("Overrides", _short(params["overrides"]) if params.get("overrides") else "none"),
            ("Audit date", params.get("audit_date") or "as in the scenario"),
            ("Iterations", f"{p['iterations']:,}"),
            ("Random seed", str(p["seed"])),
            ("Sampling", {"lhs": "Latin hypercube"}.get(p["sampling"], str(p["sampling"]))),
            ("Scenario fingerprint (SHA-256)", str(p["scenario_sha256"])[:16] + "…"),
            *[(f"Input file {name}", f"SHA-256 {digest[:16]}…")
              for name, digest in p["input_files"].items()],
            ("Made with", f"riskmodel {p['riskmodel_version']}, Python {p['python']}, "
                          f"NumPy {p['numpy']}"),
            ("Created (UTC)", str(p["created"]).replace("T", " ").replace("+00:00", "")),
        ]
        return pd.DataFrame({"Value": [v for _, v in rows]}, index=[k for k, _ in rows])

    # -- figures and files ---------------------------------------------------------
    def figure(self, name: str):
        """Draw one of ``FIGURES``; returns the matplotlib Figure (shown inline).

        Parameters
        ----------
        name : str
            One of ``FIGURES``.

        Returns
        -------
        matplotlib Figure
        """
        import matplotlib.pyplot as plt

        with plt.rc_context({"font.size": 12, "legend.fontsize": 11, "axes.titlesize": 14}):
            if name in ("risk_tornado", "risk_tail"):  # expected impact, and the tail
                ax = self.result.plot.risk_tornado(
                    measure="expected" if name == "risk_tornado" else "p90")
            elif name == "risk_removal":
                from ..plots import risk_removal

                ax = risk_removal(self.removal(), names={r.id: r.name or r.id
                                                         for r in self.scenario.risks})
            else:
                ax = getattr(self.result.plot, name)()
        self.figures[name] = ax.figure
        plt.close(ax.figure)  # kept for saving; the notebook displays the return value
        return ax.figure

    def summary(self) -> dict[str, Any]:
        """``summary.json``: the JSON contract, provenance and the report's extras.

        Returns
        -------
        dict
            ``SimulationResult.to_dict()`` with ``report`` and ``provenance``.
        """
        r = self.result
        t = r.primary_target
        weeks = r.percentiles(t.milestone, range(101)).to_numpy()
        flow = r.cash_flow("M")
        extras = {
            "headline": self.headline(),
            "label": self.scenario.name,
            "start_date": self.scenario.start_date.isoformat(),
            "finish_quantiles": {"milestone": t.milestone, "weeks": weeks.tolist()},
            "cost_quantiles": r.percentiles("cost", range(101)).tolist(),
            "cost_breakdown": r.cost_breakdown().to_dict(orient="records"),
            "cash_flow_monthly": [
                {"date": d.date().isoformat(), "p10": row.p10, "p50": row.p50, "p90": row.p90}
                for d, row in flow.iterrows()],
            "top_risks": [{"id": k, **v} for k, v in
                          self.top_risks().to_dict(orient="index").items()],
            "top_risks_p90": [{"id": k, **v} for k, v in
                              self.top_risks(by="p90").to_dict(orient="index").items()],
            "risk_removal": [{"k": int(k), **v} for k, v in
                             self.removal().to_dict(orient="index").items()],
            "role_names": self._role_names(),
            "modes": {"finish": r.modes(t.milestone),
                      "cost": r.modes("cost")},
            "reading": self.reading(),
            "plan_confidence": r.plan_confidence(),
            "cost_of_delay": r.cost_of_delay().to_dict(orient="index"),
            "cost_p5_p95": r.percentiles("cost", (5, 95)).tolist(),
            "assumptions": {k: v.to_dict(orient="records")
                            for k, v in self.assumptions().items()},
        }
        return {**r.to_dict(), "report": plain(extras), "provenance": self.provenance()}

    def save(self, folder: str | Path = ".") -> list[Path]:
        """Write ``summary.json`` and every figure (PNG) into ``folder``, each atomically.

        Parameters
        ----------
        folder : str or Path
            Created if needed.

        Returns
        -------
        list of Path
            ``summary.json``, then the figures in ``FIGURES`` order.
        """
        from functools import partial

        from .files import atomic_write, write_text_atomic

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name in FIGURES:
            if name not in self.figures:
                self.figure(name)
            path = folder / f"{name}.png"
            # "tight": long workstream names and titles are never cut at the edge
            atomic_write(path, partial(self.figures[name].savefig, dpi=110,
                                       bbox_inches="tight", pad_inches=0.15, format="png"))
            written.append(path)
        path = folder / "summary.json"
        write_text_atomic(path, json.dumps(self.summary(), indent=2, allow_nan=False) + "\n")
        return [path, *written]
