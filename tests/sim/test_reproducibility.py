"""Same seed, same answer: whatever the workers, chunks, or unrelated inputs."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from riskmodel import load_scenario, simulate
from riskmodel.sim.engine import BLOCK
from tests.conftest import DEFAULT, make, ws


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(DEFAULT)


def same(a, b):
    np.testing.assert_array_equal(a.finish, b.finish)
    np.testing.assert_array_equal(a.cost, b.cost)
    assert a.to_dict() == b.to_dict()


def test_jobs_and_chunks_do_not_change_results(scenario):
    n = 3 * BLOCK + 123
    base = simulate(scenario, iterations=n, seed=5)
    same(base, simulate(scenario, iterations=n, seed=5, jobs=2))
    same(base, simulate(scenario, iterations=n, seed=5, chunk_size=1))
    same(base, simulate(scenario, iterations=n, seed=5, chunk_size=10 * BLOCK))
    with ThreadPoolExecutor(3) as pool:
        same(base, simulate(scenario, iterations=n, seed=5, executor=pool, chunk_size=BLOCK))


def test_different_seeds_differ(scenario):
    a = simulate(scenario, iterations=2000, seed=1)
    b = simulate(scenario, iterations=2000, seed=2)
    assert not np.array_equal(a.finish, b.finish)


def test_a_longer_run_extends_a_shorter_one(scenario):
    a = simulate(scenario, iterations=BLOCK, seed=3)
    b = simulate(scenario, iterations=2 * BLOCK, seed=3)
    np.testing.assert_array_equal(a.finish, b.finish[:BLOCK])


def test_removing_an_unrelated_risk_keeps_every_other_draw():
    risks = [{"id": "r1", "probability": 0.3, "affects": ["a"], "delay": 1},
             {"id": "r2", "probability": 0.5, "affects": ["b"],
              "delay": {"dist": "uniform", "min": 1, "max": 2}}]
    wss = [ws("a", {"dist": "pert", "min": 1, "mode": 2, "max": 4}),
           ws("b", {"dist": "uniform", "min": 1, "max": 3})]
    both = simulate(make(wss, risks=risks), iterations=20_000)
    one = simulate(make(wss, risks=risks[:1]), iterations=20_000)
    np.testing.assert_array_equal(both.detail["duration"][0], one.detail["duration"][0])
    np.testing.assert_array_equal(both.detail["fired"][0], one.detail["fired"][0])
    # b differs only where r2 fired
    fired = both.detail["fired"][1]
    np.testing.assert_array_equal(both.detail["duration"][1][~fired],
                                  one.detail["duration"][1][~fired])


def test_switching_a_risk_off_equals_removing_it():
    risks = [{"id": "r1", "probability": 0.3, "affects": ["a"], "delay": 1},
             {"id": "r2", "probability": 0.5, "affects": ["a"], "delay": 2}]
    wss = [ws("a", {"dist": "pert", "min": 1, "mode": 2, "max": 4})]
    off = simulate(make(wss, risks=risks), iterations=10_000, disabled_risks=["r2"])
    gone = simulate(make(wss, risks=risks[:1]), iterations=10_000)
    np.testing.assert_array_equal(off.finish, gone.finish)
    # and the in-run "without r2" variant equals both
    full = simulate(make(wss, risks=risks), iterations=10_000)
    np.testing.assert_array_equal(full.without_risk["end"][1], gone.finish)
    np.testing.assert_allclose(full.without_risk["cost"][1], gone.cost, rtol=1e-12)


def test_serial_process_pool_and_dask_give_identical_results(scenario, dask_cluster):
    """One body over the execution back-ends: a real Dask LocalCluster included (the
    session's, tests/conftest.py: two worker processes, one thread each)."""
    import distributed

    n = 2 * BLOCK + 77
    serial = simulate(scenario, iterations=n, seed=11)
    same(serial, simulate(scenario, iterations=n, seed=11, jobs=2, chunk_size=BLOCK))
    cluster = dask_cluster
    with distributed.Client(cluster) as client:
        same(serial, simulate(scenario, iterations=n, seed=11, executor=client.get_executor(),
                              chunk_size=BLOCK))
        # the cluster's width sets the tasks: two workers of one thread each
        from riskmodel.simulate import _workers

        assert _workers(client.get_executor(), jobs=1) == 2
        # the command line on the same cluster prints the same document
        import contextlib
        import io
        import json

        from riskmodel.cli import main
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["simulate", str(DEFAULT), "--iterations", str(n), "--seed", "11",
                         "--json", "--scheduler", cluster.scheduler_address]) == 0
        assert json.loads(buf.getvalue()) == json.loads(json.dumps(serial.to_dict()))


