"""The NumPy backend gives the compiled loops' numbers bit for bit, kernel by kernel and
for whole simulations of the shipped scenarios; and the backend is chosen as documented.

Equal means the same 64 bits (NaN: NaN on both sides), never "close".
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from riskmodel.sim import kernels
from riskmodel.sim.network import WorkCalendar
from riskmodel.sim.pert import Pert, _pert_rows
from riskmodel.sim.random import as_seed_sequence, stream_keys

ROOT = Path(__file__).resolve().parents[2]
# subprocesses import the riskmodel this process runs (the installed wheel, or the tree)
HOME = str(Path(__import__("riskmodel").__file__).resolve().parents[1])
SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))

needs_compiled = pytest.mark.skipif("compiled" not in kernels.available_backends(),
                                    reason="the compiled loops are not built")


def identical(a, b) -> None:
    """Same shape, same bits; NaN equals NaN (whatever its payload)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        assert np.array_equal(nan, np.isnan(b)), "NaN in different places"
        a, b = np.where(nan, 0.0, a), np.where(nan, 0.0, b)
        bits = a.view(np.uint64) != b.view(np.uint64)
        assert not bits.any(), (f"{bits.sum()} of {a.size} differ, first at "
                                f"{np.argwhere(bits)[0]}: {a[bits][0]!r} vs {b[bits][0]!r}")
    else:
        assert np.array_equal(a, b)


def both(call):
    """``call()`` on the compiled backend, then on NumPy; both results."""
    with kernels.using("compiled"):
        first = call()
    with kernels.using("numpy"):
        second = call()
    return first, second


def run_both(fn, *inputs, out_like, **kw):
    """``fn(*inputs, out, **kw)`` on each backend with a fresh ``out``: (outs, returns)."""
    outs, rets = [], []
    for backend in kernels.BACKENDS:
        out = np.full_like(out_like, 12345.0) if out_like.dtype.kind == "f" else np.zeros_like(
            out_like)
        with kernels.using(backend):
            rets.append(fn(*inputs, out, **kw))
        outs.append(out)
    return outs, rets


pytestmark = needs_compiled


# ---- random numbers -------------------------------------------------------------------------

def test_philox_on_many_counters_and_keys():
    rng = np.random.default_rng(1)
    words = rng.integers(0, 2**32, size=(500, 6), dtype=np.uint64).tolist()
    words += [[0] * 6, [2**32 - 1] * 6, [2**32 - 1, 0, 2**32 - 1, 0, 1, 2**32 - 1]]
    for w in words:
        a, b = both(lambda w=w: kernels.philox4x32(w[:4], w[4:]))
        assert a == b


@pytest.mark.parametrize("latin", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 1000, 8191, 8192, 8193, 20_000])
def test_uniform_rows(n, latin):
    keys = stream_keys(as_seed_sequence(11), [f"k{i}" for i in range(9)])
    keys[0] = [0, 0]
    keys[1] = [2**32 - 1, 2**32 - 1]
    keys[2] += np.uint64(2**40)  # only the low 32 bits of a key word count, in both
    for block in (0, 1, 77, 2**32 - 1, 2**32, 2**40 + 3):
        (a, b), rets = run_both(kernels.uniform_rows, keys, block, latin,
                                out_like=np.empty((9, n)))
        identical(a, b)
        assert rets == [None, None]
        assert (a >= 0).all() and (a < 1).all()
        if latin:
            assert (np.sort(np.floor(a * n), axis=1) == np.arange(n)).all()


def test_uniform_rows_with_no_rows_or_no_iterations():
    keys = stream_keys(as_seed_sequence(1), ["a", "b"])
    for shape in ((2, 0), (0, 5)):
        k = keys[:shape[0]]
        (a, b), _ = run_both(kernels.uniform_rows, k, 3, True, out_like=np.empty(shape))
        identical(a, b)


# ---- inverse CDFs ---------------------------------------------------------------------------

