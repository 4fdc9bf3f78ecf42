"""Hardening of the people and consequences keys: ``risks[].when``, ``workstreams[]``
``not_before``/``skills``/``depends_on``, ``roles[]`` ``weekly_rate``/``capacity``/
``lead_time``, ``overhead[].weekly_cost``, ``correlations``, and the ``staffing`` change
(batch files, the what-if API, ``compare.cheapest_to_reach``).

``PROBES`` is the table of every hostile input tried and what must happen. Each scenario
probe goes through ``riskmodel validate``, ``check`` and ``simulate --json --output``:
exit 2, one line per problem naming the file and the key path, no traceback, nothing on
stdout, no output file, no input quoted at length, well within 20 seconds.
"""
from __future__ import annotations

import copy
import datetime as dt
import math
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from riskmodel import Scenario, ScenarioError, load_scenario
from riskmodel.cli import main
from tests.conftest import DEFAULT

LONG = "x" * 10_000
SECONDS = 20  # the most any probe may take

BASE = {
    "name": "people probes",
    "start_date": "2027-01-04",
    "audit_date": "2027-04-26",
    "roles": [
        {"id": "eng", "weekly_rate": {"dist": "triangular", "min": 4000, "mode": 5000,
                                      "max": 6000}, "capacity": 2, "lead_time": 2},
        {"id": "admin", "weekly_rate": 4000, "capacity": [{"from": "2027-01-04", "fte": 1},
                                                          {"from": "2027-02-01", "fte": 2}]},
    ],
    "workstreams": [
        {"id": "gap", "duration": {"dist": "pert", "min": 1, "mode": 2, "max": 3},
         "staffing": {"eng": 1}},
        {"id": "fix", "duration": {"dist": "triangular", "min": 2, "mode": 3, "max": 5},
         "depends_on": [{"id": "gap", "type": "SS", "lag": 1}], "staffing": {"eng": 1, "admin": 1},
         "skills": ["eng"], "not_before": "2027-01-18"},
        {"id": "test", "duration": 2, "depends_on": ["fix"], "staffing": {"admin": 0.5}},
    ],
    "risks": [
        {"id": "rework", "probability": 0.3, "affects": ["fix"], "delay": 1},
        {"id": "rebook", "probability": 1.0, "when": [{"late": "report", "by": 1}],
         "cost": 20000},
    ],
    "targets": [{"id": "report", "milestone": "test", "date": "2027-03-29"}],
    "correlations": [{"between": ["gap", "fix"], "rho": 0.3},
                     {"between": ["eng", "pm"], "rho": 0.2}],
    "fixed_costs": [{"id": "tool", "cost": {"dist": "uniform", "min": 1000, "max": 3000}}],
    "overhead": [{"id": "pm", "weekly_cost": {"dist": "uniform", "min": 1000, "max": 2000}}],
}
_DROP = object()


def edit(*changes) -> dict:
    """BASE with each (key path, value) set (``_DROP``: the key removed)."""
    data = copy.deepcopy(BASE)
    for path, value in changes:
        node = data
        for key in path[:-1]:
            node = node[key]
        if value is _DROP:
            del node[path[-1]]
        else:
            node[path[-1]] = copy.deepcopy(value)
    return data


def _periods(n: int, start: str = "2027-01-04", fte=lambda i: 2 if i % 7 in (5, 6) else 3):
    day = dt.date.fromisoformat(start)
    return [{"from": (day + dt.timedelta(days=i)).isoformat(), "fte": fte(i)} for i in range(n)]


def _chain(lag: float, n: int = 50) -> dict:
    data = edit()
    for i in range(n):
        data["workstreams"].append({"id": f"w{i}", "duration": 1, "depends_on": [
            {"id": data["workstreams"][-1]["id"], "lag": lag}]})
    return data


W = ("risks", 1, "when")
WS1 = ("workstreams", 1)
ROLE0, ROLE1 = ("roles", 0), ("roles", 1)
OVH = ("overhead", 0)
CORR = ("correlations",)
ONE_CORRELATION = (CORR, [{"between": ["gap", "fix"], "rho": 0.3}])
BASE_TEXT = yaml.safe_dump(BASE, sort_keys=False)

