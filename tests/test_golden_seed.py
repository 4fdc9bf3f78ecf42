"""What a seed means: the default scenario's first 20 iterations at a fixed seed, exactly.

``tests/data/golden_seed.txt`` holds ``simulate(load_scenario(
"data/scenarios/soc2_readiness.yaml"), iterations=20_000, seed=20261207)``'s first 20
``finish`` and ``cost`` values, as ``float.hex`` (exact; ``repr`` beside them for
reading), and ``tests/data/golden_document.json`` that run's summary document (all but
its ``version``): every number the analysis makes of the iterations, the risk table,
the drivers, the contingency, the joint confidence and the people, as JSON writes them
(``repr``, exact). A user who re-runs a recorded seed must get the recorded answer, so
this test compares bit for bit and regenerates nothing. A change to what a seed means (the
generator, the stream keys, the Latin hypercube strata, correlation, an inverse CDF, the
engine's order of draws or arithmetic) must change that file on purpose, in the same
commit, with a note naming the version that changes it. To rewrite it:

    .venv/bin/python tests/test_golden_seed.py --write "riskmodel 0.x.y: what changed"

The test runs on every kernels backend this install has (compiled and NumPy): both
must give these numbers.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "data" / "scenarios" / "soc2_readiness.yaml"
DATA = ROOT / "tests" / "data" / "golden_seed.txt"
DOCUMENT = ROOT / "tests" / "data" / "golden_document.json"
ITERATIONS, SEED, KEPT = 20_000, 20261207, 20


def run():
    from riskmodel import load_scenario, simulate

    result = simulate(load_scenario(SCENARIO), iterations=ITERATIONS, seed=SEED)
    return result.finish[:KEPT].tolist(), result.cost[:KEPT].tolist()


def document() -> dict:
    """The run's summary document, but its ``version`` (which changes with every release)."""
    from riskmodel import load_scenario, simulate

    doc = simulate(load_scenario(SCENARIO), iterations=ITERATIONS, seed=SEED).to_dict()
    doc.pop("version")
    return doc


def read() -> tuple[list[float], list[float]]:
    finish, cost = [], []
    for line in DATA.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            _, f, c = line.split("#")[0].split()
            finish.append(float.fromhex(f))
            cost.append(float.fromhex(c))
    return finish, cost


def write(note: str) -> None:
    import riskmodel
    from riskmodel.sim import kernels
    from riskmodel.sim.kernels._signatures import VERSION

    finish, cost = run()
    lines = [
        "# What a seed means: data/scenarios/soc2_readiness.yaml,",
        f"# simulate(s, iterations={ITERATIONS:_}, seed={SEED}): the first {KEPT} finish (weeks)",
        "# and cost values, as float.hex (exact), repr beside them. Compared bit for bit by",
        "# tests/test_golden_seed.py. A change to what a seed means must change this file on",
        "# purpose, with a note naming the version; rewrite it with",
        '#     .venv/bin/python tests/test_golden_seed.py --write "riskmodel 0.x.y: why"',
        f"# note: {note}",
        f"# written by riskmodel {riskmodel.__version__}, kernels version {VERSION}, "
        f"{kernels.BACKEND} backend",
        "# i  finish  cost  # finish  cost (repr)",
    ]
    lines += [f"{i} {f.hex()} {c.hex()}  # {f!r} {c!r}"
              for i, (f, c) in enumerate(zip(finish, cost))]
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_text("\n".join(lines) + "\n")
    DOCUMENT.write_text(json.dumps(document(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DATA} and {DOCUMENT}")


def _backends():
    from riskmodel.sim import kernels

    return kernels.available_backends()


@pytest.mark.parametrize("backend", _backends())
def test_the_default_scenario_at_a_fixed_seed_gives_the_recorded_numbers(backend):
    from riskmodel.sim import kernels

    expected_finish, expected_cost = read()
    assert len(expected_finish) == len(expected_cost) == KEPT
    with kernels.using(backend):
        finish, cost = run()
    # compared as hex so that a failure shows the exact bits
    assert [x.hex() for x in finish] == [x.hex() for x in expected_finish], (
        "what a seed means has changed (finish); if on purpose, rewrite "
        "tests/data/golden_seed.txt (see this test's docstring)")
    assert [x.hex() for x in cost] == [x.hex() for x in expected_cost], (
        "what a seed means has changed (cost); if on purpose, rewrite "
        "tests/data/golden_seed.txt (see this test's docstring)")


@pytest.mark.parametrize("backend", _backends())
def test_the_default_scenario_at_a_fixed_seed_gives_the_recorded_document(backend):
    from riskmodel.sim import kernels

    with kernels.using(backend):
        doc = document()
    expected = json.loads(DOCUMENT.read_text())
    # JSON's floats are repr's, which read back to the same bits: compared as text
    assert json.dumps(doc, indent=1, sort_keys=True) == json.dumps(expected, indent=1,
                                                                   sort_keys=True), (
        "what a seed means has changed (the summary document); if on purpose, rewrite "
        "tests/data/golden_document.json (see this test's docstring)")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--write":
        sys.exit(__doc__)
    write(sys.argv[2])