def test_triangular_rows_including_degenerate_shapes_and_the_mode():
    rng = np.random.default_rng(2)
    k, n = 40, 5000
    lo = rng.uniform(-5, 5, k)
    mode = lo + rng.uniform(0, 3, k)
    hi = mode + rng.uniform(0, 3, k)
    mode[:3], hi[3:6] = lo[:3], mode[3:6]          # mode at min, mode at max
    mode[6] = hi[6] = lo[6]                        # a point: split is 0/0 = NaN
    u = rng.random((k, n))
    u[:, :6] = [0.0, 1e-300, 0.5, 1 - 2**-53, 1e-17, 1 - 1e-12]
    split = (mode - lo) / np.where(hi > lo, hi - lo, 1)
    u[:, 6] = split                                 # exactly at the mode
    u[:, 7] = np.nextafter(split, 0)
    (a, b), _ = run_both(kernels.triangular_rows, lo, mode, hi, u, out_like=u)
    identical(a, b)
    # into other rows of a bigger array (the engine's use), a row repeated
    dest = rng.permutation(k + 5)[:k].astype(np.int64)
    dest[-1] = dest[0]
    (a, b), _ = run_both(kernels.triangular_rows, lo, mode, hi, u,
                         out_like=np.empty((k + 5, n)), rows=dest)
    identical(a, b)


def test_cubic_rows_inside_beyond_and_at_the_edges():
    rng = np.random.default_rng(3)
    last, tables = 50, 4
    coef = rng.normal(size=(tables * (last + 1), 4))
    x = rng.uniform(-1, 7, 30_000)
    x[:8] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, 2.0 + 51 * 0.1, 1e300]
    table = rng.integers(0, tables, x.size).astype(np.int64)
    (a, b), _ = run_both(kernels.cubic_rows, coef, 2.0, 10.0, last, x, table, out_like=x)
    identical(a, b)


PERT_SHAPES = [(0, 1, 10, 4.0), (0, 9, 10, 4.0), (0, 5, 10, 4.0), (0, 0.2, 10, 50.0),
               (3, 3.5, 9, 1.0), (0, 0, 1, 4.0), (2, 8, 8, 0.5)]


def _pert_uniforms(rows, n, seed):
    rng = np.random.default_rng(seed)
    u = rng.random((rows, n))
    tail = Pert.TAIL
    specials = [0.0, 1e-300, 1e-17, math.exp(Pert.LOG_FLOOR), 2.4e-16, 1e-12, 1e-9,
                tail, np.nextafter(tail, 0), np.nextafter(tail, 1), 1 - tail,
                np.nextafter(1 - tail, 0), np.nextafter(1 - tail, 1), 0.5,
                1 - 1e-9, 1 - 1e-12, 1 - 2**-52, 1 - 2**-53]
    u[:, :len(specials)] = specials
    # many points in both tails, where the logs are taken
    m = n // 4
    u[:, -m:] = np.exp(rng.uniform(-40, math.log(tail), (rows, m)))
    u[:, -2 * m:-m] = 1 - np.exp(rng.uniform(-37, math.log(tail), (rows, m)))
    return u


def test_pert_rows_central_tails_and_beyond_the_tables():
    dists = [Pert(**{"min": a, "mode": c, "max": b, "lambda": lam}) for a, c, b, lam in
             PERT_SHAPES]
    u = _pert_uniforms(len(dists), 20_000, 4)
    a, b = both(lambda: _pert_rows(dists, u))
    identical(a, b)
    # the kernel itself, NaN beyond the floor and the count of them
    central, lower, upper = (np.concatenate([d._tables[i].coef for d in dists])
                             for i in range(3))
    c_grid, t_grid = dists[0]._tables[0].grid, dists[0]._tables[1].grid
    lo = np.array([d.min for d in dists], dtype=float)
    hi = np.array([d.max for d in dists], dtype=float)
    (a, b), (na, nb) = run_both(kernels.pert_rows, central, lower, upper, c_grid, t_grid,
                                Pert.TAIL, math.exp(Pert.LOG_FLOOR), lo, hi, u, out_like=u)
    identical(a, b)
    assert na == nb == np.isnan(a).sum() > 0


# ---- risks, sums, copula ----------------------------------------------------------------

def test_apply_risks_factors_then_delays_repeated_targets_too():
    rng = np.random.default_rng(5)
    m, n, risks = 12, 3000, 9
    base = rng.uniform(0, 5, (m, n))
    base[0, :3] = [-0.0, 0.0, np.inf]
    fired = rng.random((risks, n)) < 0.3
    impact = rng.uniform(-1, 3, (risks, n))
    impact[0, :2] = [np.nan, -0.0]
    kind = np.array([1, 2, 1, 2, 2, 1, 1, 2, 3], dtype=np.int64)  # kind 3: ignored by both
    first = np.array([0, 2, 3, 6, 6, 8, 9, 11, 12, 14], dtype=np.int64)
    node = np.array([0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11], dtype=np.int64)
    node[4] = 2  # a workstream twice under one risk
    (a, b), _ = run_both(kernels.apply_risks, base, fired, impact, kind, first, node,
                         out_like=base)
    identical(a, b)


