"""The PERT set-up's disk cache: the tables are the same bits whether it was warm, cold or
off; a corrupt, truncated or foreign file is ignored and written again."""
import os

import numpy as np
import pytest

from riskmodel.sim import pert
from riskmodel.sim.distributions import Pert

SHAPES = [(0, 0.3, 1, 4), (1.5, 2, 2.5, 4), (0, 0.02, 1, 50)]


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """This process's tables forgotten for the test (and given back after it)."""
    monkeypatch.setattr(pert, "_PERT_TABLES", {})
    monkeypatch.setattr(pert, "_PERT_STACKS", {})
    monkeypatch.delenv("RISKMODEL_NO_CACHE", raising=False)
    monkeypatch.setenv("RISKMODEL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "pert"


def dists():
    return [Pert(min=a, mode=m, max=b, **{"lambda": lam}) for a, m, b, lam in SHAPES]


def built() -> list:
    """Every table's coefficients and grid, as bytes, after building them anew."""
    pert._PERT_TABLES.clear()
    pert._PERT_STACKS.clear()
    out = []
    for d in dists():
        tables = d._tables
        out.append(None if tables is None else
                   [(t.x0, t.h, t.last, t.coef.tobytes()) for t in tables])
    return out


def test_warm_cold_and_off_give_the_same_bits(fresh, monkeypatch):
    cold = built()
    assert len(list(fresh.glob("*.bin"))) == len(SHAPES)
    assert not list(fresh.glob(".tmp-*"))
    warm = built()
    monkeypatch.setenv("RISKMODEL_NO_CACHE", "1")
    assert pert.cache_dir() is None
    off = built()
    assert cold == warm == off and None not in cold
    u = np.random.default_rng(1).random((len(SHAPES), 5000))
    u[:, :3] = [1e-20, 0.5 * 2.0**-8, 1 - 1e-3]  # beyond the tables, a tail, the upper tail
    first = pert._pert_rows(dists(), u)
    monkeypatch.delenv("RISKMODEL_NO_CACHE")
    built()
    np.testing.assert_array_equal(first, pert._pert_rows(dists(), u))


def test_the_cache_is_read_not_rebuilt(fresh, monkeypatch):
    built()

    def not_again(self):
        raise AssertionError("the exact inverse was computed again")

    monkeypatch.setattr(Pert, "_exact_values", not_again)
    assert None not in built()


@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign", "empty"])
def test_a_damaged_file_is_ignored_and_written_again(fresh, damage):
    good = built()
    files = sorted(fresh.glob("*.bin"))
    for path in files:
        data = bytearray(path.read_bytes())
        if damage == "truncated":
            data = data[: len(data) // 2]
        elif damage == "flipped":
            data[len(data) // 2] ^= 1
        elif damage == "foreign":
            data = data.replace(b'"layout": 1', b'"layout": 9')
        else:
            data = bytearray()
        path.write_bytes(bytes(data))
    assert built() == good
    assert all(p.read_bytes() != b"" for p in files)
    assert built() == good  # and the rewritten files read back


def test_an_unwritable_cache_is_skipped(fresh, monkeypatch, tmp_path):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("RISKMODEL_CACHE_DIR", str(tmp_path / "file"))  # not a folder
    assert None not in built()


def test_default_location_follows_the_platform(monkeypatch, tmp_path):
    monkeypatch.delenv("RISKMODEL_NO_CACHE", raising=False)
    monkeypatch.delenv("RISKMODEL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if os.name == "posix" and pert.sys.platform != "darwin":
        assert pert.cache_dir() == tmp_path / "riskmodel" / "pert"
    monkeypatch.setenv("RISKMODEL_NO_CACHE", "0")
    assert pert.cache_dir() is not None


def test_a_failed_check_is_the_same_from_the_cache(fresh, monkeypatch):
    monkeypatch.setattr(Pert, "TOLERANCE", 1e-30)  # no table passes: the exact inverse
    assert built() == built() == [None] * len(SHAPES)
    u = np.random.default_rng(2).random((len(SHAPES), 100))
    exact = [d.min + (d.max - d.min) * d._exact(row) for d, row in zip(dists(), u)]
    np.testing.assert_array_equal(pert._pert_rows(dists(), u), exact)


def test_stacked_tables_are_kept_once_and_read_the_same(fresh):
    before = built()
    u = np.random.default_rng(2).random((len(SHAPES), 2000))
    x = pert._pert_rows(dists(), u)  # stacks the shapes' tables for the kernel
    (stack,) = pert._PERT_STACKS.values()
    for d, table in zip(dists(), before):
        # each shape's own table is now a view of its rows in the stack: one copy
        assert all(np.shares_memory(t.coef, s.coef) for t, s in zip(d._tables, stack[:3]))
        assert [(t.x0, t.h, t.last, t.coef.tobytes()) for t in d._tables] == table
        np.testing.assert_array_equal(d.ppf(u[0, :50]),
                                      pert._pert_rows([d], u[:1, :50])[0])
    np.testing.assert_array_equal(x, pert._pert_rows(dists(), u))
