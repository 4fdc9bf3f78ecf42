"""Speed and memory benchmarks (``make bench``). Not part of the test suite.

Measures what users run: the default command (``riskmodel simulate FILE --json``, risk
ranking on) as a whole process, set-up included, and the engine call, both against the
yardstick (the bare NumPy forward pass of ``benchmarks/synthetic.py`` in 16,384-iteration
chunks), with CPU time (user + system of the process and its workers, from
``getrusage``) beside wall time. Each case runs in a fresh process; the machine is shared
and noisy, so every case runs twice, alternating, and keeps its fastest run.
Prints a table and replaces the one in benchmarks/README.md (older tables go to
benchmarks/HISTORY.md).
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
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SCENARIO = ROOT / "data" / "scenarios" / "soc2_readiness.yaml"
sys.path.insert(0, str(ROOT))

N_RISKS = 20
"""Risks on the benchmark network (30 in the tables before 2026-11-30)."""
LEVELLED_CAPACITY = 2.0
"""FTE of each of the 10 roles in the levelling cases (about 20 workstreams share a role)."""


def _cpu(who=resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _peak_mib() -> float:
    """Peak resident set size of this process or of its largest worker."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _scenario_file() -> Path:
    """The benchmark network as a scenario file (what the command reads)."""
    import yaml

    from benchmarks.synthetic import synthetic_scenario

    path = Path(tempfile.gettempdir()) / f"riskmodel-bench-{N_RISKS}-risks.yaml"
    text = yaml.safe_dump(synthetic_scenario(n_risks=N_RISKS).to_dict(), sort_keys=False)
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return path


def case(name: str, iterations: int, jobs: int) -> dict:
    """Run one case in this process; returns its figures (seconds are wall time)."""
    if name == "ceiling":
        return _numpy_ceiling(jobs)
    import riskmodel
    from benchmarks.synthetic import synthetic_scenario, yardstick

    if name in ("default", "default-shared"):
        s = riskmodel.load_scenario(DEFAULT_SCENARIO)
        if name == "default-shared":  # one shared security engineer: people wait
            s = s.with_changes({"roles": [{"id": "security_engineer", "capacity": 1.0}]})
        riskmodel.simulate(s, iterations=1000)
        best = min(riskmodel.simulate(s, iterations=iterations, jobs=jobs).elapsed
                   for _ in range(3))
        return {"seconds": best, "cpu": float("nan")}
    s = synthetic_scenario(n_risks=N_RISKS, capacity=LEVELLED_CAPACITY
                           if name.startswith("levelled") else None)
    t0, c0 = time.perf_counter(), _cpu()
    if name == "yardstick":
        yardstick(s, iterations)
    elif name == "setup":  # the first run in a new process: compiled loops, PERT tables
        riskmodel.simulate(s, iterations=1000, rank_risks=False)
    else:
        # a small run first (kernels loaded, PERT tables built: once per process and
        # inherited by forked workers), so the figure is the steady rate
        riskmodel.simulate(s, iterations=1000, rank_risks=False)
        t0, c0 = time.perf_counter(), _cpu()
        riskmodel.simulate(s, iterations=iterations, jobs=jobs,
                           rank_risks=name in ("engine-ranked", "levelled-ranked"))
    return {"seconds": time.perf_counter() - t0,
            "cpu": _cpu() - c0 + _cpu(resource.RUSAGE_CHILDREN)}


def _numpy_work(_):
    import numpy as np

    rng = np.random.default_rng(0)
    total = 0.0
    for _ in range(3000):  # about 0.1 s: long enough to time
        u = rng.random(8192)
        total += float(np.sqrt(u * 3.0 + 1.0).sum() + np.maximum(u, 0.5).sum())
    return total


def _numpy_ceiling(jobs: int) -> dict:
    """How much two processes of plain numpy work gain over one on this machine now."""
    from concurrent.futures import ProcessPoolExecutor

    _numpy_work(0)  # warm, as the pool's workers are below
    t0 = time.perf_counter()
    for k in range(4):
        _numpy_work(k)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_numpy_work, range(jobs)))
        t0 = time.perf_counter()
        list(pool.map(_numpy_work, range(4)))
        parallel = time.perf_counter() - t0
    return {"seconds": parallel, "speedup": serial / parallel, "cpu": float("nan")}