def test_weighted_sum():
    rng = np.random.default_rng(6)
    w, x = rng.normal(size=57), rng.normal(size=(57, 4001))
    x[3, :4] = [-0.0, np.inf, np.nan, 1e308]
    w[10] = -0.0
    (a, b), _ = run_both(kernels.weighted_sum, w, x, out_like=np.empty(4001))
    identical(a, b)
    (a, b), _ = run_both(kernels.weighted_sum, -np.ones(2), np.zeros((2, 3)),
                         out_like=np.empty(3))   # 0 + (-0) + (-0): +0 on both
    identical(a, b)


def test_fte_by_week():
    """The FTE in use each week, bit for bit: edges on whole weeks, at 0 and -0.0, before
    0, past the last week, several workstreams adding to the same weeks in turn, and
    the running sum's last bits set to 0."""
    rng = np.random.default_rng(8)
    m, n = 12, 5001
    start = rng.uniform(-1.5, 14, (m, n))
    finish = start + rng.uniform(0, 9, (m, n))
    start[0, :6] = [0.0, -0.0, -2.0, 3.0, 13.999999999999998, 1e-300]
    finish[1, :3] = [25.0, 15.0, 14.0]
    start[:, 7::7] = np.floor(start[:, 7::7])  # on whole weeks
    finish[:, 3::7] = np.ceil(finish[:, 3::7])
    fte = rng.uniform(0.1, 3, m)
    fte[5] = 0.0
    rows = np.array([0, 3, 1, 7, 11, 2, 9])
    (a, b), _ = run_both(kernels.fte_by_week, start, finish, rows, fte, 0, 15,
                         1e-12 * fte[rows].sum(), out_like=np.empty((17, n)))
    identical(a, b)
    start, finish = np.maximum(start, 0.0) + 2, np.maximum(finish, 0.0) + 2  # weeks 2 to 9
    (a, b), _ = run_both(kernels.fte_by_week, start, finish, rows, fte, 2, 9, 0.3,
                         out_like=np.empty((9, n)))
    identical(a, b)


def test_gaussian_copula_central_tails_and_clamps():
    rng = np.random.default_rng(7)
    k, n = 8, 40_000
    factor = np.linalg.cholesky(np.corrcoef(rng.normal(size=(k, 3 * k))))
    u = rng.random((k, n))
    specials = [0.0, 1e-300, 1e-20, 2.2e-16, 1e-9, math.exp(-25), np.nextafter(
        math.exp(-25), 1), 0.075, 0.5 - 0.425, np.nextafter(0.075, 1), 0.5, 0.925,
        1 - 1e-9, 1 - 2**-52, 1 - 2**-53, 1.0]
    u[:, :len(specials)] = specials
    u[:, -5000:] = np.exp(rng.uniform(-36, -2, (k, 5000)))          # lower tail
    u[:, -10000:-5000] = 1 - np.exp(rng.uniform(-36, -2, (k, 5000)))  # upper tail
    (a, b), _ = run_both(kernels.gaussian_copula, u, factor, out_like=u)
    identical(a, b)
    (a, b), _ = run_both(kernels.gaussian_copula, u, np.eye(k), out_like=u)
    identical(a, b)
    # the scores a Latin hypercube reorders by: the mixed normals, whose CDF is the above
    (scores, other), _ = run_both(kernels.gaussian_copula, u, factor, out_like=u,
                                  uniform=False)
    identical(scores, other)
    (uniform, _), _ = run_both(kernels.gaussian_copula, u, factor, out_like=u)
    identical(np.vectorize(lambda x: 0.5 * math.erfc(-x / math.sqrt(2)))(scores), uniform)


# ---- calendar and network ------------------------------------------------------------------

CALENDARS = [WorkCalendar.from_blackouts([(2.0, 4.0, 0.25), (6.0, 6.5, 0.0)]),
             WorkCalendar.from_blackouts([(0.0, 1.0, 0.0), (1.0, 3.0, 0.5), (5, 5.25, 0.1),
                                          (10.0, 12.0, 0.0), (11.0, 30.0, 0.8)])]


