"""Speed and memory benchmarks (``make bench``). Not part of the test suite.

Each case runs in a fresh process so that its peak resident set size is its own.
Figures are ratios within one run where possible: the machine is shared and noisy.
Prints a table and appends it, dated, to benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024


def case(name: str, iterations: int, jobs: int) -> dict:
    """Run one case in this process; returns its figures."""
    import riskmodel
    from benchmarks.synthetic import synthetic_scenario, yardstick

    if name == "default":
        s = riskmodel.load_scenario(ROOT / "data/scenarios/soc2_readiness.yaml")
        first = riskmodel.simulate(s, iterations=1000).elapsed  # loads kernels, PERT tables
        best = min(riskmodel.simulate(s, iterations=iterations, jobs=jobs).elapsed
                   for _ in range(3))
        r = riskmodel.simulate(s, iterations=iterations, jobs=jobs)
        t0 = time.perf_counter()
        r.workstreams(), r.risks()
        return {"seconds": best, "analysis_seconds": time.perf_counter() - t0,
                "first_run_seconds": first}
    if name == "ceiling":
        return _numpy_ceiling(jobs)
    s = synthetic_scenario()
    if name == "yardstick":
        t0 = time.perf_counter()
        yardstick(s, iterations)
        return {"seconds": time.perf_counter() - t0}
    sampling = "random" if name == "engine-random" else "lhs"
    # one small run first: compiled kernels loaded and PERT tables built (once per
    # process, and inherited by forked workers), so the figure is the steady rate
    first = riskmodel.simulate(s, iterations=1000, rank_risks=False,
                               sampling=sampling).elapsed
    t0 = time.perf_counter()
    r = riskmodel.simulate(s, iterations=iterations, jobs=jobs, rank_risks=False,
                           sampling=sampling)
    return {"seconds": r.elapsed, "wall": time.perf_counter() - t0,
            "p_meet": r.p_meet(s.audit_date), "first_run_seconds": first}


def _numpy_work(_):
    import numpy as np

    rng = np.random.default_rng(0)
    total = 0.0
    for _ in range(600):
        u = rng.random(8192)
        total += float(np.sqrt(u * 3.0 + 1.0).sum() + np.maximum(u, 0.5).sum())
    return total


def _numpy_ceiling(jobs: int) -> dict:
    """How much two processes of plain numpy work gain over one on this machine now."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    for k in range(4):
        _numpy_work(k)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_numpy_work, range(jobs)))
        t0 = time.perf_counter()
        list(pool.map(_numpy_work, range(4)))
        parallel = time.perf_counter() - t0
    return {"seconds": parallel, "speedup": serial / parallel}