def run_case(name: str, iterations: int, jobs: int = 1, cache: str | None = None,
             kernels: str | None = None) -> dict:
    """A case in a fresh process; ``command`` is the command line itself, timed whole
    (start-up, imports, set-up, the run, the JSON document) as ``/usr/bin/time`` would.
    ``cache``: the PERT table cache folder it uses (default: the run's, see ``main``);
    ``kernels``: the backend (``RISKMODEL_KERNELS``: "compiled" or "numpy")."""
    if name.startswith("command"):  # "command-default": the shipped scenario, its own N
        own = name == "command-default"
        cmd = [sys.executable, "-m", "riskmodel.cli", "simulate",
               str(DEFAULT_SCENARIO if own else _scenario_file()), "--json",
               *([] if own else ["--iterations", str(iterations)]), "--jobs", str(jobs)]
    else:
        cmd = [sys.executable, __file__, "--case", name, "--iterations", str(iterations),
               "--jobs", str(jobs)]
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        t0 = time.perf_counter()
        env = dict(os.environ)
        if cache:
            env["RISKMODEL_CACHE_DIR"] = cache
        if kernels:
            env["RISKMODEL_KERNELS"] = kernels
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, cwd=ROOT, env=env)
        # this child's own figures (and its workers'), as /usr/bin/time -v gives them
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out = out_f.read().decode()
        if proc.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{err_f.read().decode()[-2000:]}")
    if name.startswith("command"):
        json.loads(out)  # the document came out whole
        return {"seconds": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "peak_mib": usage.ru_maxrss / 1024}
    return json.loads(out.strip().splitlines()[-1])


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
        out.append({**fastest, "cpu": min(f["cpu"] for f in r),
                    "peak_mib": max(f["peak_mib"] for f in r)})
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
        t0 = time.perf_counter()
        fast = d.ppf(u)
        t_fast += time.perf_counter() - t0
        t0 = time.perf_counter()
        exact = a + (b - a) * special.betaincinv(d.alpha, d.beta, u)
        t_exact += time.perf_counter() - t0
        worst = max(worst, float(np.max(np.abs(fast - exact)) / (b - a)))
    return {"max_error_of_range": worst, "speedup": t_exact / t_fast}


