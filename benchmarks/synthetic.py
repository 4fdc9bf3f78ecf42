"""A seeded synthetic programme: 200 workstreams, ~400 links, risks, correlation, costs."""
from __future__ import annotations

import numpy as np

from riskmodel import Scenario


def synthetic_scenario(n_ws: int = 200, links: int = 400, n_risks: int = 30,
                       n_corr: int = 10, seed: int = 42,
                       capacity: float | None = None) -> Scenario:
    """A random layered network whose every workstream depends on earlier ones only;
    with ``capacity``, each of its 10 roles has that many FTE (levelling)."""
    rng = np.random.default_rng(seed)
    roles = [{"id": f"role{i}", "weekly_rate": float(rng.integers(2000, 8000))}
             for i in range(10)]
    if capacity is not None:
        for role in roles:
            role["capacity"] = capacity
    preds: list[set[int]] = [set() for _ in range(n_ws)]
    while sum(len(p) for p in preds) < links:
        j = int(rng.integers(1, n_ws))
        preds[j].add(int(rng.integers(max(0, j - 20), j)))
    workstreams = []
    for j in range(n_ws):
        a = float(rng.uniform(0.5, 2.0))
        m = a + float(rng.uniform(0.2, 1.5))
        b = m + float(rng.uniform(0.5, 3.0))
        dist = "pert" if j % 2 else "triangular"
        workstreams.append({
            "id": f"ws{j:03d}", "duration": {"dist": dist, "min": a, "mode": m, "max": b},
            "depends_on": [f"ws{p:03d}" for p in sorted(preds[j])],
            "staffing": {f"role{int(rng.integers(10))}": 1.0},
        })
    risks = [{"id": f"risk{i:02d}", "probability": float(rng.uniform(0.05, 0.4)),
              "affects": [f"ws{int(k):03d}" for k in rng.choice(n_ws, 2, replace=False)],
              "delay": {"dist": "triangular", "min": 0.5, "mode": 1, "max": 2},
              "cost": float(rng.integers(1000, 20000))} for i in range(n_risks)]
    corr = [{"between": [f"ws{2 * i:03d}", f"ws{2 * i + 1:03d}"], "rho": 0.5}
            for i in range(n_corr)]
    return Scenario.from_dict({
        "name": f"synthetic {n_ws} workstreams", "start_date": "2027-01-04",
        "audit_date": "2027-12-27", "roles": roles, "workstreams": workstreams,
        "risks": risks, "correlations": corr,
        "fixed_costs": [{"id": "fee", "cost": {"dist": "uniform", "min": 1e4, "max": 5e4}}],
        "overhead": [{"id": "pmo", "weekly_cost": 5000}], "simulation": {"seed": 1}})


YARDSTICK_CHUNK = 16_384
"""Iterations per chunk of the yardstick: 16k keeps a chunk's arrays near the cache, as
the engine's blocks do (65,536 until 2026-11-30: a slower yardstick)."""


def yardstick(scenario: Scenario, iterations: int, chunk: int = YARDSTICK_CHUNK,
              seed: int = 0) -> float:
    """The bare numpy forward pass: triangular durations, topological order, max + add.

    Returns the mean finish (so the work cannot be optimised away).
    """
    from riskmodel.sim.network import topological_order

    index = {w.id: j for j, w in enumerate(scenario.workstreams)}
    preds = [[index[d.id] for d in w.depends_on] for w in scenario.workstreams]
    order = topological_order(preds)
    lo = np.array([w.duration.support[0] for w in scenario.workstreams])[:, None]
    hi = np.array([w.duration.support[1] for w in scenario.workstreams])[:, None]
    mode = np.array([w.duration.plan_value for w in scenario.workstreams])[:, None]
    rng = np.random.default_rng(seed)
    total = 0.0
    for start in range(0, iterations, chunk):
        n = min(chunk, iterations - start)
        u = rng.random((len(preds), n))
        fc = (mode - lo) / (hi - lo)
        dur = np.where(u < fc, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                       hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))
        finish = np.empty_like(dur)
        for j in order:
            start_t = np.zeros(n)
            for p in preds[j]:
                np.maximum(start_t, finish[p], out=start_t)
            finish[j] = start_t + dur[j]
        total += finish.max(axis=0).sum()
    return total / iterations