@pytest.mark.parametrize("cal", CALENDARS)
def test_calendar_functions_at_knots_flats_and_beyond(cal):
    rng = np.random.default_rng(8)
    kt, kw = cal.knots_t, cal.knots_w
    x = np.concatenate([rng.uniform(-2, 40, 20_000), kt, kw, np.nextafter(kt, -1),
                        np.nextafter(kw, np.inf), [0.0, -0.0, -1.0, 1e7, np.inf, -np.inf,
                                                   np.nan]])
    for fn in (kernels.calendar_work, kernels.calendar_time):
        (a, b), _ = run_both(fn, kt, kw, x, out_like=x)
        identical(a, b)


def _network(m, rng, typed=False):
    """A random DAG in CSR form (predecessors and successors), lags of both signs, link
    types FS only or (``typed``) all four (0 FS, 1 SS, 2 FF, 3 SF)."""
    preds = [sorted(set(rng.integers(0, j, rng.integers(0, 4)).tolist())) if j else []
             for j in range(m)]
    lags = [rng.choice([0.0, 0.5, -0.25, 1.0], len(p)).tolist() for p in preds]
    types = [(rng.integers(0, 4, len(p)) if typed else np.zeros(len(p), int)).tolist()
             for p in preds]
    succs = [[] for _ in range(m)]
    succ_lags = [[] for _ in range(m)]
    succ_types = [[] for _ in range(m)]
    for j, (p, g, t) in enumerate(zip(preds, lags, types)):
        for i, lag, kind in zip(p, g, t):
            succs[i].append(j)
            succ_lags[i].append(lag)
            succ_types[i].append(kind)

    def csr(links, gaps, kinds):
        first = np.zeros(m + 1, dtype=np.int64)
        first[1:] = np.cumsum([len(x) for x in links])
        return (first, np.array([i for x in links for i in x], dtype=np.int64),
                np.array([g for x in gaps for g in x], dtype=float),
                np.array([k for x in kinds for k in x], dtype=np.int64))

    return csr(preds, lags, types), csr(succs, succ_lags, succ_types)


@pytest.mark.parametrize("typed", [False, True], ids=["FS", "typed"])
@pytest.mark.parametrize("cal", [None, *CALENDARS])
def test_start_forward_and_critical_rows(cal, typed):
    rng = np.random.default_rng(9)
    m, n = 60, 6000
    (first, pred, lag, kind), (sfirst, succ, slag, skind) = _network(m, rng, typed)
    assert (np.unique(kind).size == 4) == typed
    order = np.arange(m, dtype=np.int64)
    duration = rng.uniform(0, 4, (m, n))
    duration[:, :3] = [0.0, -0.0, 1e-300]
    earliest = np.where(rng.random(m) < 0.2, rng.uniform(-1, 5, m), np.nan)
    pinned = np.where(rng.random(m) < 0.1, rng.uniform(0, 5, m), np.nan)
    kt, kw = (np.empty(0), np.empty(0)) if cal is None else (cal.knots_t, cal.knots_w)
    (fa, fb), _ = run_both(kernels.forward_rows, duration, order, first, pred, lag, kind,
                           earliest, pinned, kt, kw, out_like=duration)
    identical(fa, fb)
    (sa, sb), _ = run_both(kernels.start_rows, fa, duration, order, first, pred, lag, kind,
                           earliest, pinned, kt, kw, out_like=duration)
    identical(sa, sb)
    end = fa.max(axis=0)
    for rtol in (0.0, 1e-9, 1e-3):
        outs = []
        for backend in kernels.BACKENDS:
            late, crit = np.empty_like(duration), np.zeros(duration.shape, dtype=bool)
            with kernels.using(backend):
                kernels.critical_rows(duration, fa, end, order, sfirst, succ, slag, skind,
                                      kt, kw, rtol, late, crit)
            outs.append((late, crit))
        identical(outs[0][0], outs[1][0])
        identical(outs[0][1], outs[1][1])
        assert outs[0][1].any()