# (probe, scenario data or YAML text, what each error line holds: one entry per line)
SCENARIO_PROBES = [
    # -- risks[].when
    ("when-text", edit((W, "late")), ["risks[1].when: input should be a valid list"]),
    ("when-null", edit((W, None)), ["risks[1].when: input should be a valid list"]),
    ("when-mapping", edit((W, {"late": "report"})),
     ["risks[1].when: input should be a valid list"]),
    ("when-item-list", edit((W, [["late", "report"]])),
     ["risks[1].when[0]: input should be a valid dictionary"]),
    ("when-two-kinds", edit((W, [{"late": "report", "risk": "rework"}])),
     ["risks[1].when[0]: give exactly one of risk, not_risk, late or on_time (got risk, late)"]),
    ("when-risk-number", edit((W, [{"risk": 3}])), ["risks[1].when[0].risk: an id must be text, "
                                                    "got 3"]),
    ("when-risk-10000-chars", edit((W, [{"risk": LONG}])),
     ["risks[1].when[0].risk: '" + "x" * 80 + "' is not a valid id"]),
    ("when-risk-list-of-10000-chars", edit((W, [{"risk": [LONG]}])),
     ["risks[1].when[0].risk: an id must be text, got ['xxx"]),
    ("when-unknown-risk", edit((W, [{"not_risk": "rewrok"}])),
     ["risks[1].when[0]: unknown risk 'rewrok' (did you mean 'rework'?)"]),
    ("when-unknown-target", edit((W, [{"late": "reprot"}])),
     ["risks[1].when[0]: unknown target 'reprot' (did you mean 'report'?)"]),
    ("when-by-text", edit((W, [{"late": "report", "by": "two"}])),
     ["risks[1].when[0].by: input should be a valid number"]),
    ("when-by-true", edit((W, [{"late": "report", "by": True}])),
     ["risks[1].when[0].by: expected a number, got True"]),
    ("when-by-nan", edit((W, [{"late": "report", "by": math.nan}])),
     ["risks[1].when[0].by: expected a finite number, got nan"]),
    ("when-by-inf", edit((W, [{"on_time": "report", "by": math.inf}])),
     ["risks[1].when[0].by: expected a finite number, got inf"]),
    ("when-by-1e300", edit((W, [{"late": "report", "by": 1e300}])),  # was a traceback
     ["risks[1].when[0].by: input should be less than or equal to 10000 (got 1e+300)"]),
    ("when-by-negative", edit((W, [{"late": "report", "by": -1}])),
     ["risks[1].when[0].by: input should be greater than or equal to 0"]),
    ("when-by-10000-chars", edit((W, [{"late": "report", "by": LONG}])),
     ["risks[1].when[0].by: input should be a valid number"]),
    ("when-repeated", edit((W, [{"late": "report"}, {"late": "report"}])),
     ["risks[1].when[1]: repeats when[0] (if report is missed)"]),
    ("when-repeated-1000-times", edit((W, [{"not_risk": "rework"} for _ in range(1000)])),
     ["risks[1].when[1]: repeats when[0] (if rework does not occur)"]),
    ("when-contradiction", edit((W, [{"risk": "rework"}, {"not_risk": "rework"}])),
     ["risks[1].when[1]: contradicts when[0] (if rework occurs), so 'rebook' could never "
      "occur"]),
    ("when-late-and-on-time", edit((W, [{"late": "report", "by": 2},
                                        {"on_time": "report", "by": 1}])),
     ["risks[1].when[1]: contradicts when[0] (if report is missed by more than 2 weeks)"]),
    ("when-itself", edit((W, [{"risk": "rebook"}])),
     ["risks[1].when[0]: 'rebook' cannot depend on itself"]),
    ("when-loop", edit((W, [{"risk": "rework"}]), (("risks", 0, "when"), [{"risk": "rebook"}])),
     ["risks: risk conditions go round: rework -> rebook -> rework"]),
    ("when-delays-its-target", edit((("risks", 0, "when"), [{"late": "report"}])),
     ["risks[0].when[0]: 'rework' depends on 'report', which it delays"]),
    ("when-key-not-a-name", edit((W, [{"late": "report", LONG: 1}])),
     ["risks[1].when[0].?: an unknown key that is not a name"]),
    # -- workstreams[].not_before
    ("not-before-text", edit((WS1 + ("not_before",), "next week")),
     ["workstreams[1].not_before: expected an ISO date like 2027-03-01, got 'next week'"]),
    ("not-before-10000-chars", edit((WS1 + ("not_before",), LONG)),
     ["workstreams[1].not_before: expected an ISO date"]),
    ("not-before-list", edit((WS1 + ("not_before",), ["2027-01-18"])),
     ["workstreams[1].not_before: expected an ISO date"]),
    ("not-before-9999", edit((WS1 + ("not_before",), "9999-12-31")),
     ["workstreams[1].not_before: 9999-12-31 is out of range: dates go from 1970 to 2199"]),
    ("not-before-before-start", edit((WS1 + ("not_before",), "2026-01-01")),
     ["workstreams[1].not_before: 2026-01-01 is before start_date 2027-01-04"]),
    ("not-before-far-future", edit((WS1 + ("not_before",), "2199-12-31")),
     ["workstreams[1].not_before: 2199-12-31 is after the last target date 2027-04-26"]),
    # -- workstreams[].skills
    ("skills-text", edit((WS1 + ("skills",), "eng")),
     ["workstreams[1].skills: input should be a valid list"]),
    ("skills-null", edit((WS1 + ("skills",), None)),
     ["workstreams[1].skills: input should be a valid list"]),
    ("skills-unknown", edit((WS1 + ("skills",), ["engg"])),
     ["workstreams[1].skills[0]: unknown role 'engg' (did you mean 'eng'?)"]),
    ("skills-twice", edit((WS1 + ("skills",), ["eng", "eng"])),
     ["workstreams[1].skills[1]: 'eng' is listed twice"]),
    ("skills-10000-times", edit((WS1 + ("skills",), ["eng"] * 10_000)),
     ["workstreams[1].skills[1]: 'eng' is listed twice"]),
    ("skills-none-staffed", edit((WS1 + ("skills",), ["eng"]), (WS1 + ("staffing",), {"admin": 1})),
     ["workstreams[1].skills: 'fix' has none of its skills (eng) in its staffing, so no one "
      "staffed can do the work"]),
    ("skills-list-of-10000-chars", edit((WS1 + ("skills",), [[LONG]])),
     ["workstreams[1].skills[0]: an id must be text"]),
    # -- workstreams[].depends_on
    ("link-type-unknown", edit((WS1 + ("depends_on",), [{"id": "gap", "type": "XX"}])),
     ["workstreams[1].depends_on[0].type: input should be 'FS', 'SS', 'FF' or 'SF'"]),
    ("link-type-10000-chars", edit((WS1 + ("depends_on",), [{"id": "gap", "type": LONG}])),
     ["workstreams[1].depends_on[0].type: input should be 'FS', 'SS', 'FF' or 'SF'"]),
    ("link-lag-true", edit((WS1 + ("depends_on",), [{"id": "gap", "lag": True}])),
     ["workstreams[1].depends_on[0].lag: expected a number, got True"]),
    ("link-lag-nan", edit((WS1 + ("depends_on",), [{"id": "gap", "lag": math.nan}])),
     ["workstreams[1].depends_on[0].lag: expected a finite number, got nan"]),
    ("link-lag-1e300", edit((WS1 + ("depends_on",), [{"id": "gap", "lag": 1e300}])),  # check
     ["workstreams[1].depends_on[0].lag: input should be less than or equal to 10000"]),
    ("link-lead-1e308", edit((WS1 + ("depends_on",), [{"id": "gap", "type": "FF",
                                                       "lag": -1e308}])),
     ["workstreams[1].depends_on[0].lag: input should be greater than or equal to -10000"]),
    ("link-lag-10000-chars", edit((WS1 + ("depends_on",), [{"id": "gap", "lag": LONG}])),
     ["workstreams[1].depends_on[0].lag: input should be a valid number"]),
    ("link-item-list", edit((WS1 + ("depends_on",), [["gap", "SS"]])),
     ["workstreams[1].depends_on[0]: input should be a valid dictionary"]),
    ("link-twice", edit((WS1 + ("depends_on",), ["gap", {"id": "gap"}])),
     ["workstreams[1].depends_on[1]: 'gap' is listed twice"]),
    ("link-cycle", edit((WS1 + ("depends_on",), [{"id": "gap", "type": "SF"}]),
                        (("workstreams", 0, "depends_on"), [{"id": "fix", "type": "SS"}])),
     ["workstreams: dependency cycle: gap -> fix -> gap"]),
    ("lags-that-add-up", _chain(10_000),  # each lag allowed, the plan 500,000 weeks long
     ["workstreams: the plan finishes 500,057 weeks after start_date; the limit is 10,000 "
      "weeks"]),
    ("staffing-true", edit((("workstreams", 2, "staffing"), {"admin": True})),
     ["workstreams[2].staffing.admin: expected a number, got True"]),
    ("staffing-1e308", edit((("workstreams", 2, "staffing"), {"admin": 1e308})),
     ["workstreams[2].staffing.admin: input should be less than or equal to 10000"]),
    # -- roles[].weekly_rate
    ("rate-text", edit((ROLE0 + ("weekly_rate",), "lots")),
     ["roles[0].weekly_rate: expected a number or a mapping"]),
    ("rate-true", edit((ROLE0 + ("weekly_rate",), True)),
     ["roles[0].weekly_rate: expected a number or a distribution, got True"]),
    ("rate-nan", edit((ROLE0 + ("weekly_rate",), math.nan)),
     ["roles[0].weekly_rate: value must be a finite number"]),
    ("rate-negative-range", edit((ROLE0 + ("weekly_rate",), {"dist": "uniform", "min": -5,
                                                             "max": 2})),
     ["roles[0].weekly_rate: must not be negative"]),
    ("rate-1e308-range", edit((ROLE0 + ("weekly_rate",), {"dist": "uniform", "min": 1,
                                                          "max": 1e308})),
     ["roles[0].weekly_rate: 1e+308 is far too large; the limit is 1e+15"]),
    ("rate-lognormal-1e300", edit((ROLE0 + ("weekly_rate",), {"dist": "lognormal", "p10": 1,
                                                              "p90": 1e300})),
     ["roles[0].weekly_rate: 1e+300 is far too large; the limit is 1e+15"]),
    ("rate-distribution-10000-chars", edit((ROLE0 + ("weekly_rate",), {"dist": LONG})),
     ["roles[0].weekly_rate: unknown distribution 'xxx"]),
    ("rate-list-of-10000-chars", edit((ROLE0 + ("weekly_rate",), [LONG])),
     ["roles[0].weekly_rate: expected a number or a mapping"]),
    # -- roles[].capacity
    ("capacity-text", edit((ROLE0 + ("capacity",), "two")),
     ["roles[0].capacity: input should be a valid number"]),
    ("capacity-true", edit((ROLE0 + ("capacity",), True)),
     ["roles[0].capacity: expected a number of FTE or a list of periods like [{from: "
      "2027-01-04, fte: 1}], got True"]),
    ("capacity-mapping", edit((ROLE0 + ("capacity",), {"from": "2027-01-04", "fte": 1})),
     ["roles[0].capacity: expected a number of FTE or a list of periods"]),
    ("capacity-nan", edit((ROLE0 + ("capacity",), math.nan)),
     ["roles[0].capacity: expected a finite number, got nan"]),
    ("capacity-1e308", edit((ROLE0 + ("capacity",), 1e308)),
     ["roles[0].capacity: input should be less than or equal to 10000"]),
    ("capacity-negative", edit((ROLE0 + ("capacity",), -1)),
     ["roles[0].capacity: input should be greater than or equal to 0"]),
    ("capacity-zero", edit((ROLE0 + ("capacity",), 0)),
     ["workstreams[0].staffing.eng: 'gap' needs 1 FTE of eng, but roles[0].capacity has 0",
      "workstreams[1].staffing.eng: 'fix' needs 1 FTE of eng, but roles[0].capacity has 0"]),
    ("capacity-empty", edit((ROLE1 + ("capacity",), [])),
     ["roles[1].capacity: give a number of FTE or at least one period"]),
    ("capacity-out-of-order", edit((ROLE1 + ("capacity",), [{"from": "2027-02-01", "fte": 2},
                                                             {"from": "2027-01-04", "fte": 1}])),
     ["roles[1].capacity: periods must be in date order, one per date"]),
    ("capacity-one-date-twice", edit((ROLE1 + ("capacity",), [{"from": "2027-02-01", "fte": 2},
                                                               {"from": "2027-02-01", "fte": 1}])),
     ["roles[1].capacity: periods must be in date order, one per date"]),
    ("capacity-far-future", edit((ROLE1 + ("capacity",), [{"from": "2199-01-01", "fte": 2}])),
     ["workstreams[1].staffing.admin: 'fix' needs 1 FTE of admin, which roles[1].capacity has "
      "only from 2199-01-01 on, after the last target date 2027-04-26",
      "workstreams[2].staffing.admin: 'test' needs 0.5 FTE of admin, which roles[1].capacity "
      "has only from 2199-01-01 on"]),
    ("capacity-none-until-far-future", edit((ROLE1 + ("capacity",), [
        {"from": "2027-01-04", "fte": 0}, {"from": "2150-01-01", "fte": 2}])),
     ["workstreams[1].staffing.admin: 'fix' needs 1 FTE of admin, which roles[1].capacity has "
      "only from 2150-01-01 on",
      "workstreams[2].staffing.admin: 'test' needs 0.5 FTE of admin"]),
    ("capacity-list-of-numbers", edit((ROLE1 + ("capacity",), [1])),
     ["roles[1].capacity[0]: input should be a valid dictionary"]),
    ("capacity-fte-true", edit((ROLE1 + ("capacity",), [{"from": "2027-01-04", "fte": True}])),
     ["roles[1].capacity[0].fte: expected a number, got True"]),
    ("capacity-fte-nan", edit((ROLE1 + ("capacity",), [{"from": "2027-01-04", "fte": math.nan}])),
     ["roles[1].capacity[0].fte: expected a finite number, got nan"]),
    ("capacity-fte-negative", edit((ROLE1 + ("capacity",), [{"from": "2027-01-04", "fte": -1}])),
     ["roles[1].capacity[0].fte: input should be greater than or equal to 0"]),
    ("capacity-fte-1e308", edit((ROLE1 + ("capacity",), [{"from": "2027-01-04", "fte": 1e308}])),
     ["roles[1].capacity[0].fte: input should be less than or equal to 10000"]),
    ("capacity-from-10000-chars", edit((ROLE1 + ("capacity",), [{"from": LONG, "fte": 1}])),
     ["roles[1].capacity[0].from: expected an ISO date"]),
    ("capacity-period-unknown-key", edit((ROLE1 + ("capacity",), [
        {"from": "2027-01-04", "fte": 1, "to": "2027-02-01"}])),
     ["roles[1].capacity[0].to: unknown key 'to'"]),
    ("capacity-1001-periods", edit((ROLE1 + ("capacity",), _periods(1001))),
     ["roles[1].capacity: 1,001 periods; the limit is 1,000"]),
    # -- roles[].lead_time
    ("lead-time-text", edit((ROLE0 + ("lead_time",), "soon")),
     ["roles[0].lead_time: input should be a valid number"]),
    ("lead-time-true", edit((ROLE0 + ("lead_time",), True)),
     ["roles[0].lead_time: expected a number, got True"]),
    ("lead-time-null", edit((ROLE0 + ("lead_time",), None)),
     ["roles[0].lead_time: input should be a valid number"]),
    ("lead-time-nan", edit((ROLE0 + ("lead_time",), math.nan)),
     ["roles[0].lead_time: expected a finite number, got nan"]),
    ("lead-time-negative", edit((ROLE0 + ("lead_time",), -1)),
     ["roles[0].lead_time: input should be greater than or equal to 0"]),
    ("lead-time-1e300", edit((ROLE0 + ("lead_time",), 1e300)),
     ["roles[0].lead_time: input should be less than or equal to 10000"]),
    ("role-twice", edit((ROLE1 + ("id",), "eng")),
     ["roles[1].id: duplicate id 'eng' (also used by roles[0])",
      "workstreams[1].staffing.admin: unknown role 'admin'",
      "workstreams[2].staffing.admin: unknown role 'admin'"]),
    # -- overhead[].weekly_cost
    ("overhead-text", edit((OVH + ("weekly_cost",), "lots")),
     ["overhead[0].weekly_cost: expected a number or a mapping"]),
    ("overhead-true", edit((OVH + ("weekly_cost",), True)),
     ["overhead[0].weekly_cost: expected a number or a distribution, got True"]),
    ("overhead-nan", edit((OVH + ("weekly_cost",), math.nan)),
     ["overhead[0].weekly_cost: value must be a finite number"]),
    ("overhead-negative-range", edit((OVH + ("weekly_cost",), {"dist": "uniform", "min": -5,
                                                               "max": 2})),
     ["overhead[0].weekly_cost: must not be negative"]),
    ("overhead-1e308-range", edit((OVH + ("weekly_cost",), {"dist": "uniform", "min": 1,
                                                            "max": 1e308})),
     ["overhead[0].weekly_cost: 1e+308 is far too large; the limit is 1e+15"]),
    ("overhead-cost-and-staffing", edit((OVH + ("staffing",), {"eng": 1})),
     ["overhead[0]: give exactly one of weekly_cost or staffing"]),
    ("overhead-staffing-true", edit(ONE_CORRELATION, (OVH + ("weekly_cost",), _DROP),
                                    (OVH + ("staffing",), {"eng": True})),
     ["overhead[0].staffing.eng: expected a number, got True"]),
    # -- correlations
    ("correlation-unknown", edit((CORR + (0, "between"), ["gap", "fixx"])),
     ["correlations[0].between: unknown workstream, risk, role, fixed cost or overhead 'fixx' "
      "(did you mean 'fix'?)"]),
    ("correlation-itself", edit((CORR + (0, "between"), ["gap", "gap"])),
     ["correlations[0].between: an input cannot be correlated with itself ('gap')"]),
    ("correlation-twice", edit((CORR, [{"between": ["gap", "fix"], "rho": 0.3},
                                       {"between": ["fix", "gap"], "rho": 0.3}])),
     ["correlations[1].between: fix ~ gap is already given in correlations[0]"]),
    ("correlation-fixed-duration", edit((CORR + (0, "between"), ["test", "fix"])),
     ["correlations[0].between: 'test' has a fixed duration: nothing to correlate"]),
    ("correlation-fixed-rate", edit((CORR + (0, "between"), ["admin", "fix"])),
     ["correlations[0].between: 'admin' has a fixed weekly rate: nothing to correlate"]),
    ("correlation-risk-fixed-cost", edit((CORR + (0, "between"), ["rebook", "fix"])),
     ["correlations[0].between: 'rebook' has a fixed cost: nothing to correlate"]),
    ("correlation-staffed-overhead", edit((OVH + ("weekly_cost",), _DROP),
                                          (OVH + ("staffing",), {"eng": 1})),
     ["correlations[1].between: overhead 'pm' is priced by its staffing: correlate its roles' "
      "weekly rates instead"]),
    ("correlation-shared-id", edit((ROLE1 + ("id",), "gap"), (WS1 + ("staffing",), {"eng": 1}),
                                   (("workstreams", 2, "staffing"), {})),
     ["correlations[0].between: 'gap' is both a workstream and a role"]),
    ("correlation-target", edit((CORR + (0, "between"), ["report", "fix"])),
     ["correlations[0].between: unknown workstream, risk, role, fixed cost or overhead "
      "'report'"]),
    ("correlation-rho-true", edit((CORR + (0, "rho"), True)),
     ["correlations[0].rho: expected a number, got True"]),
    ("correlation-rho-nan", edit((CORR + (0, "rho"), math.nan)),
     ["correlations[0].rho: expected a finite number, got nan"]),
    ("correlation-rho-2", edit((CORR + (0, "rho"), 2)),
     ["correlations[0].rho: input should be less than or equal to 1"]),
    ("correlation-three", edit((CORR + (0, "between"), ["gap", "fix", "test"])),
     ["correlations[0].between: tuple should have at most 2 items"]),
    ("correlation-10000-chars", edit((CORR + (0, "between"), [[LONG], "fix"])),
     ["correlations[0].between[0]: an id must be text"]),
    ("correlation-inconsistent-strict", edit(
        (CORR, [{"between": ["gap", "fix"], "rho": 0.9}, {"between": ["fix", "eng"], "rho": 0.9},
                {"between": ["gap", "eng"], "rho": -0.9}]), (("simulation",), {"strict": True})),
     ["correlations: the correlations are inconsistent"]),
    ("probability-true", edit((("risks", 0, "probability"), True)),
     ["risks[0].probability: expected a number, got True"]),
    # -- YAML itself
    ("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: [*b, *b, *b, *b, *b, *b, *b, *b]\n" + BASE_TEXT,
     ["line 2, column 8: invalid YAML: anchors and aliases (*name) are not supported"]),
    ("duplicate-key", BASE_TEXT.replace("  capacity: 2\n", "  capacity: 2\n  capacity: 3\n"),
     ["invalid YAML: duplicate key 'capacity'"]),
]


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def _run(capsys, argv):
    t0 = time.perf_counter()
    code = main(argv)
    seconds = time.perf_counter() - t0
    cap = capsys.readouterr()
    return code, cap.out, cap.err.strip().splitlines(), seconds


