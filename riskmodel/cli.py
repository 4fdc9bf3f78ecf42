"""Command line: the ``riskmodel`` command.

- ``riskmodel example DIR``: copy the example scenarios, batches, status files and
  notebooks into a folder, to start from;
- ``riskmodel validate FILE``: check a scenario file and list every problem;
- ``riskmodel check FILE``: the schedule health check (warnings to fix before trusting a
  forecast);
- ``riskmodel simulate FILE``: the forecast (``--json``: the summary document);
- ``riskmodel reforecast FILE STATUS...``: the forecast from status files, its trail and
  what changed;
- ``riskmodel batch BATCH``: many scenario reports (papermill) and the comparison,
  workbook and deck.

Thin: parse arguments, call the library, print. Bad input prints one line per problem
(file, key path or row, what is wrong) on stderr and exits with 2, writing nothing.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import ScenarioError, ScenarioWarning

__all__ = ["main"]

EXIT_BAD_INPUT = 2


def _whole_number(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number from ``minimum`` (to ``maximum``)."""
    def parse(text: str) -> int:
        try:
            if len(text) > 40:
                raise ValueError
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text[:40]}'") \
                from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {value:,}")
        return value
    return parse


def _max_iterations() -> int:
    from .scenario.schema import MAX_ITERATIONS

    return MAX_ITERATIONS


_positive_int, _seed = _whole_number(1), _whole_number(0)
_iterations = _whole_number(1, _max_iterations())  # the schema's cap
_jobs = _whole_number(1, 256)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="riskmodel",
        description="Monte Carlo readiness, date and cost forecasts for SOC 2 Type II programmes.",
    )
    p.add_argument("--version", action="version", version=f"riskmodel {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    e = sub.add_parser("example", help="copy the example scenarios, batches, status files "
                                       "and notebooks into a folder")
    e.add_argument("folder", help="folder to copy them into (created if needed)")

    v = sub.add_parser("validate", help="check a scenario file and list every problem")
    v.add_argument("scenario", help="scenario YAML file")

    c = sub.add_parser("check", help="schedule health check: warnings to fix before "
                                     "trusting a forecast")
    c.add_argument("scenario", help="scenario YAML file")
    c.add_argument("--iterations", type=_iterations,
                   help="iterations the forecast will run with (default: the file's)")

    s = sub.add_parser("simulate", help="simulate a scenario and print its forecast")
    s.add_argument("scenario", help="scenario YAML file")
    s.add_argument("--iterations", type=_iterations, help="iterations (default: the file's)")
    s.add_argument("--seed", type=_seed, help="random seed (default: the file's)")
    s.add_argument("--jobs", type=_jobs, default=1,
                   help="workers running blocks at once (default 1)")
    s.add_argument("--scheduler", help="run on a Dask cluster (tcp://host:8786); needs "
                   "riskmodel[distributed]")
    s.add_argument("--json", action="store_true", help="print the JSON summary only")
    s.add_argument("--output", help="also write the JSON summary to this file")
    r = sub.add_parser("reforecast", help="forecast from status files (actuals so far)")
    r.add_argument("scenario", help="scenario YAML file")
    r.add_argument("status", nargs="+", help="status YAML file(s); several give a trail")
    r.add_argument("--iterations", type=_iterations, help="iterations (default: the file's)")
    r.add_argument("--seed", type=_seed, help="random seed (default: the file's)")
    r.add_argument("--json", action="store_true", help="print the JSON summary of the "
                                                       "latest status only")

    b = sub.add_parser("batch", help="run a batch of scenario reports (papermill) and build "
                                     "the comparison, workbook and deck")
    b.add_argument("batch", help="batch YAML file (see data/batches/)")
    b.add_argument("--jobs", type=_jobs, default=1,
                   help="scenarios run at once (default 1)")
    b.add_argument("--resume", action="store_true", help="skip scenarios already complete")
    b.add_argument("--output", default="reports", help="output folder (default reports/)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--scheduler", help="run the scenarios on a Dask cluster (tcp://host:8786)")
    return p