@pytest.mark.parametrize("cal", [None, *CALENDARS])
def test_reschedule_cols_equals_a_whole_forward_pass(cal):
    # the risk-off kernels read the block in place: on both backends, a sub-network
    # scheduled again at some iterations equals forward_rows over the whole network there
    rng = np.random.default_rng(10)
    m, n = 60, 3000
    (first, pred, lag, kind), _ = _network(m, rng)
    order = np.arange(m, dtype=np.int64)
    duration = rng.uniform(0, 4, (m, n))
    earliest = np.where(rng.random(m) < 0.2, rng.uniform(-1, 5, m), np.nan)
    pinned = np.where(rng.random(m) < 0.1, rng.uniform(0, 5, m), np.nan)
    kt, kw = (np.empty(0), np.empty(0)) if cal is None else (cal.knots_t, cal.knots_w)
    finish = np.empty_like(duration)
    kernels.forward_rows(duration, order, first, pred, lag, kind, earliest, pinned, kt, kw,
                         finish)
    hit = np.array([17, 23, 40], dtype=np.int64)
    reach = set(hit.tolist())
    for j in range(m):
        if any(p in reach for p in pred[first[j]:first[j + 1]].tolist()):
            reach.add(j)
    down = np.array(sorted(reach), dtype=np.int64)
    local = np.full(m, -1, dtype=np.int64)
    local[down] = np.arange(down.size)
    sub_first = np.concatenate([[0], np.cumsum([first[j + 1] - first[j] for j in down])])
    links = np.concatenate([np.arange(first[j], first[j + 1]) for j in down]).astype(int)
    hit_row = np.array([hit.tolist().index(j) if j in hit else -1 for j in down])
    cols = np.sort(rng.choice(n, 700, replace=False)).astype(np.int64)
    dur_hit = rng.uniform(0, 2, (hit.size, cols.size))
    changed = duration.copy()
    changed[np.ix_(hit, cols)] = dur_hit
    whole = np.empty_like(duration)
    kernels.forward_rows(changed, order, first, pred, lag, kind, earliest, pinned, kt, kw,
                         whole)
    sinks = np.array([3, 59, 40, 17, 50], dtype=np.int64)  # inside down and not
    ends = []

    def reschedule(*args):
        end = np.empty(cols.size)
        kernels.reschedule_cols(*args, sinks, end)
        ends.append(end)

    (a, b), _ = run_both(reschedule, duration, finish, cols, down, local,
                         sub_first.astype(np.int64), pred[links], lag[links], earliest[down],
                         pinned[down], hit_row.astype(np.int64), dur_hit, kt, kw,
                         out_like=np.empty((down.size, cols.size)))
    identical(a, b)
    identical(a, whole[np.ix_(down, cols)])
    identical(ends[0], ends[1])
    identical(ends[0], whole[np.ix_(sinks, cols)].max(axis=0))