def test_the_base_of_the_probes_is_valid(tmp_path, capsys):
    path = _write(tmp_path, BASE)
    for argv in (["validate", str(path)], ["check", str(path)],
                 ["simulate", str(path), "--iterations", "200", "--json"]):
        code, _, lines, _ = _run(capsys, argv)
        assert code == 0, lines
    assert BASE_TEXT.count("  capacity: 2\n") == 1  # what the duplicate-key probe edits


@pytest.mark.parametrize("case,data,expected", SCENARIO_PROBES,
                         ids=[c[0] for c in SCENARIO_PROBES])
def test_probe_is_one_sentence_per_problem(case, data, expected, tmp_path, capsys):
    path = _write(tmp_path, data)
    out = tmp_path / "out.json"
    for argv in (["validate", str(path)], ["check", str(path)],
                 ["simulate", str(path), "--iterations", "200", "--json", "--output", str(out)]):
        code, stdout, lines, seconds = _run(capsys, argv)
        assert code == 2, (argv[0], lines)
        assert stdout == "" and not out.exists()
        assert len(lines) == len(expected), (argv[0], lines)
        for line, part in zip(lines, expected):
            assert line.startswith(f"{path}: ") and part in line, (argv[0], line)
            assert "Traceback" not in line and len(line) < 400 and "x" * 100 not in line
        assert seconds < SECONDS, (argv[0], seconds)