def _reforecast(args) -> int:
    from .formatting import long_date, money, percent, signed_money
    from .reforecast import explain_change, forecast_trail, reforecast
    from .scenario import load_scenario
    from .scenario.status import load_status

    scenario = load_scenario(args.scenario)
    statuses = sorted((load_status(p) for p in args.status), key=lambda s: s.as_of)
    opts = {"iterations": args.iterations, "seed": args.seed}
    latest = reforecast(scenario, statuses[-1], **opts)
    if args.json:
        print(json.dumps(latest.to_dict(), indent=2))
        return 0
    print(f"{scenario.name}: forecast as of {long_date(statuses[-1].as_of)}")
    _print_figures(latest.summary())
    print()
    trail = forecast_trail(scenario, statuses, **opts)
    show = trail[["p_meet", "p50_date", "p80_date", "cost_mean", "cost_p80"]].copy()
    cur = scenario.currency
    show["p_meet"] = show["p_meet"].map(lambda p: percent(p, 1))
    for col in ("p50_date", "p80_date"):
        show[col] = show[col].map(long_date)
    show.index = show.index.map(lambda k: k if k == "plan" else long_date(str(k)))
    for col in ("cost_mean", "cost_p80"):
        show[col] = show[col].map(lambda x: money(x, cur))
    print("Forecast trail")
    print(show.to_string())
    print()
    before = statuses[-2] if len(statuses) > 1 else None
    why = explain_change(scenario, before, statuses[-1], **opts)
    was, now = why.attrs["before"], why.attrs["after"]
    since = "the plan" if before is None else long_date(before.as_of)
    print(f"What changed since {since}: "
          f"P(meet) {percent(was['p_meet'], 1)} -> {percent(now['p_meet'], 1)}, P80 "
          f"{long_date(was['p80_date'])} -> {long_date(now['p80_date'])}, mean cost "
          f"{money(was['cost_mean'], cur)} -> {money(now['cost_mean'], cur)}")
    print(why.assign(p_meet_change=why["p_meet_change"].map(lambda p: percent(p, 1, True)),
                     p80_date_change_days=why["p80_date_change_days"].map("{:+.1f}".format),
                     cost_mean_change=why["cost_mean_change"].map(
                         lambda x: signed_money(x, cur)),
                     cost_p80_change=why["cost_p80_change"].map(
                         lambda x: signed_money(x, cur)))
          .to_string())
    print(why.attrs["method"])
    return 0


def _batch(args) -> int:
    from .reporting.batch import run_batch

    opts = {"output": args.output, "jobs": args.jobs, "resume": args.resume,
            "progress": not args.quiet}
    if args.scheduler:
        with _dask_client(args.scheduler) as client:
            record = run_batch(args.batch, executor=client.get_executor(), **opts)
    else:
        record = run_batch(args.batch, **opts)
    folder = Path(args.output) / record["batch"]
    for ident, info in record["scenarios"].items():
        state = ("skipped (unchanged)" if info.get("resumed") else "ok") \
            if info["status"] == "ok" else f"FAILED: {info['error']}"
        print(f"{ident}: {state}")
    problems = record.get("output_errors") or {}
    for name, why in problems.items():
        print(f"{folder / name}: not written: {why}", file=sys.stderr)
    made = [n for n in ("comparison.html", "summary.csv", "forecast.xlsx", "deck.pptx")
            if n not in problems]
    print(f"wrote {folder}/ ({', '.join(made + ['batch.json'])})")
    return 1 if record["failed"] else 0


def _dask_client(address: str):
    """A Dask client for ``--scheduler``, or a clear error."""
    import re

    if not re.fullmatch(r"(tcp|tls|ucx|ws|wss|inproc)://[A-Za-z0-9_.\-\[\]:]+", address or ""):
        raise ScenarioError("--scheduler: expected a scheduler address like tcp://host:8786")
    try:
        from distributed import Client
    except ImportError:
        raise ScenarioError("--scheduler needs Dask: pip install 'riskmodel[distributed]'") \
            from None
    try:
        return Client(address, timeout=20)
    except (OSError, TimeoutError) as exc:
        raise ScenarioError(f"--scheduler: cannot reach {address} ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - dask's own errors for a bad address
        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ScenarioError(f"--scheduler: cannot use {address} ({why})") from None


def _print_figures(table) -> None:
    """The headline table as two columns: the figure, then its value, left-aligned."""
    width = max(len(str(label)) for label in table.index)
    for label, row in table.iterrows():
        print(f"{label:<{width}}  {row['value']}")


def _example(args) -> int:
    from .examples import DEFAULT_SCENARIO, copy_examples

    folder = Path(args.folder)
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(f"{folder}: not a folder")
    written = copy_examples(folder)
    print(f"{folder}/: {len(written)} file(s) written (existing files are left alone)")
    print(f"try: riskmodel simulate {folder / 'data' / DEFAULT_SCENARIO}")
    print(f"     riskmodel batch {folder / 'data' / 'batches' / 'leadership.yaml'} --output "
          f"{folder / 'reports'}")
    return 0


def _validate(args) -> int:
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario)
    print(f"{args.scenario}: OK ({len(scenario.workstreams)} workstreams, "
          f"{len(scenario.risks)} risks, {len(scenario.all_targets)} target(s))")
    return 0


def _check(args) -> int:
    from .health import check
    from .scenario import load_scenario

    findings = check(load_scenario(args.scenario), iterations=args.iterations)
    if not findings:
        print(f"{args.scenario}: OK, no findings")
    for finding in findings:
        print(f"{args.scenario}: warning: {finding}")
    return 0