def _publish(table: str, notes: str) -> None:
    """The new table in README.md; the one it replaces moves to the top of HISTORY.md."""
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    marker = "\n## Current table"
    head, _, old = text.partition(marker)
    if old:
        history = HERE / "HISTORY.md"
        past = history.read_text(encoding="utf-8") if history.exists() else "# Older tables\n"
        at = past.find("\n## ")  # after the introduction, above the older tables
        at = len(past) if at < 0 else at
        history.write_text(f"{past[:at].rstrip()}\n\n## {old.strip()}\n{past[at:]}",
                           encoding="utf-8")
    readme.write_text(f"{head.rstrip()}\n\n{marker.strip()}\n\n{table}\n\n{notes}\n",
                      encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--case")
    p.add_argument("--iterations", type=int, default=1_000_000)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="200,000 iterations, not 1,000,000")
    p.add_argument("--no-write", action="store_true", help="print only")
    args = p.parse_args()
    if args.case:
        figures = case(args.case, args.iterations, args.jobs)
        figures["peak_mib"] = _peak_mib()
        print(json.dumps(figures))
        return

    n = 200_000 if args.quick else args.iterations
    rows = []
    # the PERT set-up's disk cache (riskmodel.sim.pert.cache_dir): a folder of this run's,
    # so the figures do not depend on the user's cache; it is warm for every case but the
    # cold set-up (what a user sees from the second run on a machine)
    cache_root = tempfile.TemporaryDirectory(prefix="riskmodel-bench-cache-")
    os.environ["RISKMODEL_CACHE_DIR"] = str(Path(cache_root.name) / "warm")
    cold = []
    for k in range(2):  # the first run on a machine: an empty cache each time
        cold.append(run_case("setup", 1000, cache=str(Path(cache_root.name) / f"cold{k}")))
    run_case("setup", 1000)  # fills the shared cache

    def add(label, fig, ratio="", target=""):
        cpu = fig.get("cpu", float("nan"))
        rows.append((label, f"{fig['seconds']:.2f}", "" if cpu != cpu else f"{cpu:.2f}",
                     f"{fig['peak_mib']:.0f}", ratio, target))
        print(" | ".join(rows[-1]), flush=True)

    def ratio(a, b):
        return (f"{a['seconds'] / b['seconds']:.2f}x wall, "
                f"{a['cpu'] / b['cpu']:.2f}x CPU")

    c1, c2, y, e, er = best_of(2, ("command", n, 1), ("command", n, 2),
                               ("yardstick", n, 1), ("engine", n, 1),
                               ("engine-ranked", n, 1))
    label = f"{n:,}"
    add(f"yardstick: bare NumPy forward pass, 16k chunks, {label}", y)
    add(f"`riskmodel simulate --json` (ranking on), {label}, --jobs 1", c1,
        f"{ratio(c1, y)} yardstick", "<= 1.5x; <= 300 MB (286 MiB)")
    add(f"`riskmodel simulate --json`, {label}, --jobs 2", c2,
        f"{c1['seconds'] / c2['seconds']:.2f}x faster than --jobs 1 (wall)", ">= 1.8x")
    add(f"engine, ranking off, {label}", e, f"{ratio(e, y)} yardstick", "<= 1.0x")
    eng_off = e
    add(f"engine, ranking on, {label}", er, f"{ratio(er, y)} yardstick", "")
    def fastest(runs):
        return {**min(runs, key=lambda f: f["seconds"]), "cpu": min(f["cpu"] for f in runs)}

    add("first 1,000 in a new process (set-up: kernels, 100 PERT shapes), cache cold",
        fastest(cold), "", "")
    add("first 1,000 in a new process (set-up: kernels, 100 PERT shapes), cache warm",
        fastest([run_case("setup", 1000) for _ in range(2)]), "", "<= 0.2 s")
    run_case("command-default", 0, 1)  # its own PERT shapes into the cache, as a user's first run
    (whole,) = best_of(3, ("command-default", 0, 1))
    add("`riskmodel simulate data/scenarios/soc2_readiness.yaml --json`: the shipped "
        "scenario as a user runs it (its 100,000 iterations, ranking on), whole process",
        whole, "", "")
    d = run_case("default", 100_000)
    add("default scenario, 100k, engine (best of 3)", d, "", "< 0.3 s")
    # the two backends of the engine's loops (same numbers bit for bit): the NumPy
    # reference runs where the compiled loops could not be built
    for kernels in ("compiled", "numpy"):
        add(f"default scenario, 100k, engine, {kernels} loops (best of 3)",
            run_case("default", 100_000, kernels=kernels), "", "")
    add("default scenario, one shared security engineer (people wait), 100k, engine "
        "(best of 3)", run_case("default-shared", 100_000), "", "< 1 s")
    m = min(n, 200_000)
    lev = run_case("levelled", m)
    add(f"engine, ranking off, {m:,}, 10 roles of {LEVELLED_CAPACITY:g} FTE (levelling)", lev,
        f"{lev['seconds'] / eng_off['seconds'] * n / m:.2f}x without levelling (wall)", "")
    add(f"engine, ranking on, {m:,}, 10 roles of {LEVELLED_CAPACITY:g} FTE (levelling)",
        run_case("levelled-ranked", m), "", "")
    eng = {k: run_case("engine", m, kernels=k) for k in ("compiled", "numpy")}
    add(f"engine, ranking off, {m:,}, compiled loops", eng["compiled"], "", "")
    add(f"engine, ranking off, {m:,}, NumPy loops", eng["numpy"],
        f"{eng['numpy']['seconds'] / eng['compiled']['seconds']:.2f}x compiled (wall)", "")
    ceiling = run_case("ceiling", 0, jobs=2)
    add("plain numpy work, 2 processes (machine ceiling)", ceiling,
        f"{ceiling['speedup']:.2f}x 1 process", "")
    acc = pert_accuracy()
    pert_line = (f"PERT inverse CDF: max error {acc['max_error_of_range']:.1e} of (max - min), "
                 f"{acc['speedup']:.0f}x faster than scipy.special.betaincinv")
    print(pert_line)

    stamp = (f"{dt.datetime.now():%Y-%m-%d %H:%M} ({platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, "
             f"{N_RISKS} risks on the 200-workstream network)")
    header = ("| case | wall s | CPU s | peak MiB | ratio | target |\n"
              "|---|---|---|---|---|---|\n")
    table = (f"{stamp}\n\n" + header
             + "\n".join("| " + " | ".join(r) + " |" for r in rows))
    print("\n" + table)
    if not args.no_write:
        _publish(table, pert_line)
    cache_root.cleanup()


if __name__ == "__main__":
    main()