@pytest.mark.parametrize("n", [1, 2, 5, 1000, 8192])
def test_rank_reorder_rows_is_iman_conovers_stable_reordering(n):
    rng = np.random.default_rng(11)
    values = rng.random((4, n))
    scores = rng.random((4, n))
    scores[1] = np.round(scores[1], 1)  # many ties: kept in order
    scores[2] = 0.5  # all tied
    values[3] = rng.uniform(-3, 7, n)  # beyond [0, 1): every value in an end bucket
    scores[3] = np.where(rng.random(n) < 0.5, 0.0, 1.0 - 1e-17)
    normal = rng.normal(size=(4, n))  # the copula's scores under a Latin hypercube
    normal[1] = np.round(normal[1], 1)
    normal[2, : n // 2] = [-9.0, 9.0] * (n // 4) + [40.0] * (n // 2 % 2)  # far out
    for these in (scores, normal):
        for flag in (False, True):  # the buckets for uniform or for normal scores
            (a, b), _ = run_both(kernels.rank_reorder_rows, values, these, out_like=values,
                                 normal=flag)
            identical(a, b)
            for r in range(4):
                expected = np.empty(n)
                expected[np.argsort(these[r], kind="stable")] = np.sort(values[r],
                                                                        kind="stable")
                identical(a[r], expected)
    with pytest.raises(ValueError, match="finite"):
        kernels.rank_reorder_rows(np.full((1, 3), np.nan), np.zeros((1, 3)), np.empty((1, 3)))


# ---- whole simulations, each backend in its own process (RISKMODEL_KERNELS) --------------

SIMULATE = textwrap.dedent("""
    import sys
    import numpy as np
    from riskmodel import load_scenario, simulate
    from riskmodel.sim import kernels
    assert kernels.BACKEND == sys.argv[1], kernels.BACKEND
    arrays = {}
    for i, path in enumerate(sys.argv[3:]):
        r = simulate(load_scenario(path), iterations=3000, seed=20261207)
        arrays[f"finish{i}"], arrays[f"cost{i}"] = r.finish, r.cost
        for name, finish in sorted(r.milestone_finish.items()):
            arrays[f"milestone{i}:{name}"] = finish
        arrays[f"drivers{i}"] = np.asarray(r.mean_finish_)
    np.savez(sys.argv[2], **arrays)
""")


def _env(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RISKMODEL_KERNELS"}
    env["PYTHONPATH"] = os.pathsep.join([HOME, *filter(None, [env.get("PYTHONPATH")])])
    env.update(changes)
    return env


def _simulate_in_process(backend: str, out: Path, paths) -> dict:
    subprocess.run([sys.executable, "-c", SIMULATE, backend, str(out), *map(str, paths)],
                   env=_env(RISKMODEL_KERNELS=backend), check=True, cwd=out.parent,
                   timeout=600)
    with np.load(out) as data:
        return dict(data)


def test_every_shipped_scenario_simulates_the_same_on_both_backends(tmp_path):
    assert any("holiday_freeze" in p.name for p in SCENARIOS)
    compiled = _simulate_in_process("compiled", tmp_path / "c.npz", SCENARIOS)
    numpy_ = _simulate_in_process("numpy", tmp_path / "n.npz", SCENARIOS)
    assert compiled.keys() == numpy_.keys()
    assert len([k for k in compiled if k.startswith("finish")]) == len(SCENARIOS)
    for key in compiled:
        assert np.array_equal(compiled[key], numpy_[key]), key


def test_the_default_scenario_in_this_process_with_risk_ranking():
    from riskmodel import load_scenario, simulate

    s = load_scenario(ROOT / "data" / "scenarios" / "soc2_readiness.yaml")
    a, b = both(lambda: simulate(s, iterations=9000, seed=3))
    identical(a.finish, b.finish)
    identical(a.cost, b.cost)
    assert a.to_dict() == b.to_dict()


def test_typed_links_and_leads_simulate_the_same_on_both_backends():
    # the default scenario (a holiday blackout, correlations, risks) with SS, FF, SF links
    # and a lead: both backends, risk ranking (full re-evaluation) included
    from riskmodel import load_scenario, simulate

    s = load_scenario(ROOT / "data" / "scenarios" / "soc2_readiness.yaml").with_changes(
        {"workstreams": [
            {"id": "control_testing", "depends_on": [
                {"id": "sf_permissions", "type": "SS", "lag": 2},
                {"id": "api_hardening", "type": "FF", "lag": 1}, "integration_logging",
                {"id": "sync_encryption", "lag": -0.5}, "change_management",
                "policies_vendors"]},
            {"id": "documentation", "depends_on": [
                {"id": "control_testing", "type": "SF", "lag": 3}]}]})
    a, b = both(lambda: simulate(s, iterations=9000, seed=3))
    identical(a.finish, b.finish)
    identical(a.cost, b.cost)
    identical(np.asarray(a.without_risk["end"]), np.asarray(b.without_risk["end"]))
    assert a.to_dict() == b.to_dict()


# ---- choosing the backend --------------------------------------------------------------------

def _backend_in_subprocess(env_value: str | None, hide_compiled: bool = False):
    code = ("import sys\n"
            + ("sys.modules['riskmodel.sim._kernels'] = None\n" if hide_compiled else "")
            + "from riskmodel.sim import kernels\nprint(kernels.BACKEND)\n")
    env = _env() if env_value is None else _env(RISKMODEL_KERNELS=env_value)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=tempfile.gettempdir(),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env_value, hide, expected", [
    (None, False, "compiled"), ("", False, "compiled"), ("numpy", False, "numpy"),
    ("compiled", False, "compiled"), ("NumPy", False, "numpy"),
    (None, True, "numpy"), ("numpy", True, "numpy")])
def test_the_environment_variable_chooses_the_backend(env_value, hide, expected):
    run = _backend_in_subprocess(env_value, hide)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == expected
    assert run.stderr == ""  # the fallback is silent: BACKEND tells


def test_asking_for_compiled_loops_that_are_not_built_is_a_clear_import_error():
    run = _backend_in_subprocess("compiled", hide_compiled=True)
    assert run.returncode != 0
    assert "ImportError: RISKMODEL_KERNELS=compiled, but riskmodel's compiled loops are " \
           "not built" in run.stderr
    run = _backend_in_subprocess("fortran")
    assert run.returncode != 0 and "choose 'compiled' or 'numpy'" in run.stderr
