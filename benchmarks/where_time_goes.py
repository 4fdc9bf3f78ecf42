"""Where the default command's time goes (``benchmarks/README.md``, "Where the time goes").

Runs ``riskmodel simulate FILE --json`` on the benchmark network under ``cProfile`` in
this process (one worker, so every part is seen) and prints each part's share: drawing the inputs,
evaluating them (risks, the forward and backward passes, the cost), the risk ranking
(each risk switched off, and all of them), the per-workstream detail, the summary
document, and the rest (reading the file, set-up, gathering the blocks, writing the
JSON); and, apart, the imports of a new process (timed in a subprocess, best of three).
The profiler adds a little to every Python call, so the shares matter, not the seconds.
Usage: ``.venv/bin/python benchmarks/where_time_goes.py [--iterations N]``.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# (part, the functions whose cumulative time it is); they do not overlap
PARTS = [
    ("drawing the inputs (Latin hypercube, copula, inverse CDFs)",
     [("riskmodel/sim/block.py", "sample_block")]),
    ("evaluating them (risks, forward and backward pass, cost)",
     [("riskmodel/sim/block.py", "evaluate")]),
    ("risk ranking (each risk off, every risk off)",
     [("riskmodel/sim/risk_off.py", "_without_each_risk"),
      ("riskmodel/sim/risk_off.py", "_without_any_risk")]),
    ("per-workstream detail kept for drivers and cash flow",
     [("riskmodel/sim/engine.py", "_detail")]),
    ("the summary document (percentiles, risk table, drivers, JCL)",
     [("riskmodel/document.py", "summary_document")]),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    from benchmarks.run import _scenario_file

    path = _scenario_file()
    from riskmodel.cli import main as cli

    profile = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        profile.runcall(cli, ["simulate", str(path), "--json", "--jobs", "1",
                              "--iterations", str(args.iterations)])
    stats = pstats.Stats(profile)
    total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(f"riskmodel simulate --json, {args.iterations:,} iterations, --jobs 1 "
          f"(under cProfile: {total:.1f} s)\n")
    print("| part | share |\n|---|---|")
    seen = 0.0
    for part, functions in PARTS:
        cum = sum(v[3] for (file, _, name), v in stats.stats.items()  # type: ignore[attr-defined]
                  if any(file.endswith(f) and name == n for f, n in functions))
        seen += cum
        print(f"| {part} | {cum / total:.0%} |")
    print(f"| reading the file, set-up, gathering the blocks, writing the JSON | "
          f"{1 - seen / total:.0%} |")
    best = min(_import_seconds() for _ in range(3))
    print(f"\nImports of a new process (`import riskmodel.cli`, not profiled): {best:.2f} s")


def _import_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import riskmodel.cli"], check=True)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