def run_case(name: str, iterations: int, jobs: int = 1) -> dict:
    cmd = [sys.executable, __file__, "--case", name, "--iterations", str(iterations),
           "--jobs", str(jobs)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(rounds: int, *cases: tuple) -> list[dict]:
    """Run the cases (name, iterations, jobs) in turn, ``rounds`` times over, and keep each
    one's fastest run (and its highest peak memory): alternating keeps a slow spell of
    this shared machine from landing on one side of a ratio only."""
    runs: list[list[dict]] = [[] for _ in cases]
    for _ in range(rounds):
        for i, (name, n, jobs) in enumerate(cases):
            runs[i].append({**run_case(name, n, jobs), "iterations": n})
    out = []
    for r in runs:
        fastest = min(r, key=lambda f: f["seconds"])
        out.append({**fastest, "peak_mb": max(f["peak_mb"] for f in r)})
    return out


def pert_accuracy() -> dict:
    import numpy as np
    from scipy import special

    from riskmodel.sim.distributions import Pert

    u = np.random.default_rng(0).random(1_000_000)
    worst, t_fast, t_exact = 0.0, 0.0, 0.0
    for a, m, b, lam in [(0, 0.5, 1, 4), (0, 0.9, 1, 4), (0, 0.05, 1, 4), (0, 0.3, 1, 10),
                         (1.5, 2, 2.5, 4), (3, 3.5, 5, 4)]:
        d = Pert(min=a, mode=m, max=b, **{"lambda": lam})
        d.ppf(u[:10])
        t0 = time.perf_counter(); fast = d.ppf(u); t_fast += time.perf_counter() - t0
        t0 = time.perf_counter(); exact = a + (b - a) * special.betaincinv(d.alpha, d.beta, u)
        t_exact += time.perf_counter() - t0
        worst = max(worst, float(np.max(np.abs(fast - exact)) / (b - a)))
    return {"max_error_of_range": worst, "speedup": t_exact / t_fast}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--case")
    p.add_argument("--iterations", type=int, default=100_000)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="skip the 10M-iteration memory case")
    args = p.parse_args()
    if args.case:
        figures = case(args.case, args.iterations, args.jobs)
        figures["peak_mb"] = _peak_mb()
        print(json.dumps(figures))
        return

    rows = []

    def add(label, fig, ratio="", target=""):
        it_s = fig.get("iterations", 0) / fig["seconds"] if fig.get("iterations") else 0
        rows.append((label, f"{fig['seconds']:.3f}", f"{it_s:,.0f}" if it_s else "",
                     f"{fig['peak_mb']:.0f}", ratio, target))
        print(" | ".join(rows[-1]), flush=True)

    d = run_case("default", 100_000)
    add("default scenario, 100k, engine (best of 3)", {**d, "iterations": 100_000}, "",
        "< 0.3 s")
    add("default scenario, first 1,000 in a new process (setup)",
        {"seconds": d["first_run_seconds"], "peak_mb": d["peak_mb"]})
    y, e = best_of(2, ("yardstick", 100_000, 1), ("engine", 100_000, 1))
    add("yardstick, 200 ws, 100,000 (best of 2)", y)
    add("engine, 200 ws, 100,000, --jobs 1 (best of 2)", e,
        f"{y['seconds'] / e['seconds']:.2f}x yardstick", ">= 1x")
    add("engine, 200 ws, first 1,000 in a new process (setup)",
        {"seconds": e["first_run_seconds"], "peak_mb": e["peak_mb"]})
    y, e, er, e2 = best_of(2, ("yardstick", 1_000_000, 1), ("engine", 1_000_000, 1),
                           ("engine-random", 1_000_000, 1), ("engine", 1_000_000, 2))
    add("yardstick, 200 ws, 1,000,000 (best of 2)", y)
    add("engine, 200 ws, 1,000,000, --jobs 1 (best of 2)", e,
        f"{y['seconds'] / e['seconds']:.2f}x yardstick", ">= 1x")
    add("engine, random sampling, 200 ws, 1,000,000 (best of 2)", er,
        f"{y['seconds'] / er['seconds']:.2f}x yardstick", ">= 1x")
    add("engine, 200 ws, 1,000,000, --jobs 2 (best of 2)", e2,
        f"{e['seconds'] / e2['seconds']:.2f}x --jobs 1", ">= 1.6x")
    one_million = e
    ceiling = run_case("ceiling", 0, jobs=2)
    add("plain numpy work, 2 processes (machine ceiling)", ceiling,
        f"{ceiling['speedup']:.2f}x 1 process", "")
    if not args.quick:
        e10 = {**run_case("engine", 10_000_000), "iterations": 10_000_000}
        add("engine, 200 ws, 10,000,000, --jobs 1", e10,
            f"{e10['peak_mb'] / one_million['peak_mb']:.2f}x memory of 1M", "< 2x")
    if args.quick:
        rows.append(("engine, 200 ws, 10,000,000 (skipped: --quick)", "", "", "", "", ""))
    acc = pert_accuracy()
    pert_line = (f"PERT inverse CDF: max error {acc['max_error_of_range']:.1e} of (max - min), "
                 f"{acc['speedup']:.0f}x faster than scipy.special.betaincinv")
    print(pert_line)

    header = ("| case | engine s | iterations/s | peak MB | ratio | target |\n"
              "|---|---|---|---|---|---|\n")
    table = header + "\n".join("| " + " | ".join(r) + " |" for r in rows)
    stamp = (f"\n## {dt.datetime.now():%Y-%m-%d %H:%M} ({platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()})\n\n")
    with open(HERE / "README.md", "a", encoding="utf-8") as fh:
        fh.write(stamp + table + "\n\n" + pert_line + "\n")
    print("\n" + table)


if __name__ == "__main__":
    main()
