"""The ``riskmodel`` command: every subcommand, as a user types it (``main(argv)``)."""
import json

import pytest

from riskmodel import __version__
from riskmodel.cli import main
from tests.conftest import DEFAULT, ROOT

STATUS = ROOT / "data" / "status"


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_example_copies_a_checkout_layout_and_leaves_existing_files_alone(tmp_path, capsys):
    code, out, err = run(capsys, "example", str(tmp_path / "ex"))
    assert code == 0 and err == ""
    ex = tmp_path / "ex"
    for name in ("data/scenarios/soc2_readiness.yaml", "data/batches/leadership.yaml",
                 "data/status/2027-01-25.yaml", "notebooks/scenario_report.ipynb",
                 "notebooks/what_if.ipynb"):
        assert (ex / name).is_file(), name
    assert (ex / "data/scenarios/soc2_readiness.yaml").read_bytes() == DEFAULT.read_bytes()
    # the copies work where they are (a scenario that extends another finds it)
    code, _, _ = run(capsys, "validate", str(ex / "data/scenarios/soc2_type2_report.yaml"))
    assert code == 0
    (ex / "data/scenarios/soc2_readiness.yaml").write_text("# mine\n")
    code, out, _ = run(capsys, "example", str(ex))
    assert code == 0 and "0 file(s) written" in out
    assert (ex / "data/scenarios/soc2_readiness.yaml").read_text() == "# mine\n"


def test_example_into_a_file_is_one_sentence(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = run(capsys, "example", str(target))
    assert code == 2 and out == "" and err.strip() == f"{target}: not a folder"


def test_validate_and_check(capsys):
    code, out, _ = run(capsys, "validate", str(DEFAULT))
    assert code == 0 and out.strip() == (f"{DEFAULT}: OK (9 workstreams, 8 risks, "
                                         "1 target(s))")
    code, out, _ = run(capsys, "check", str(DEFAULT))
    assert code == 0 and out.startswith(f"{DEFAULT}: warning: calendar: the plan runs over "
                                        "year-end")
    freeze = ROOT / "data" / "scenarios" / "soc2_readiness_holiday_freeze.yaml"
    code, out, _ = run(capsys, "check", str(freeze))
    assert code == 0 and out.strip() == f"{freeze}: OK, no findings"
    code, out, _ = run(capsys, "check", str(freeze), "--iterations", "2000")
    assert "2,000 iterations" in out


def test_simulate_prints_a_forecast_a_person_reads(capsys):
    code, out, err = run(capsys, "simulate", str(DEFAULT), "--iterations", "10000")
    assert code == 0 and err == ""
    assert "(10,000 iterations, seed 20261207" in out
    assert "Check first: calendar: the plan runs over year-end" in out
    for words in ("P(audit: end by 1 Mar 2027)", "P80 date and P80 cost both met",
                  "Contingency to P80", "(estimates", "Workstreams (criticality",
                  "Risks, largest expected impact first"):
        assert words in out, words


def test_simulate_json_is_the_document_alone_and_output_writes_the_same(tmp_path, capsys):
    target = tmp_path / "summary.json"
    code, out, err = run(capsys, "simulate", str(DEFAULT), "--iterations", "5000", "--seed",
                         "3", "--json", "--output", str(target))
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["schema"] == "riskmodel.summary/2" and doc["seed"] == 3
    assert json.loads(target.read_text()) == doc


def test_reforecast_prints_the_trail_and_how_the_change_was_split(capsys):
    code, out, _ = run(capsys, "reforecast", str(DEFAULT), str(STATUS / "2027-01-04.yaml"),
                       str(STATUS / "2027-01-25.yaml"), "--iterations", "5000")
    assert code == 0
    assert "forecast as of 25 Jan 2027" in out and "Forecast trail" in out
    assert "Shapley values" in out
    code, out, _ = run(capsys, "reforecast", str(DEFAULT), str(STATUS / "2027-01-25.yaml"),
                       "--iterations", "5000", "--json")
    assert json.loads(out)["as_of"] == "2027-01-25"


def test_version_and_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"riskmodel {__version__}"
    with pytest.raises(SystemExit) as info:
        main(["simulate"])
    assert info.value.code == 2


def test_the_json_command_imports_only_what_it_uses(tmp_path):
    """``simulate --json`` loads no plotting, office, notebook or Dask code, no pandas
    (its tables are read as columns: 0.25 s and 40 MB), and once the PERT cache is warm,
    not SciPy either (0.2 s of a one-second command)."""
    import os
    import subprocess
    import sys

    code = ("import io, contextlib, sys\n"
            "from riskmodel.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['simulate', {str(DEFAULT)!r}, '--json', '--iterations', "
            "'2000']) == 0\n"
            "print(' '.join(sorted(sys.modules)))\n")
    env = {k: v for k, v in os.environ.items() if k != "RISKMODEL_NO_CACHE"}
    env["RISKMODEL_CACHE_DIR"] = str(tmp_path / "cache")
    cold, warm = (set(subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                                     capture_output=True, text=True, check=True
                                     ).stdout.split()) for _ in range(2))
    assert "scipy.special" in cold  # the tables built from the exact inverse, then cached
    assert "numpy" in warm and "riskmodel.document" in warm
    unused = ("matplotlib", "pandas", "scipy.special", "scipy.optimize", "scipy.stats",
              "pptx", "xlsxwriter", "dask", "distributed", "papermill", "nbformat", "tqdm")
    assert not [m for m in warm if any(m == u or m.startswith(u + ".") for u in unused)]


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="glibc")
def test_jobs_workers_share_one_heap_and_one_job_leaves_the_allocator_alone(monkeypatch,
                                                                           capsys):
    """``--jobs 2`` asks glibc for one malloc arena (a heap per worker thread held 75 MB
    more at 1M iterations); ``--jobs 1`` changes nothing."""
    import ctypes

    calls = []

    class Libc:
        def mallopt(self, option, value):
            calls.append((option, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    args = ("simulate", str(DEFAULT), "--json", "--iterations", "2000")
    run(capsys, *args, "--jobs", "1")
    assert calls == []
    code, out, _ = run(capsys, *args, "--jobs", "2")
    assert code == 0 and calls == [(-8, 1)]  # M_ARENA_MAX = 1
    assert json.loads(out)["iterations"] == 2000