def test_tasks_keep_every_worker_of_an_executor_busy():
    """About TASKS_PER_WORKER tasks for each worker the executor has (a Dask cluster of
    20 threads gets 20 times as many tasks as one process, not 16 in all)."""
    import types

    from riskmodel.simulate import TASKS_PER_WORKER, _tasks, _workers

    blocks = list(range(1221))  # 10,000,000 iterations
    for workers in (1, 2, 20):
        tasks = _tasks(blocks, workers, None)
        assert sum(tasks, []) == blocks
        assert 0.9 * TASKS_PER_WORKER * workers <= len(tasks) <= TASKS_PER_WORKER * workers
    assert [len(t) for t in _tasks(blocks[:5], 4, chunk_size=2 * BLOCK)] == [2, 2, 1]
    # threads of this process: a block a task, unless the caller chose the size
    assert _tasks(blocks, 2, None, threads=True) == [[b] for b in blocks]
    assert [len(t) for t in _tasks(blocks[:5], 2, 2 * BLOCK, threads=True)] == [2, 2, 1]

    def client(threads):
        def nthreads():
            if threads is None:
                raise OSError("scheduler unreachable")
            return threads
        return types.SimpleNamespace(_client=types.SimpleNamespace(nthreads=nthreads))

    assert _workers(client({"tcp://a": 8, "tcp://b": 12}), jobs=1) == 20
    assert _workers(client(None), jobs=3) == 3  # unknown: as many as --jobs
    assert _workers(types.SimpleNamespace(_max_workers=5), jobs=1) == 5
    assert _workers(None, jobs=2) == 2 and _workers(None, jobs=1) == 1


def test_tasks_finishing_in_any_order_give_the_same_result(scenario):
    """An executor's tasks are gathered as they finish: here the last submitted finishes
    first, and the result is the serial run's."""
    import threading
    from concurrent.futures import Executor, Future

    class LastFirst(Executor):
        """Runs its tasks once all ``tasks`` are submitted, the last first."""

        def __init__(self, tasks: int):
            self.tasks = tasks
            self.calls: list = []
            self.finished: list = []
            self.all_in = threading.Event()
            threading.Thread(target=self._run, daemon=True).start()

        def submit(self, fn, *args, **kwargs):
            future: Future = Future()
            self.calls.append((future, fn, args, kwargs))
            if len(self.calls) == self.tasks:
                self.all_in.set()
            return future

        def _run(self):
            if not self.all_in.wait(60):  # not all submitted: fail them, do not hang
                for future, *_ in self.calls:
                    future.set_exception(AssertionError("fewer tasks than expected"))
                return
            for k, (future, fn, args, kwargs) in reversed(list(enumerate(self.calls))):
                self.finished.append(k)
                future.set_result(fn(*args, **kwargs))

    n = 3 * BLOCK + 5
    executor = LastFirst(tasks=4)
    got = simulate(scenario, iterations=n, seed=11, executor=executor, chunk_size=BLOCK)
    assert executor.finished == [3, 2, 1, 0]
    same(simulate(scenario, iterations=n, seed=11), got)


def test_a_task_is_let_go_once_its_blocks_are_in(scenario, monkeypatch):
    """A finished task's future (and with it, on Dask, the worker's copy of its results)
    is dropped as soon as its blocks are collected, not held until the last task."""
    import gc
    import weakref
    from concurrent.futures import Executor, Future

    from riskmodel.sim.collect import Collector

    class Immediate(Executor):  # runs each task when it is submitted; keeps no future
        def __init__(self):
            self.futures: list = []

        def submit(self, fn, *args, **kwargs):
            future: Future = Future()
            future.set_result(fn(*args, **kwargs))
            self.futures.append(weakref.ref(future))
            return future

    executor, alive = Immediate(), []
    add = Collector.add

    def counting_add(self, block):
        gc.collect()
        alive.append(sum(ref() is not None for ref in executor.futures))
        add(self, block)

    monkeypatch.setattr(Collector, "add", counting_add)
    simulate(scenario, iterations=4 * BLOCK, seed=11, executor=executor, chunk_size=BLOCK)
    assert alive == [4, 3, 2, 1]  # the one being collected, and those not collected yet


