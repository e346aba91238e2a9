"""Work spread over worker processes: the analysis is CPU-bound Python, and threads of one
process take turns on the GIL, so releases are analysed in a few processes side by side.

``run_chains`` runs chains of items (the releases of one series, oldest first): the items of a
chain one after the other, so a later one can use what the earlier one stored (a patch release
finds its predecessor's answer), different chains side by side, at most ``workers`` tasks at
once. Before an item is handed to a worker, ``settled(item)`` may finish it in this process (its
answer is already stored). A task's result comes back pickled (plain data: the report model's
records, never a source tree).

Order: when a worker is free, the chain it takes is decided by what is known of the items, not
by their names (``Chains.cost``: e.g. the bytes a release's read plan says its analysis reads).
A chain whose next item has no estimate goes first, in the order given (e.g. a release that
has no read plan of its own yet: in order, it replays the plan its predecessor recorded);
then the chain with the most estimated work left (its arrived items' costs added up), so the
longest chain does not run alone at the end. Without ``cost``: the order given.

Bounds and failures: each worker runs one task at a time. Forked from a fork server (the
usual case), a worker runs one task and ends: its memory goes back to the system at once, and
its cyclic garbage collector stays off (an analysis leaves some 300,000 objects in cycles;
collecting them costs ~12 % of the analysis' CPU, ending the process nothing). Started by
``spawn`` (no fork server), where a new worker imports the tool again, it is replaced after
``MAX_TASKS_PER_WORKER`` tasks (so memory a long run accumulates in one process is returned).
A task's exception comes back as its result's error (the task function catches it); a worker
that dies (killed, out of memory) breaks the pool: the tasks that were running are run again,
each alone in a fresh worker, and the one that kills its worker alone is reported through
``died`` -- every other item is still done.

Lines a task says (``say``) reach the caller's ``detail`` callable through a queue, as they
happen. A task runs in the environment of the process that asked (the bounds of
``sources/limits.py`` are read from it), as of when it was handed over.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")
Say = Callable[[str], None]

MAX_TASKS_PER_WORKER = 8  # spawn: a worker is replaced after this many tasks (memory returned)
DEFAULT_MAX_WORKERS = 4  # the default number of workers is the CPUs, at most this many
FETCHING_EXTRA = 1  # ...and this many more when the tasks fetch their files over the network
JOBS_ENV = "TFINIT_AUDIT_JOBS"

_events: Any = None  # in a worker: the queue its lines go to (None: nobody listens)


def default_jobs(fetching: bool = False) -> int:
    """Worker processes by default: ``$TFINIT_AUDIT_JOBS``, else the CPUs this process may use
    (at most ``DEFAULT_MAX_WORKERS``); with ``fetching`` (the tasks read files over the
    network, so each worker sleeps on round trips part of its time: a cold analysis ~20 %, and
    alone at the end of a run half of it) ``FETCHING_EXTRA`` more, so that the CPUs have an
    analysis to run while one waits. Bounded: one more worker's memory (~130 MB)."""
    env = os.environ.get(JOBS_ENV, "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, DEFAULT_MAX_WORKERS)) + (FETCHING_EXTRA if fetching else 0)


def say(line: str) -> None:
    """In a task: pass one progress line to the caller (nothing if nobody listens)."""
    if _events is not None:
        _events.put(line)


def _init_worker(events: Any, one_task: bool) -> None:
    global _events
    _events = events
    if one_task:  # the process ends after its task: its garbage is never worth collecting
        gc.disable()


def _run_task(environ: dict[str, str], fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """In a worker: ``fn(*args)`` in the environment of the process that asked. A worker forks
    from a server started earlier; the environment of now (the bounds, proxies) is the one a
    process started now would have."""
    if environ != os.environ:
        os.environ.clear()
        os.environ.update(environ)
    return fn(*args)


def _submit(pool: _Pool, fn: Callable[..., Any], args: tuple[Any, ...]) -> Future[Any]:
    """Hand a task to the pool; where no worker process can be started at all (no
    semaphores, a process limit), the task runs here instead, as it would with one job."""
    if not pool.inline:
        try:
            fut = pool.executor.submit(_run_task, dict(os.environ), fn, args)
        except (OSError, ImportError, NotImplementedError, ValueError) as exc:
            if pool.submitted:
                raise
            pool.inline = f"{type(exc).__name__}: {exc}"
        else:
            pool.submitted = True
            return fut
    done: Future[Any] = Future()
    try:
        done.set_result(fn(*args))
    except Exception as exc:  # noqa: BLE001 - handed over like a worker's error
        done.set_exception(exc)
    return done


def _context() -> Any:
    """``forkserver`` where there is one: workers fork from a clean server process that has
    imported the tool once (no threads, sessions or locks of this process are inherited, and a
    new worker starts in milliseconds); else ``spawn``. Either way a worker does not run the
    caller's main module again (``processes.py``): a script that calls ``audit`` at top level,
    with no ``if __name__ == "__main__":`` guard, works as it would in one process."""
    import multiprocessing

    from tfinit_audit import processes

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = processes.ForkServerWorkers()
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return processes.SpawnWorkers()


def prepare() -> None:
    """Start the fork server now (where there is one), without waiting for it: it imports
    ``PRELOAD`` (~0.25 s) while this process does other work, so that the first worker
    started later forks at once. Nothing if it is running already; nothing with ``spawn``."""
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    _context()  # the server's preload list
    with contextlib.suppress(OSError):  # no process can start: the first task says so
        forkserver.ensure_running()


# What the fork server imports once, so that a worker forked from it (one a task) starts with
# the analysis and the HTTP transport loaded (~0.4 s of imports each otherwise), and with what
# the tool imports only when first needed (to keep a warm run light) that every remote task
# needs: the cache's file locks (a read plan is recorded under one, ~30 ms) and what requests
# reads the netrc file with; and the TLS context with the CA bundle loaded (sources/tls_warm.py).
PRELOAD = ["tfinit_audit.stages", "tfinit_audit.analysis.run", "tfinit_audit.sources.transport",
           "filelock", "netrc", "tfinit_audit.sources.tls_warm"]


def tasks_per_worker(mp: Any) -> int:
    """Tasks a worker of the multiprocessing context ``mp`` runs before it is replaced: one
    when it forks from a server that has imported the tool, else ``MAX_TASKS_PER_WORKER``."""
    return 1 if mp.get_start_method() == "forkserver" else MAX_TASKS_PER_WORKER


class _Pool:
    """A process pool and the thread that forwards the workers' lines, started when the first
    task is handed over (a run whose items all settle here starts no process)."""

    def __init__(self, workers: int, detail: Say | None) -> None:
        self.workers, self.detail = workers, detail
        self.inline: str | bool = False  # why no process could be started (tasks run here)
        self.submitted = False  # a task was handed to a worker process
        self._executor: ProcessPoolExecutor | None = None
        self.events: Any = None
        self._listener: threading.Thread | None = None

    @property
    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._start()
        assert self._executor is not None
        return self._executor

    def _start(self) -> None:
        from concurrent.futures import ProcessPoolExecutor

        workers, detail = self.workers, self.detail
        mp = _context()
        self.events = mp.Queue() if detail is not None else None
        tasks = tasks_per_worker(mp)
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=mp, initializer=_init_worker,
            initargs=(self.events, tasks == 1), max_tasks_per_child=tasks)
        if self.events is not None and detail is not None:
            self._listener = threading.Thread(target=self._forward, args=(self.events, detail),
                                              name="tfa-worker-lines", daemon=True)
            self._listener.start()

    @staticmethod
    def _forward(events: Any, detail: Say) -> None:
        while True:
            try:
                line = events.get()
            except (EOFError, OSError):
                return
            if line is None:
                return
            detail(line)

    def close(self) -> None:
        if self._executor is None:
            return
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self.events is not None:
            self.events.put(None)
            if self._listener is not None:
                self._listener.join(timeout=5)
            self.events.close()
            self.events.join_thread()


class Chains(Generic[T]):
    """What ``run_chains`` does with the items (see the module docstring)."""

    def __init__(
        self,
        settled: Callable[[T], bool],
        task: Callable[[T], tuple[Callable[..., Any], tuple[Any, ...]]],
        done: Callable[[T, Any], None],
        died: Callable[[T, str], None],
        arrival: Callable[[T], Future[Any]] | None = None,
        cost: Callable[[T], float | None] | None = None,
    ) -> None:
        self.settled = settled  # True when the item is finished here (no task needed)
        self.task = task  # the picklable function and arguments of the item's task
        self.done = done  # the task's result for the item
        self.died = died  # the item's worker died even when it ran alone
        self.arrival = arrival  # done when the item may start (its release fetched)
        self.cost = cost  # the item's estimated work once arrived (None: not known), asked once


def run_chains(chains: Sequence[Sequence[T]], how: Chains[T], workers: int,
               detail: Say | None = None) -> None:
    """Run every item of ``chains`` (see the module docstring). With ``how.arrival``, an item
    starts (and ``settled`` is asked) only once its arrival future is done."""
    queues = [deque(c) for c in chains if c]
    pool = _Pool(workers, detail)
    running: dict[Future[Any], tuple[int, T]] = {}
    asked: set[int] = set()
    costs: dict[int, float | None] = {}
    try:
        while True:
            waiting = _settle(queues, running, how, asked)
            if len(running) < workers:
                _fill(queues, running, how, pool, workers, asked,
                      _order(queues, how, costs, asked))
            if not running and not waiting:
                return
            finished, _ = wait([*running, *waiting], return_when=FIRST_COMPLETED)
            broken: list[T] = []
            for fut in finished:
                if fut not in running:
                    continue  # an arrival: the next _fill starts its item
                _, item = running.pop(fut)
                try:
                    result = fut.result()
                except BrokenExecutor:  # the pool broke: a worker died
                    broken.append(item)
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. a result that did not unpickle
                    how.died(item, f"its analysis process failed: {type(exc).__name__}: {exc}")
                    continue
                how.done(item, result)
            if broken:  # a worker died: every task that was running is suspect
                broken += [item for _, item in running.values()]
                running.clear()
                pool.close()
                for item in broken:
                    _alone(item, how, detail)
                pool = _Pool(workers, detail)
    finally:
        pool.close()


def _arrived(item: T, how: Chains[T]) -> bool:
    arrived = how.arrival(item) if how.arrival is not None else None
    return arrived is None or arrived.done()


def _order(queues: list[deque[T]], how: Chains[T], costs: dict[int, float | None],
           asked: set[int]) -> list[int]:
    """The chains' indices in the order their heads are offered a worker (module docstring):
    a head of unknown cost first (in the order given), then the most estimated work left.
    Only chains whose head needs a task (asked, not settled) are estimated, and only their
    arrived items; ``costs`` keeps each item's estimate by id (asked once)."""
    if how.cost is None:
        return list(range(len(queues)))
    cost = how.cost

    def known(item: T) -> float | None:
        if id(item) not in costs:
            if not _arrived(item, how):
                return None  # asked once it has arrived
            costs[id(item)] = cost(item)
        return costs[id(item)]

    def key(i: int) -> tuple[int, float, int]:
        queue = queues[i]
        if not queue or id(queue[0]) not in asked:
            return (2, 0.0, i)
        left = [known(item) for item in queue]
        return (0 if left[0] is None else 1, -sum(c for c in left if c is not None), i)

    return sorted(range(len(queues)), key=key)


def _settle(queues: list[deque[T]], running: dict[Future[Any], tuple[int, T]], how: Chains[T],
            asked: set[int]) -> list[Future[Any]]:
    """Settle the heads of chains that have nothing running, in the order given, each chain
    up to a head that needs a task (``settled`` is asked once per item, ``asked`` holds their
    ids); returns the arrival futures of heads not yet arrived, to wait for. Before any cost is
    asked: a run whose answers are all stored estimates nothing."""
    busy = {i for i, _ in running.values()}
    waiting: list[Future[Any]] = []
    for i, queue in enumerate(queues):
        while queue and i not in busy:
            item = queue[0]
            arrived = how.arrival(item) if how.arrival is not None else None
            if arrived is not None and not arrived.done():
                waiting.append(arrived)
                break
            if id(item) in asked:
                break
            asked.add(id(item))
            if not how.settled(item):
                break
            queue.popleft()
    return waiting


def _fill(queues: list[deque[T]], running: dict[Future[Any], tuple[int, T]], how: Chains[T],
          pool: _Pool, workers: int, asked: set[int], order: Sequence[int]) -> None:
    """Start the heads of chains that have nothing running and that ``_settle`` asked (and
    could not settle), chains in ``order``, while fewer than ``workers`` tasks run. A head
    that arrived since is left to the next ``_settle`` (its stored answer is asked first)."""
    busy = {i for i, _ in running.values()}
    for i in order:
        if len(running) >= workers:
            break
        queue = queues[i]
        if not queue or i in busy or id(queue[0]) not in asked:
            continue
        item = queue.popleft()
        fn, args = how.task(item)
        running[_submit(pool, fn, args)] = (i, item)
        busy.add(i)


def _alone(item: T, how: Chains[T], detail: Say | None) -> None:
    """Run one item's task in a fresh worker of its own; if that worker dies too, the item is
    the one that kills it."""
    if how.settled(item):
        return
    pool = _Pool(1, detail)
    try:
        fn, args = how.task(item)
        try:
            result = _submit(pool, fn, args).result()
        except BrokenExecutor:  # the pool broke: a worker died
            how.died(item, "its analysis process ended abruptly (killed, or out of memory)")
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a result that did not unpickle
            how.died(item, f"its analysis process failed: {type(exc).__name__}: {exc}")
            return
        how.done(item, result)
    finally:
        pool.close()
