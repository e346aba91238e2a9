"""The worker processes releases are analysed in (``workers.run_chains``, ``stages.analyse``):
chains run in order, one item of a chain at a time; a worker that dies (killed) fails only the
item that kills it, every other item is done; workers are replaced after a number of tasks;
and through the pipeline, a release that fails in its worker (a zip bomb served by a loopback
index) fails alone, with the same report as in one process."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import worker_tasks
from real_wheel import RNN, RealSources
from synthetic_tf import FILES

from tfinit_audit import pipeline, workers
from tfinit_audit.report.model import _plain
from tfinit_audit.sources import SourceContext
from tfinit_audit.workers import Chains, run_chains


class Log:
    def __init__(self, die_on: tuple[int, ...] = (), fail_on: tuple[int, ...] = (),
                 settled: tuple[int, ...] = (), costs: dict[int, float | None] | None = None
                 ) -> None:
        self.die_on, self.fail_on, self.already = die_on, fail_on, settled
        self.done: dict[int, tuple[Any, ...]] = {}
        self.died: dict[int, str] = {}
        self.asked: list[int] = []
        self.costs = costs
        self.costed: list[int] = []

    def how(self) -> Chains[int]:
        return Chains(settled=self.settled, task=self.task, done=self.finish, died=self.dead,
                      cost=self.cost if self.costs is not None else None)

    def cost(self, item: int) -> float | None:
        assert self.costs is not None
        self.costed.append(item)
        return self.costs[item]

    def started(self) -> list[int]:
        return sorted(self.done, key=lambda i: self.done[i][2])

    def settled(self, item: int) -> bool:
        self.asked.append(item)
        return item in self.already

    def task(self, item: int) -> tuple[Any, tuple[Any, ...]]:
        return worker_tasks.record, (item, self.die_on, self.fail_on)

    def finish(self, item: int, result: tuple[Any, ...]) -> None:
        assert item not in self.done
        self.done[item] = result

    def dead(self, item: int, why: str) -> None:
        self.died[item] = why


CHAINS = [[1, 2, 3], [4, 5], [6], [7, 8]]


def test_chains_run_in_order_one_item_at_a_time() -> None:
    log = Log(settled=(7,))
    run_chains(CHAINS, log.how(), workers=2)
    assert sorted(log.done) == [1, 2, 3, 4, 5, 6, 8]  # 7 was settled here: no task
    assert not log.died
    for chain in CHAINS:
        times = [log.done[i][2:] for i in chain if i in log.done]
        # each item starts after the one before it in its chain has ended
        assert all(b[0] >= a[1] for a, b in zip(times, times[1:], strict=False)), chain
    per = workers.tasks_per_worker(workers._context())
    pids = {r[1] for r in log.done.values()}
    # two workers at a time, each replaced after its quota (fork server: a process per task)
    assert len(pids) <= 2 * -(-len(log.done) // per)
    assert per > 1 or len(pids) == len(log.done)
    spans = sorted(r[2:] for r in log.done.values())
    overlap = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert overlap == 2  # different chains side by side, never more than the workers


def test_the_chain_with_most_work_left_goes_first() -> None:
    # one worker: the order is the schedule's alone. Every cost known: the chain whose items
    # add up to most goes first (4's 10 > 1's 5 > 2+3's 2), asked again as chains shorten
    log = Log(costs={1: 5, 2: 1, 3: 1, 4: 10})
    run_chains([[1], [2, 3], [4]], log.how(), workers=1)
    assert log.started() == [4, 1, 2, 3]
    assert sorted(log.costed) == [1, 2, 3, 4]  # each item's cost asked once


def test_a_head_of_unknown_cost_goes_first_then_the_longest() -> None:
    # 2 has no estimate (no plan of its family yet): it goes first, in the order given; once
    # it is done its chain holds 3, the most work left
    log = Log(costs={1: 5, 2: None, 3: 100, 4: 10, 5: None})
    run_chains([[1], [2, 3], [4], [5]], log.how(), workers=1)
    assert log.started() == [2, 5, 3, 4, 1]


class LateArrival(Future):  # type: ignore[type-arg]
    """A release whose fetch ends while the scheduler is between two looks at it: not done
    when first asked, done from the second time on (or after 0.1 s, if nobody looks again)."""

    def __init__(self) -> None:
        super().__init__()
        self.looks = 0
        self.lock = threading.Lock()
        threading.Timer(0.1, self.arrive).start()

    def arrive(self) -> None:
        with self.lock:
            if not super().done():
                self.set_result(None)

    def done(self) -> bool:
        self.looks += 1
        if self.looks == 2:
            self.arrive()
        return super().done()


def test_stored_answers_are_taken_before_any_cost_is_asked() -> None:
    # a warm run: every item settles here, so no estimate is made (it may load what a warm run
    # never needs, such as a wheel's member table); a chain whose head needs a task is costed
    log = Log(settled=(1, 2, 4, 5, 6), costs={i: 1.0 for i in range(1, 9)})
    run_chains(CHAINS, log.how(), workers=2)
    assert sorted(log.done) == [3, 7, 8] and sorted(log.costed) == [3, 7, 8]
    log = Log(settled=tuple(range(1, 9)), costs={i: 1.0 for i in range(1, 9)})
    run_chains(CHAINS, log.how(), workers=2)
    assert not log.done and not log.costed
    # ...also while the heads arrive after the items behind them (the releases open in any
    # order): a chain is estimated only once its head needs a task
    log = Log(settled=tuple(range(1, 9)), costs={i: 1.0 for i in range(1, 9)})
    opened: dict[int, Future[None]] = {i: Future() for i in range(1, 9)}
    for i in (2, 3, 5, 6, 8):
        opened[i].set_result(None)
    heads = threading.Timer(0.2, lambda: [opened[i].set_result(None) for i in (1, 4, 7)])
    heads.start()
    how = log.how()
    how.arrival = opened.__getitem__
    run_chains(CHAINS, how, workers=2)
    assert not log.done and not log.costed


def test_a_release_arriving_mid_round_is_asked_for_its_stored_answer_first() -> None:
    # every answer is stored: no item may reach a worker, however its arrival is timed
    log = Log(settled=tuple(range(1, 9)), costs={i: 1.0 for i in range(1, 9)})
    late = {i: LateArrival() for i in range(1, 9)}
    how = log.how()
    how.arrival = late.__getitem__
    run_chains(CHAINS, how, workers=2)
    assert not log.done and sorted(log.asked) == list(range(1, 9))


def test_ordered_chains_still_lose_nothing_to_a_failure() -> None:
    # a task that kills its worker and one that raises, with the order decided by cost: each
    # fails alone, every other item is done, each chain still in its own order
    log = Log(die_on=(5,), fail_on=(2,), costs={i: float(i) for i in range(1, 9)})
    run_chains(CHAINS, log.how(), workers=2)
    assert set(log.died) == {2, 5} and "ended abruptly" in log.died[5]
    assert sorted(log.done) == [1, 3, 4, 6, 7, 8]
    assert log.done[3][2] >= log.done[1][3]  # 3 after 1 in their chain (2 failed between)
    spans = sorted(r[2:] for r in log.done.values())
    assert max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans) <= 2


def test_a_worker_that_dies_fails_only_its_item() -> None:
    log = Log(die_on=(5,))
    run_chains(CHAINS, log.how(), workers=2)
    assert set(log.died) == {5}
    assert "ended abruptly" in log.died[5]
    assert sorted(log.done) == [1, 2, 3, 4, 6, 7, 8]  # also those running beside it


def test_a_task_that_raises_fails_only_its_item() -> None:
    log = Log(fail_on=(2,))
    run_chains(CHAINS, log.how(), workers=2)
    assert log.died == {2: "its analysis process failed: ValueError: task 2 failed"}
    assert sorted(log.done) == [1, 3, 4, 5, 6, 7, 8]


def test_workers_are_replaced_after_their_quota() -> None:
    items = list(range(3 * workers.tasks_per_worker(workers._context())))
    log = Log()
    run_chains([[i] for i in items], log.how(), workers=1)
    assert sorted(log.done) == items
    pids = [log.done[i][1] for i in items]
    assert len(set(pids)) == 3  # a fresh process every tasks_per_worker tasks


def test_a_worker_of_one_task_never_collects_its_garbage() -> None:
    # forked from the fork server, a worker runs one task and ends: its collector stays off
    # (the process's end returns its memory); a worker of several tasks keeps it on
    got: dict[int, tuple[int, bool]] = {}
    how: Chains[int] = Chains(settled=lambda i: False,
                              task=lambda i: (worker_tasks.collector_on, ()),
                              done=got.__setitem__, died=lambda i, why: None)
    run_chains([[1], [2], [3]], how, workers=2)
    assert sorted(got) == [1, 2, 3]
    one_task = workers.tasks_per_worker(workers._context()) == 1
    assert {on for _, on in got.values()} == {not one_task}
    assert not one_task or len({pid for pid, _ in got.values()}) == 3  # a process each
    assert gc.isenabled()  # the calling process's collector is untouched


def test_default_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(workers.JOBS_ENV, "3")
    assert workers.default_jobs() == 3
    assert workers.default_jobs(fetching=True) == 3  # the variable is exact
    monkeypatch.delenv(workers.JOBS_ENV)
    cpus = workers.default_jobs()
    assert 1 <= cpus <= workers.DEFAULT_MAX_WORKERS
    # workers that sleep on fetches: one more than the CPUs, never more than that
    assert workers.default_jobs(fetching=True) == cpus + workers.FETCHING_EXTRA
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: set(range(64)))
    assert workers.default_jobs(fetching=True) == workers.DEFAULT_MAX_WORKERS + 1


def test_the_extra_worker_is_for_releases_fetched_over_the_network(tmp_path: Path) -> None:
    from tfinit_audit import stages

    online = SourceContext.create(cache_dir=tmp_path / "a", index_url="http://127.0.0.1:9/")
    offline = SourceContext.create(cache_dir=tmp_path / "b", index_url="http://127.0.0.1:9/",
                                   offline=True)
    assert stages._fetching("pypi", online)
    assert not stages._fetching("pypi", offline)  # only what the cache holds: CPU-bound
    assert not stages._fetching(f"dir:{tmp_path}", online)  # a local tree: nothing to wait for


# -- through the pipeline, real sources ---------------------------------------------------------
LSTM = "tf.nn.rnn_cell.LSTMCell"


@pytest.fixture(scope="module")
def real18(real_ctx: SourceContext) -> RealSources:
    return RealSources.fetch(real_ctx, [LSTM])


@pytest.mark.network
@pytest.mark.slow
def test_a_release_failing_in_its_worker_fails_alone(real18: RealSources, index: Any,
                                                     tmp_path: Path) -> None:
    # 1.8.0 and 1.10.0 are the real 1.8.0 files; 1.9.0 is a zip bomb in rnn_cell_impl.py
    index.add_file("tensorflow", *real18.wheel())
    bomb = index.add_file("tensorflow", *real18.wheel("1.9.0", bomb=RNN))
    index.add_file("tensorflow", *real18.wheel("1.10.0"))

    def run(jobs: int) -> Any:
        return pipeline.audit(["1.8.0", "1.9.0", "1.10.0"], symbols=[LSTM],
                              index_url=index.url, cache_dir=tmp_path / f"jobs{jobs}",
                              jobs=jobs)

    pooled, alone = run(2), run(1)
    ok, failed, relabelled = pooled.versions
    assert (ok.status, failed.status, relabelled.status) == ("ok", "error", "ok")
    assert bomb.filename in (failed.error or "") and "16 MiB bound" in (failed.error or "")
    assert failed.exception is not None and failed.exception.exit_code == 3
    assert [_plain(s) for s in ok.symbols] == [_plain(r) for r in real18.results]
    assert [_plain(s) for s in relabelled.symbols] == [_plain(s) for s in ok.symbols]
    for a, b in zip(pooled.versions, alone.versions, strict=True):  # as in one process
        assert (a.status, a.error, a.warnings) == (b.status, b.error, b.warnings)
        assert [_plain(s) for s in a.symbols] == [_plain(s) for s in b.symbols]


def test_workers_see_the_environment_of_now(monkeypatch: pytest.MonkeyPatch) -> None:
    # a worker forks from a server started earlier; the bounds it applies are those set now
    log: dict[int, Any] = {}
    how: Chains[int] = Chains(
        settled=lambda i: False,
        task=lambda i: (worker_tasks.env_value, ("TFINIT_AUDIT_TEST_VALUE",)),
        done=log.__setitem__, died=lambda i, why: None)
    run_chains([[1]], how, workers=1)  # starts the fork server (if not yet)
    monkeypatch.setenv("TFINIT_AUDIT_TEST_VALUE", "now")
    run_chains([[2]], how, workers=1)
    assert log[2] == "now"
    monkeypatch.delenv("TFINIT_AUDIT_TEST_VALUE")
    run_chains([[3]], how, workers=1)
    assert log[3] is None


def test_a_worker_starts_with_the_tls_context_its_fork_server_made() -> None:
    # the CA bundle is loaded once, in the server (workers.PRELOAD: sources/tls_warm.py), not
    # at each worker's first request (~20 ms of CPU each)
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.fail("this platform has no fork server; the test needs one")
    log: dict[int, Any] = {}
    how: Chains[int] = Chains(settled=lambda i: False,
                              task=lambda i: (worker_tasks.tls_contexts, ()),
                              done=log.__setitem__, died=lambda i, why: None)
    run_chains([[1], [2]], how, workers=2)
    assert log == {1: 1, 2: 1}


def test_an_unguarded_script_runs_its_work_once(index: Any, tmp_path: Path) -> None:
    # workers are prepared without the caller's main module: a script calling audit at top
    # level, with no `if __name__ == "__main__":`, is not run again in each worker
    for version in ("1.0.0", "1.1.0"):
        index.add("tensorflow", version, {k: textwrap.dedent(v) for k, v in FILES.items()})
    script = tmp_path / "use_it.py"
    script.write_text(textwrap.dedent(f"""
        import tfinit_audit
        print("started", flush=True)
        report = tfinit_audit.audit(["1.0.0", "1.1.0"], symbols=["tf.Dense"],
                                    index_url={index.url!r}, cache_dir={str(tmp_path / "c")!r},
                                    jobs=2)
        print([(v.label, v.status, v.error) for v in report.versions], flush=True)
    """))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["started",
                                       "[('1.0.0', 'ok', None), ('1.1.0', 'ok', None)]"]
    assert "Traceback" not in run.stderr


def test_no_process_can_start_then_the_tasks_run_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # e.g. a container without /dev/shm semaphores or at its process limit: the work is done
    # in this process, as with --jobs 1, instead of failing
    import multiprocessing
    import os

    class NoProcesses(type(multiprocessing.get_context("spawn"))):  # type: ignore[misc]
        class Process(multiprocessing.get_context("spawn").Process):  # type: ignore[misc]
            def start(self) -> None:
                raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers, "_context", NoProcesses)
    log = Log(fail_on=(6,))
    run_chains(CHAINS, log.how(), workers=2)
    assert sorted(log.done) == [1, 2, 3, 4, 5, 7, 8]
    assert {r[1] for r in log.done.values()} == {os.getpid()}
    assert log.died == {6: "its analysis process failed: ValueError: task 6 failed"}


def test_steps_through_the_workers(index: Any, tmp_path: Path) -> None:
    # each release: fetch, queued, analyse and exactly one done -- also when the analysis runs
    # in a worker (1.0.0, 1.1.0) or is the stored answer of an identical release (1.1.1)
    from tfinit_audit import pipeline

    for version in ("1.0.0", "1.1.0", "1.1.1"):
        index.add("tensorflow", version, {k: textwrap.dedent(v) for k, v in FILES.items()})
    seen: list[Any] = []
    report = pipeline.audit(["1.0.0", "1.1.0", "1.1.1"], symbols=["tf.Dense"],
                            index_url=index.url, cache_dir=tmp_path / "c", jobs=2,
                            steps=seen.append)
    assert [v.status for v in report.versions] == ["ok", "ok", "ok"]
    for i, label in enumerate(["1.0.0", "1.1.0", "1.1.1"]):
        mine = [s for s in seen if s.release == label]
        assert [s.stage for s in mine] == ["fetch", "queued", "analyse", "done"], mine
        assert mine[-1].status == "ok" and all(s.index == i and s.total == 3 for s in mine)
    assert report.versions[2].fetch.files == 0  # 1.1.1 took 1.1.0's stored answer


def test_a_pattern_through_the_workers(index: Any, tmp_path: Path) -> None:
    # `tf.*` analysed in workers: each release's listing comes back with its symbols, the
    # listed milestone reaches the caller's progress, and the report is the one-process one
    from synthetic_tf import LAYERS

    files = {k: textwrap.dedent(v) for k, v in FILES.items()}
    files["tensorflow/layers.py"] = LAYERS + ("\n    def call(self, inputs):\n"
                                              "        return inputs\n")
    files["tensorflow/__init__.py"] += "from tensorflow.layers import Dense as Dense2\n"
    for version in ("1.0.0", "2.0.0"):
        index.add("tensorflow", version, files)

    def run(jobs: int) -> tuple[Any, list[str]]:
        lines: list[str] = []
        report = pipeline.audit(["1.0.0", "2.0.0"], symbols=["tf.*"], index_url=index.url,
                                cache_dir=tmp_path / f"jobs{jobs}", jobs=jobs,
                                progress=lines.append)
        return report, lines

    (pooled, said), (alone, _) = run(2), run(1)
    for v in pooled.versions:
        assert v.status == "ok", v.error
        assert [s.symbol for s in v.symbols] == ["tf.Dense"]  # Dense2 is the same class
        assert [n.pattern for n in v.namespaces] == ["tf.*"]
        assert f"{v.label}: listed tf.*: 1 of 1 public names kept" in said, said
    for a, b in zip(pooled.versions, alone.versions, strict=True):
        assert [_plain(s) for s in a.symbols] == [_plain(s) for s in b.symbols]
        assert [_plain(n) for n in a.namespaces] == [_plain(n) for n in b.namespaces]


def test_the_collector_after_an_analysis_in_this_process() -> None:
    """After an analysis in the calling process the collector is on again, what the analysis
    allocated is not left to the first young collection (it would walk all of it: 0.15 s after
    a 2.15.1 analysis), and the cyclic garbage it made is still collected by a full pass."""
    import weakref

    from tfinit_audit.analysis.audit import _cyclic_gc_paused

    class Node:
        other: object = None

    assert gc.isenabled()
    with _cyclic_gc_paused():
        assert not gc.isenabled()
        kept = [[i] for i in range(200_000)]  # what an analysis keeps (syntax trees, values)
        a, b = Node(), Node()
        a.other, b.other = b, a  # cyclic garbage once the names go
        gone = weakref.ref(a)
        del a, b
    assert gc.isenabled()
    assert gc.get_count()[0] < 1_000, gc.get_count()  # moved on, not waiting in generation 0
    assert gone() is not None
    gc.collect()
    assert gone() is None and len(kept) == 200_000
    # a process that froze objects of its own keeps them frozen
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with _cyclic_gc_paused():
            more = [[i] for i in range(1000)]
        # still frozen (some of them freed meanwhile); unfreezing would leave none
        assert gc.isenabled() and gc.get_freeze_count() > frozen // 2 and len(more) == 1000
    finally:
        gc.unfreeze()


@pytest.mark.network
def test_a_worker_imports_nothing_its_fork_server_did_not(tmp_path: Path) -> None:
    # a worker forks from a server that imported workers.PRELOAD; a real task (a release of
    # PyPI the asking process has opened, analysed and its read plan recorded) imports nothing
    # more: each module imported there is paid again by every task (filelock: ~30 ms)
    cache = tmp_path / "cache"
    opened = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            from tfinit_audit import stages
            (r,) = stages.open_releases(["1.10.1"], cache_dir={str(cache)!r})
            assert r.tree is not None, r.error
        """)], capture_output=True, text=True, timeout=300)
    assert opened.returncode == 0, opened.stderr
    task = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            import json, sys
            from tfinit_audit import workers
            for name in workers.PRELOAD:
                __import__(name)
            before = set(sys.modules)
            from tfinit_audit import stages
            setting = stages.WorkerSetting(
                "pypi", {str(cache)!r}, None, False,
                tuple(stages.symbol_specs(["tf.keras.layers.Dense"])), stages.make_dims())
            record = stages._analyse_in_worker(setting, "1.10.1", "1.10.1")
            print(json.dumps([record.status, len(record.symbols),
                              sorted(set(sys.modules) - before)]))
        """)], capture_output=True, text=True, timeout=300)
    assert task.returncode == 0, task.stderr
    status, symbols, imported = json.loads(task.stdout.splitlines()[-1])
    assert (status, symbols) == ("ok", 1)
    assert imported == []


def test_prepare_starts_the_fork_server_once_and_the_pool_uses_it() -> None:
    from multiprocessing import forkserver

    workers.prepare()  # returns at once; the server imports workers.PRELOAD meanwhile
    pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    assert pid is not None
    os.kill(pid, 0)  # alive
    workers.prepare()
    assert forkserver._forkserver._forkserver_pid == pid  # type: ignore[attr-defined]
    log = Log()
    run_chains([[1, 2], [3]], log.how(), workers=2)
    assert sorted(log.done) == [1, 2, 3] and not log.died
    assert forkserver._forkserver._forkserver_pid == pid  # type: ignore[attr-defined]


@pytest.mark.network
def test_the_workers_server_starts_before_any_tree_when_nothing_is_stored(
        index: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing stored for these symbols: every release will be analysed, so the fork server
    # starts before the index is asked (it imports the tool while the releases are resolved
    # and their trees open); run again, every answer is stored: no server is started
    from tfinit_audit import stages

    for version in ("1.0.0", "1.1.0"):
        index.add("tensorflow", version, {k: textwrap.dedent(v) for k, v in FILES.items()})
    events: list[str] = []
    prepare = stages.prepare_workers

    def spy() -> None:
        events.append("prepare")
        prepare()

    monkeypatch.setattr(stages, "prepare_workers", spy)

    def run() -> Any:
        return pipeline.audit(["1.0.0", "1.1.0"], symbols=["tf.Dense"], index_url=index.url,
                              cache_dir=tmp_path / "c", jobs=2,
                              steps=lambda s: events.append(s.stage))

    assert [v.status for v in run().versions] == ["ok", "ok"]
    assert events[0] == "prepare" and events.index("resolve") < events.index("fetch")
    events.clear()
    assert [v.status for v in run().versions] == ["ok", "ok"]
    assert "prepare" not in events and events.count("done") == 2
    # one release, nothing stored: analysed in this process, no server
    one = pipeline.audit("1.1.0", symbols=["tf.Dense"], index_url=index.url,
                         cache_dir=tmp_path / "other", jobs=2,
                         steps=lambda s: events.append(s.stage))
    assert [v.status for v in one.versions] == ["ok"] and "prepare" not in events