def test_each_risks_fired_iterations_are_gathered_the_same_in_any_order(scenario):
    """The collector appends each block's fired iterations as blocks come in; blocks in
    any order, and a block added twice (a partial last block run again whole), give the
    same arrays as blocks in order, each of its exact length."""
    import random

    from riskmodel.sim.engine import Collector, run_blocks
    from riskmodel.sim.random import as_seed_sequence
    from riskmodel.simulate import build_spec

    spec = build_spec(scenario, None)
    spec.rank_risks = True
    root = as_seed_sequence(7)
    plan = [(b, BLOCK, False) for b in range(5)] + [(5, 100, False)]

    def gathered(order, again=()):
        collector = Collector(sum(size for _, size, _ in plan))
        for b in order:
            collector.add(run_blocks(spec, root, [plan[b]])[0])
        for b, size in again:  # the last block again, longer
            collector.grow(b * BLOCK + size)
            collector.add(run_blocks(spec, root, [(b, size, False)])[0])
        return collector.risk_off()

    expected = gathered(range(6))
    assert expected.risks == len(scenario.risks)
    shuffled = list(range(6))
    random.Random(3).shuffle(shuffled)
    longer = gathered(range(6), again=[(5, 300)])
    for got in (gathered(shuffled), gathered([5, 4, 3, 2, 1, 0])):
        for i in range(got.risks):
            np.testing.assert_array_equal(got.cols[i], expected.cols[i])
            np.testing.assert_array_equal(got.moved[i], expected.moved[i])
            for name in got.NAMES:
                np.testing.assert_array_equal(got.values[name][i], expected.values[name][i])
    # the longer block's own draws replace the shorter one's
    plan[5] = (5, 300, False)
    whole = gathered(range(6))
    for i in range(longer.risks):
        np.testing.assert_array_equal(longer.cols[i], whole.cols[i])
        assert longer.cols[i].dtype == np.int32 and np.all(np.diff(longer.cols[i]) > 0)
        assert longer.cols[i][-1] < 5 * BLOCK + 300
        np.testing.assert_array_equal(longer.moved[i], whole.moved[i])
        for name in longer.NAMES:
            np.testing.assert_array_equal(longer.values[name][i], whole.values[name][i])


def test_a_worker_reuses_one_workspace_for_all_its_tasks(scenario):
    """A pool's worker (``keep_workspace``) runs every task in the same arrays, another
    worker in arrays of its own, and a task's results do not change with what the task
    before it left in them."""
    import threading

    from riskmodel.sim import engine
    from riskmodel.sim.random import as_seed_sequence
    from riskmodel.simulate import build_spec

    spec = build_spec(scenario, None)
    spec.rank_risks = True
    root = as_seed_sequence(7)
    fresh = engine.run_blocks(spec, root, [(2, BLOCK, True)])[0]
    both = threading.Barrier(2)

    def task(blocks):
        both.wait(timeout=30)  # one task on each worker
        work = engine._LOCAL.work
        out = engine.run_blocks(spec, root, blocks)
        return work, {k: b.__array_interface__["data"][0] for k, b in work._buffers.items()}, out

    with ThreadPoolExecutor(2, initializer=engine.keep_workspace) as pool:
        first = [pool.submit(task, [(0, BLOCK, True), (1, 77, False)]) for _ in range(2)]
        (work_a, buffers_a, _), (work_b, _, _) = (f.result() for f in first)
        later = [pool.submit(task, [(2, BLOCK, True)]) for _ in range(2)]
        again = [f.result() for f in later]
    assert work_a is not work_b and buffers_a
    assert {id(w) for w, _, _ in again} == {id(work_a), id(work_b)}
    for work, buffers, (block,) in again:  # the same arrays, the same numbers
        if work is work_a:
            assert buffers == buffers_a
        for name in ("end", "cost", "milestones", "duration_sum", "critical_count"):
            np.testing.assert_array_equal(getattr(block, name), getattr(fresh, name))
        for name, value in fresh.detail.items():
            np.testing.assert_array_equal(block.detail[name], value)
        for name, values in fresh.without_risk.items():
            for a, b in zip(block.without_risk[name], values):
                np.testing.assert_array_equal(a, b)
    assert getattr(engine._LOCAL, "work", None) is None  # not this thread's