def _one_heap() -> None:
    """Let the worker threads of ``--jobs`` (with the compiled loops; under the NumPy
    loops the workers are processes, and this changes nothing) share the C library's
    heap (glibc's ``M_ARENA_MAX`` of 1) instead of each keeping one of its own, which
    holds on to what its blocks freed: 1M iterations of the benchmark network on
    ``--jobs 2`` peaked at 462 MiB, and at 387 MiB with one heap, no slower (2026-12-01).
    The command line owns its process, so it may; ``simulate()`` called from Python
    leaves the allocator alone. Elsewhere than on Linux with glibc, nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    mallopt(-8, 1)  # M_ARENA_MAX (malloc.h); musl's mallopt ignores it


def _simulate(args) -> int:
    from .formatting import percent
    from .scenario import load_scenario
    from .simulate import simulate

    output = Path(args.output) if args.output else None
    if output is not None and not output.parent.is_dir():
        raise ScenarioError(f"--output: folder {output.parent} does not exist")
    scenario = load_scenario(args.scenario)
    if args.scheduler:
        with _dask_client(args.scheduler) as client:
            result = simulate(scenario, iterations=args.iterations, seed=args.seed,
                              executor=client.get_executor())
    else:
        if args.jobs > 1:
            _one_heap()
        result = simulate(scenario, iterations=args.iterations, seed=args.seed, jobs=args.jobs)
    doc = result.to_dict()
    try:
        text = json.dumps(doc, indent=2, allow_nan=False)
    except ValueError:  # not JSON: an overflow the checks did not catch
        raise ScenarioError(f"{args.scenario}: the results are not finite numbers (a value "
                            "far too large in the scenario?)") from None
    if output is not None:
        from .reporting.files import write_text_atomic

        write_text_atomic(output, text + "\n")
    if args.json:
        print(text)
    else:
        print(f"{scenario.name}  ({result.iterations:,} iterations, seed {result.seed}, "
              f"{result.elapsed:.2f} s)")
        for finding in result.warnings_:  # the schedule health check, first
            print(f"Check first: {finding}")
        _print_figures(result.summary())
        print()
        ws = result.workstreams()[["criticality", "near_criticality", "cruciality",
                                   "finish_p80"]].sort_values("cruciality", ascending=False)
        print("Workstreams (criticality: share of iterations on the critical path; "
              "near: float at most half a week; cruciality: criticality x rank correlation "
              "of the workstream's own estimate with the finish)")
        print(ws.round(2).to_string())
        ranked = result.risks()
        rk = ranked[["probability", "mean_finish_impact", "mean_cost_impact",
                     "own_cost", "p80_finish_shift", "p90_finish_shift"]]
        if len(rk):
            print()
            print("Risks, largest expected impact first: what each adds to the mean finish "
                  "(weeks) and cost (its own cost, the time it adds and any risks it brings "
                  "with it), and to the P80 and "
                  "P90 finish, against the same futures without it; shifts do not add up")
            print(rk.round({"probability": 2, "mean_finish_impact": 2, "mean_cost_impact": 0,
                            "own_cost": 0, "p80_finish_shift": 2,
                            "p90_finish_shift": 2}).to_string())
            for rid, r in ranked[ranked["condition"] != ""].iterrows():
                print(f"  {rid}: probability {r['probability']:.2f} {r['condition']}; "
                      f"it occurred in {percent(r['fired'])} of iterations")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``riskmodel`` command; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: the command line's).

    Returns
    -------
    int
        0 on success, 1 if a batch scenario failed, 2 for bad input, 130 when
        interrupted.
    """
    args = _parser().parse_args(argv)
    commands = {"example": _example, "validate": _validate, "check": _check,
                "simulate": _simulate, "batch": _batch, "reforecast": _reforecast}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        try:
            code = commands[args.command](args)
        except ScenarioError as exc:
            for line in exc.lines:
                print(line, file=sys.stderr)
            code = EXIT_BAD_INPUT
        except BrokenPipeError:  # the reader stopped reading (`| head`): nothing to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        except OSError as exc:  # an output folder that cannot be written, a full disk...
            where = getattr(exc, "filename", None) or ""
            print(f"riskmodel: {where + ': ' if where else ''}{exc.strerror or exc}",
                  file=sys.stderr)
            code = EXIT_BAD_INPUT
        except KeyboardInterrupt:
            print("riskmodel: interrupted", file=sys.stderr)
            code = 130
        finally:
            for w in caught:
                if issubclass(w.category, ScenarioWarning):
                    where = getattr(args, "scenario", None) or getattr(args, "batch", "")
                    print(f"{where}: warning: {w.message}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