# (probe, scenario data): valid, if extreme, and quick
VALID_PROBES = [
    ("when-empty", edit((W, []))),
    ("when-by-0", edit((W, [{"late": "report", "by": 0}]))),
    ("when-between-two-margins", edit((W, [{"late": "report", "by": 1},
                                           {"on_time": "report", "by": 2}]))),
    ("lead-of-5-weeks", edit((WS1 + ("depends_on",), [{"id": "gap", "lag": -5}]))),
    ("capacity-from-1970", edit((ROLE1 + ("capacity",), [{"from": "1970-01-01", "fte": 2}]))),
    ("skills-one-unstaffed", edit((WS1 + ("skills",), ["eng", "admin"]),
                                  (WS1 + ("staffing",), {"eng": 1}))),
    ("capacity-1000-periods", edit((ROLE1 + ("capacity",), _periods(1000)))),
    ("capacity-every-day-for-a-year-people-wait", edit(
        (("workstreams", 0, "staffing"), {"eng": 1, "admin": 1}),
        (ROLE1 + ("capacity",), _periods(365, fte=lambda i: 1 if i % 7 in (5, 6) else 2)))),
]


@pytest.mark.parametrize("case,data", VALID_PROBES, ids=[c[0] for c in VALID_PROBES])
def test_valid_extremes_run_quickly(case, data, tmp_path, capsys):
    path = _write(tmp_path, data)
    for argv in (["validate", str(path)], ["check", str(path)],
                 ["simulate", str(path), "--iterations", "20000", "--json"]):
        code, _, lines, seconds = _run(capsys, argv)
        assert code == 0, (argv[0], lines)
        assert seconds < SECONDS, (argv[0], seconds)