def test_jobs_run_on_threads_with_the_compiled_loops_and_processes_without(scenario):
    """The compiled loops let go of Python's lock, so ``jobs`` workers are threads; the
    NumPy loops hold it, so they are processes; either way the same numbers."""
    from concurrent.futures import ProcessPoolExecutor

    from riskmodel.sim.kernels import available_backends, using
    from riskmodel.simulate import _pool

    n = 2 * BLOCK + 99
    base = simulate(scenario, iterations=n, seed=4)
    with using("numpy"):
        with _pool(2) as pool:
            assert isinstance(pool, ProcessPoolExecutor)
        same(base, simulate(scenario, iterations=n, seed=4, jobs=2))
    if "compiled" in available_backends():
        with using("compiled"):
            with _pool(2) as pool:
                assert isinstance(pool, ThreadPoolExecutor)
            same(base, simulate(scenario, iterations=n, seed=4, jobs=2))


def test_threads_take_a_block_a_task(scenario, monkeypatch):
    """``jobs`` threads run a block a task (the last ones end together); a chunk size
    asked for is kept."""
    import sys

    from riskmodel.sim.kernels import available_backends, using

    if "compiled" not in available_backends():
        pytest.skip("threads run the compiled loops only")
    simulate_module = sys.modules["riskmodel.simulate"]  # the package's name is the function
    sizes: list[int] = []
    run_blocks = simulate_module.run_blocks

    def counted(spec, root, blocks):
        sizes.append(len(blocks))
        return run_blocks(spec, root, blocks)

    monkeypatch.setattr(simulate_module, "run_blocks", counted)
    with using("compiled"):
        simulate(scenario, iterations=40 * BLOCK, seed=1, jobs=2)
        assert sizes == [1] * 40
        sizes.clear()
        simulate(scenario, iterations=40 * BLOCK, seed=1, jobs=2, chunk_size=4 * BLOCK)
        assert sizes == [4] * 10