def test_equal_capacity_periods_are_one_step():
    data = edit((ROLE1 + ("capacity",), _periods(365, fte=lambda i: 2)))
    role = Scenario.from_dict(data).roles[1]
    assert role.capacity_steps() == [(None, 0.0), (dt.date(2027, 1, 4), 2.0)]
    assert len(role.capacity) == 365  # the file is kept as written


# -- the staffing change: the what-if API, batch files' changes, cheapest_to_reach -------------
W_ID, ROLE = "sf_permissions", "sf_developer_contract"


def _move(**more):
    return {"workstream": W_ID, "staffing": {ROLE: 2.0}, **more}


# (probe, change_staffing arguments, the one line, whether a batch file can tell beforehand)
STAFFING_PROBES = [
    ("arrives-negative", _move(arrives=-3),
     "changes[0].staffing.arrives: expected a number from 0 to 10,000 (weeks), got -3", True),
    ("arrives-nan", _move(arrives=math.nan), "changes[0].staffing.arrives: expected a number",
     True),
    ("arrives-1e300", _move(arrives=1e300), "changes[0].staffing.arrives: expected a number "
                                            "from 0 to 10,000 (weeks), got 1e+300", True),
    ("arrives-text", _move(arrives="3"), "changes[0].staffing.arrives: expected a number", True),
    ("arrives-true", _move(arrives=True), "changes[0].staffing.arrives: expected a number", True),
    ("onboarding-1e300", _move(onboarding=1e300), "changes[0].staffing.onboarding: expected a "
                                                  "number from 0 to 10,000 (weeks)", True),
    ("onboarding-negative", _move(onboarding=-1), "changes[0].staffing.onboarding: expected",
     True),
    ("elasticity-1e300", _move(elasticity=1e300), "changes[0].staffing.elasticity: expected a "
                                                  "number from 0 to 1, got 1e+300", True),
    ("floor-2", _move(floor=2), "changes[0].staffing.floor: expected a number from 0 to 1, "
                                "got 2", True),
    ("floor-1e300", _move(floor=1e300), "changes[0].staffing.floor: expected a number from 0 "
                                        "to 1", True),
    ("hire-text", _move(hire="yes"), "changes[0].staffing.hire: expected true or false, got "
                                     "'yes'", True),
    ("fte-1e308", _move(staffing={ROLE: 1e308}), "changes[0].staffing.staffing."
     "sf_developer_contract: expected a number of FTE from 0 to 10,000, got 1e+308", True),
    ("fte-negative", _move(staffing={ROLE: -1}), "changes[0].staffing.staffing."
     "sf_developer_contract: expected a number of FTE", True),
    ("fte-true", _move(staffing={ROLE: True}), "changes[0].staffing.staffing."
     "sf_developer_contract: expected a number of FTE", True),
    ("fte-null", _move(staffing={ROLE: None}), "changes[0].staffing.staffing."
     "sf_developer_contract: expected a number of FTE", True),
    ("staffing-list", _move(staffing=[ROLE]), "changes[0].staffing.staffing: expected a mapping "
                                              "of roles to FTE", True),
    ("staffing-empty", _move(staffing={}), "changes[0].staffing.staffing: expected a mapping "
                                           "of roles to FTE", True),
    ("staffing-10000-chars", _move(staffing=LONG), "changes[0].staffing.staffing: expected a "
                                                   "mapping", True),
    ("role-10000-chars", _move(staffing={LONG: 2}), "changes[0].staffing.staffing: expected "
                                                    "role ids as keys", True),
    ("workstream-10000-chars", _move(workstream=LONG), "changes[0].staffing.workstream: "
                                                       "expected a workstream id", True),
    ("workstream-list", _move(workstream=[W_ID]), "changes[0].staffing.workstream: expected a "
                                                  "workstream id, got ['sf_permissions']", True),
    ("unknown-argument", _move(lead_time=1), "changes[0].staffing: unknown argument 'lead_time'; "
                                             "it takes workstream, staffing", True),
    ("argument-10000-chars", _move(**{LONG: 1}), "changes[0].staffing: unknown argument (a key "
                                                 "that is not a name)", True),
    ("missing-workstream", {"staffing": {ROLE: 2}}, "changes[0].staffing: missing argument "
                                                    "'workstream'", True),
    ("unknown-workstream", _move(workstream="sf_perms"), "changes[0].staffing.workstream: "
     "unknown workstream 'sf_perms' (did you mean 'sf_permissions'?)", False),
    ("role-cannot-do-it", _move(staffing={"program_manager": 1}), "changes[0].staffing.staffing."
     "program_manager: 'program_manager' cannot do the work of 'sf_permissions'", False),
    ("nobody-left", _move(staffing={ROLE: 0, "sf_architect": 0}), "changes[0].staffing.staffing: "
     "'sf_permissions' needs someone who can do the work before and after", False),
    ("beyond-capacity-without-hiring", _move(staffing={ROLE: 5}, hire=False),
     "changes[0].staffing: workstreams[1].staffing.sf_developer_contract: 'sf_permissions' "
     "needs 5 FTE of sf_developer_contract, but roles[4].capacity has 1.5", False),
]


@pytest.fixture(scope="module")
def default():
    return load_scenario(DEFAULT)


@pytest.mark.parametrize("case,args,line,static", STAFFING_PROBES,
                         ids=[c[0] for c in STAFFING_PROBES])
def test_a_bad_staffing_change_is_one_sentence(case, args, line, static, default):
    from riskmodel.scenario.changes import apply_changes, check_changes

    with pytest.raises(ScenarioError) as info:
        apply_changes(default, [{"staffing": args}])
    assert info.value.lines == [line] or (len(info.value.lines) == 1
                                          and info.value.lines[0].startswith(line))
    assert len(str(info.value)) < 400
    found = [str(p) for p in check_changes([{"staffing": args}])]
    assert found == (info.value.lines if static else [])


def test_the_what_if_api_names_the_argument(default):
    from riskmodel.scenario.changes import change_staffing

    with pytest.raises(ScenarioError) as info:
        change_staffing(default, W_ID, {ROLE: 2}, arrives=-3)
    assert info.value.lines == ["change_staffing: arrives: expected a number from 0 to 10,000 "
                                "(weeks), got -3"]
    fewer = change_staffing(default, W_ID, {ROLE: 0})  # fte 0 removes the role
    assert ROLE not in fewer.workstream(W_ID).staffing