def test_an_interrupted_run_drops_the_tasks_not_started(scenario, monkeypatch):
    """Ctrl-C (or any error while gathering) stops ``jobs`` workers after the tasks they
    are running, not after every task queued."""
    import sys

    from riskmodel.sim.collect import Collector

    simulate_module = sys.modules["riskmodel.simulate"]  # the package's name is the function

    started = []
    run_blocks = simulate_module.run_blocks

    def counted(*args):
        started.append(1)
        return run_blocks(*args)

    def interrupted(self, block):
        raise KeyboardInterrupt

    monkeypatch.setattr(simulate_module, "run_blocks", counted)
    monkeypatch.setattr(Collector, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        simulate(scenario, iterations=64 * BLOCK, seed=1, jobs=2, chunk_size=BLOCK)
    assert 1 <= len(started) <= 6  # of 64 tasks


def test_a_result_keeps_no_room_to_spare_for_rare_risks():
    """Each risk's fired iterations grow ahead of need while the run goes; what the
    result keeps is their exact length (within a sixteenth), however rare the risks."""
    chain = [ws(f"w{i}", {"dist": "pert", "min": 1, "mode": 2, "max": 4},
                [f"w{i - 1}"] if i else ()) for i in range(10)]
    risks = [{"id": f"r{j}", "probability": 0.01, "affects": [f"w{j % 10}"],
              "delay": {"dist": "uniform", "min": 0.5, "max": 1}} for j in range(40)]
    for n in (2000, 5 * BLOCK + 17):
        w = simulate(make(chain, risks=risks), iterations=n, seed=1).without_risk
        for i in range(w.risks):
            for a in (w.cols[i], w.moved[i], *(w.values[name][i] for name in w.NAMES)):
                held = a.base.nbytes if a.base is not None else a.nbytes
                assert held <= a.nbytes + a.nbytes // 16 + 64, (n, i)


def test_detail_joined_at_the_end_keeps_working_durations_as_changes(scenario, monkeypatch):
    """Blocks whose detail is joined at the end keep the working durations as where and
    to what they differ, bit for bit, from the base durations (a few cells: where a risk
    hit), in less room than the array, and give them back whole, the same bits (-0.0 and
    NaN payloads too), when joined; where most cells differ the array is kept."""
    from riskmodel.sim import collect
    from riskmodel.sim.engine import run_blocks
    from riskmodel.sim.random import as_seed_sequence
    from riskmodel.simulate import build_spec

    spec = build_spec(scenario, None)
    block = run_blocks(spec, as_seed_sequence(3), [(0, BLOCK, True)])[0]
    assert block.detail is not None
    base = block.detail["base_duration"]
    duration = block.detail["duration"]
    base[0, 0], duration[0, 0] = 0.0, -0.0  # equal as numbers, not as bits
    duration[0, 1] = np.float32(np.nan)
    expected = duration.copy()
    changed = int((duration.view(np.uint32) != base.view(np.uint32)).sum())
    monkeypatch.setattr(collect, "DETAIL_IN_PLACE_BELOW", 0)
    collector = collect.Collector(BLOCK, detail=BLOCK)
    collector.add(block)
    kept = collector.detail_parts[0]["duration"]
    assert isinstance(kept, collect._Changes)
    assert 0 < kept.at.size == changed
    assert kept.at.nbytes + kept.values.nbytes < expected.nbytes
    detail = collector.detail()
    assert detail is not None
    np.testing.assert_array_equal(detail["duration"].view(np.uint32), expected.view(np.uint32))
    # most cells changed: the array itself is kept
    everywhere = collect._Changes.or_whole(base + np.float32(1), base)
    assert isinstance(everywhere, np.ndarray)


def test_the_detail_is_the_same_gathered_in_place_or_joined_at_the_end(scenario, monkeypatch):
    """Small detail parts are copied into place as blocks come, big ones joined at the
    end (``DETAIL_IN_PLACE_BELOW``): the same arrays either way, in any order of blocks
    and with a partial block run again whole."""
    import copy

    from riskmodel.sim import collect

    def run(limit, **kw):
        monkeypatch.setattr(collect, "DETAIL_IN_PLACE_BELOW", limit)
        return simulate(scenario, seed=3, **kw)

    for kw in ({"iterations": 3 * BLOCK + 5}, {"iterations": 1000, "precision": 0.005}):
        in_place, joined = run(2**62, **kw), run(0, **kw)
        assert in_place.iterations == joined.iterations > BLOCK
        assert in_place.detail.keys() == joined.detail.keys()
        for name, value in joined.detail.items():
            assert value.shape[-1] == joined.iterations
            np.testing.assert_array_equal(in_place.detail[name], value)
    # blocks coming in reverse order, straight into collectors
    from riskmodel.sim.engine import Collector, run_blocks
    from riskmodel.sim.random import as_seed_sequence
    from riskmodel.simulate import build_spec

    spec = build_spec(scenario, None)
    blocks = run_blocks(spec, as_seed_sequence(3), [(b, BLOCK, True) for b in range(3)])
    details = []
    for limit in (2**62, 0):
        monkeypatch.setattr(collect, "DETAIL_IN_PLACE_BELOW", limit)
        collector = Collector(3 * BLOCK, detail=3 * BLOCK)
        for block in reversed(blocks):
            collector.add(copy.deepcopy(block))
        details.append(collector.detail())
    in_place, joined = details
    for name, value in run_blocks(spec, as_seed_sequence(3), [(0, BLOCK, True)])[0].detail.items():
        np.testing.assert_array_equal(joined[name][..., :BLOCK], value)
        np.testing.assert_array_equal(in_place[name], joined[name])


def test_the_detail_grows_once_a_round_and_decides_as_a_whole_block_would(scenario,
                                                                           monkeypatch):
    """A precision round makes room for all its detail blocks at once (not a copy of the
    whole detail at each block), and a partial first block chooses in place or joined
    as a whole block of its parts would."""
    from riskmodel.sim import collect
    from riskmodel.sim.engine import Collector, run_blocks
    from riskmodel.sim.random import as_seed_sequence
    from riskmodel.simulate import build_spec

    spec, root = build_spec(scenario, None), as_seed_sequence(3)
    collector = Collector(BLOCK, detail=BLOCK)
    collector.add(run_blocks(spec, root, [(0, BLOCK, True)])[0])
    collector.grow(3 * BLOCK, detail=3 * BLOCK)
    collector.add(run_blocks(spec, root, [(1, BLOCK, True)])[0])
    arrays = dict(collector.detail_arrays)
    assert all(a.shape[-1] == 3 * BLOCK for a in arrays.values())
    collector.add(run_blocks(spec, root, [(2, BLOCK, True)])[0])
    assert all(collector.detail_arrays[k] is a for k, a in arrays.items())  # no new room
    # a partial block whose parts are small, but a whole block's would not be
    partial = run_blocks(spec, root, [(0, 1000, True)])[0]
    widest = max(v.nbytes // v.shape[-1] for v in partial.detail.values())
    monkeypatch.setattr(collect, "DETAIL_IN_PLACE_BELOW", widest * 1000 + 1)
    collector = Collector(1000, detail=1000)
    collector.add(partial)
    assert collector.detail_parts and not collector.detail_arrays


def test_a_risks_iterations_are_kept_as_bits_when_that_is_smaller():
    """A risk's iterations are kept as int32 numbers while they are fewer than one in 32
    of the run's, as one bit an iteration from then on, in whatever order the blocks
    come (a partial last block first included); read back, both are the iterations
    where it fired, and a partial last block run again whole (precision) leaves no stale
    bit behind."""
    from riskmodel.sim.engine import Collector, run_blocks
    from riskmodel.sim.random import as_seed_sequence
    from riskmodel.simulate import _plan_blocks, build_spec

    chain = [ws(f"w{i}", {"dist": "pert", "min": 1, "mode": 2, "max": 4},
                [f"w{i - 1}"] if i else ()) for i in range(4)]
    risks = [{"id": f"r{j}", "probability": p, "affects": [f"w{j}"],
              "delay": {"dist": "uniform", "min": 0.5, "max": 1}, "cost": 100}
             for j, p in enumerate((0.5, 0.2, 0.02, 0.001))]
    # Latin hypercube: a partial block's draws are not the start of the whole block's
    scenario = make(chain, risks=risks, simulation={"seed": 3, "sampling": "lhs"})
    n = 3 * BLOCK + 2  # a last block of two iterations, in which no risk fires here
    result = simulate(scenario, iterations=n)
    w = result.without_risk
    assert [k.dtype for k in w.cols.kept] == [np.uint8, np.uint8, np.int32, np.int32]
    assert w.cols.kept[0].nbytes == -(-n // 8)
    for i in range(w.risks):
        fired = np.flatnonzero(w.dense("cost", i) != result.cost)
        np.testing.assert_array_equal(w.cols[i], fired)
        assert w.cols[i].dtype == np.int32 and w.moved[i].dtype == np.int32
    assert [len(c) for c in w.cols[1:3]] == [len(w.cols[1]), len(w.cols[2])]  # slices
    # the blocks in reverse, the partial last one first: the same, kept the same way
    spec = build_spec(scenario, None)
    spec.rank_risks = True
    root = as_seed_sequence(3)
    collector = Collector(n)
    for block in reversed(_plan_blocks(n, len(chain))):
        collector.add(run_blocks(spec, root, [block])[0])
    backwards = collector.risk_off()
    for kept, expected in ((backwards.cols, w.cols), (backwards.moved, w.moved)):
        assert [k.dtype for k in kept.kept] == [k.dtype for k in expected.kept]
        for i in range(w.risks):
            np.testing.assert_array_equal(kept[i], expected[i])
    # the bits of the run's last, partial block are written over when it is run whole
    precise = simulate(scenario, iterations=BLOCK + 50, precision=1e-9, max_iterations=n)
    assert precise.iterations == n
    for i in range(w.risks):
        np.testing.assert_array_equal(precise.without_risk.cols[i], w.cols[i])
        np.testing.assert_array_equal(precise.without_risk.values["cost"][i],
                                      w.values["cost"][i])