@pytest.mark.parametrize("changes,line", [
    ("x" * 10_000, "changes: expected a list of changes like"),
    ({"staffing": {}}, "changes: expected a list of changes like"),
    ([{"staffing": 3}], "changes[0].staffing: expected a mapping of arguments, got 3"),
    ([{LONG: {}}], "changes[0]: unknown change (a key that is not a name); known: move_dates"),
    ([{"staffing": {}, "mitigate": {}}], "changes[0]: expected one change like"),
])
def test_a_bad_list_of_changes_is_one_sentence(changes, line, default):
    from riskmodel.scenario.changes import apply_changes, check_changes

    with pytest.raises(ScenarioError) as info:
        apply_changes(default, changes)
    assert len(info.value.lines) == 1 and info.value.lines[0].startswith(line)
    assert "x" * 100 not in str(info.value)
    assert [str(p) for p in check_changes(changes)] == info.value.lines


def test_check_changes_names_each_bad_change_where_the_batch_has_it():
    from riskmodel.scenario.changes import check_changes

    found = check_changes([{"staffing": _move()}, {"staffing": _move(arrives=-1)},
                           {"mitigate": 3}], where="scenarios[2].changes")
    assert [str(p) for p in found] == [
        "scenarios[2].changes[1].staffing.arrives: expected a number from 0 to 10,000 (weeks), "
        "got -1",
        "scenarios[2].changes[2].mitigate: expected a mapping of arguments, got 3"]
    assert [p.where for p in found] == ["scenarios[2].changes[1].staffing.arrives",
                                        "scenarios[2].changes[2].mitigate"]


def test_cheapest_to_reach_names_the_bad_move(default):
    from riskmodel.compare import cheapest_to_reach

    with pytest.raises(ScenarioError) as info:
        cheapest_to_reach(default, moves={"a": _move(arrives=-1)}, budget=400_000,
                          iterations=200)
    assert info.value.lines == ["staffing option 'a': changes[0].staffing.arrives: expected a "
                                "number from 0 to 10,000 (weeks), got -1"]


def _batch(tmp_path: Path, arrives) -> Path:
    path = tmp_path / "batch.yaml"
    path.write_text(textwrap.dedent(f"""
        name: people
        iterations: 200
        scenarios:
          - name: bad
            scenario: {DEFAULT}
            changes:
              - staffing: {{workstream: {W_ID}, staffing: {{{ROLE}: 2.0}}, arrives: {arrives}}}
        """))
    return path


@pytest.mark.slow
def test_a_bad_change_in_a_batch_is_refused_before_anything_runs(tmp_path, capsys):
    for arrives, shown in (("1.0e+300", "1e+300"), (-3, "-3")):
        path = _batch(tmp_path, arrives)
        code = main(["batch", str(path), "--output", str(tmp_path / "out"), "--quiet"])
        lines = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and lines == [
            f"{path}: scenarios[0].changes[0].staffing.arrives: expected a number from 0 to "
            f"10,000 (weeks), got {shown}"]
        assert not (tmp_path / "out").exists()
