"""Two lanes: the optional steps of a demo in two processes writing one database.

The default on PostgreSQL (on two cores or more, :func:`community_governance.cli.demo.
demo_lanes`): the server takes both processes' write transactions at once (row locks; the
services lock what they share in a stable order), and one process's Python runs while the
other waits for the server, so the build takes about the time of the client's work rather
than the client's and the server's one after the other. On SQLite it is opt-in
(``CGOV_DEMO_LANES=2``): there the two take turns at the single write lock.

The optional steps of a demo are mostly Python (drawing the data, the services' checks) with
short write transactions between, so on a machine with two cores they can run side by side:
:class:`SecondLane` is a second process (started with ``spawn``, so nothing of the caller's
connections or threads is shared) that opens the same database through the same public
façade and runs the steps of :data:`~community_governance.demo.config.SECOND_LANE`, while the
calling process runs the others. SQLite (WAL, ``BEGIN IMMEDIATE``) lets one writer at a time
in; the other waits for the lock, not for the other's Python. Each step waits for the steps
:data:`~community_governance.demo.config.STEP_AFTER` names (in either lane), so every step
reads what it reads in the sequential order: the demo built is the same (same headline; keys
drawn at random, such as a case's, differ as they do between any two runs). Every write goes
through the services with their checks and audit rows (each process writes its own audit
stream, as two servers would).

The lane is started early (:meth:`SecondLane.start`, before the city is generated), so that
its imports and its opening of the database overlap the caller's work; the steps are sent
once the registry is written.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from community_governance.demo.config import SECOND_LANE, STEP_AFTER, CountyDemo
from community_governance.demo.registry import Timer
from community_governance.domain.access import Actor
from community_governance.errors import CgovError
from community_governance.simulation.city import City

__all__ = ["LaneFailed", "SecondLane", "run_in_lanes"]

#: seconds between two checks that the second lane is still alive while waiting for it
_POLL = 0.5


class LaneFailed(CgovError):
    """The second lane's process stopped with an error that is not a library error (its
    traceback is the message): a bug, not a refused step."""


class SecondLane:
    """The second process of a two-lane build.

    Args:
        reopen: a picklable function of no argument that opens the same database (a
            :class:`~community_governance.Governance`), e.g. a :func:`functools.partial` of
            :func:`community_governance.open` with the URL and the data key.
    """

    def __init__(self, reopen: Callable[[], Any]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._inbox: Any = ctx.Queue()   # to the lane: the plan, then the steps done here
        self._outbox: Any = ctx.Queue()  # from the lane: ticks, steps done, the end
        self._process = ctx.Process(target=_serve, args=(reopen, self._inbox, self._outbox),
                                    name="cgov-demo-lane", daemon=True)
        self.cpu_total = 0.0
        #: per process, the seconds it held the write lock and waited for it
        self.lock_s: dict[str, tuple[float, float]] = {}

    def start(self) -> SecondLane:
        """Start the process (it imports the library and opens the database meanwhile)."""
        self._process.start()
        return self

    def send(self, message: tuple[Any, ...]) -> None:
        """Send ``message`` to the lane."""
        self._inbox.put(message)

    def receive(self) -> tuple[Any, ...] | None:
        """The lane's next message, or ``None`` after :data:`_POLL` seconds without one;
        raises :class:`LaneFailed` when the process is gone."""
        try:
            return tuple(self._outbox.get(timeout=_POLL))
        except queue.Empty:
            if not self._process.is_alive():
                raise LaneFailed(f"the demo's second process stopped (exit code "
                                 f"{self._process.exitcode}) before it finished its steps; "
                                 "build the demo again") from None
            return None

    def close(self) -> None:
        """Stop the process (it has finished, or the build is given up)."""
        self._inbox.put(("stop",))
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()

    def __enter__(self) -> SecondLane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _WriteGate:
    """One writing process at a time, handed over as soon as the writer commits.

    SQLite lets one writer in and has the other poll with growing sleeps (its busy handler),
    which costs tens of milliseconds a transaction when two processes take turns at many short
    ones; a lock file taken (``flock``) around each write transaction wakes the waiting
    process at once instead. Reads are not gated (WAL readers never wait). A database server
    is not gated at all (its held and waited seconds stay 0).
    """

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._depth = 0
        self._since = 0.0
        #: seconds spent holding the lock, and waiting for it (how much the lanes overlap)
        self.held_s = 0.0
        self.waited_s = 0.0

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        import fcntl

        if self._depth == 0:
            asked = time.perf_counter()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._since = time.perf_counter()
            self.waited_s += self._since - asked
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.held_s += time.perf_counter() - self._since
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


@contextlib.contextmanager
def _gated(gov: Any, path: str) -> Iterator[_WriteGate]:
    """Gate ``gov``'s write transactions with the lock file ``path`` (see :class:`_WriteGate`)
    while the block runs."""
    store = gov.store
    original = store.unit_of_work
    gate = _WriteGate(path)
    if getattr(store, "dialect", "sqlite") != "sqlite":
        # a server takes concurrent writers as they come (row locks): nothing to hand over
        try:
            yield gate
        finally:
            gate.close()
        return

    @contextlib.contextmanager
    def unit_of_work(*, write: bool) -> Iterator[Any]:
        if not write:
            with original(write=False) as uow:
                yield uow
            return
        with gate.held(), original(write=True) as uow:
            yield uow

    store.unit_of_work = unit_of_work
    try:
        yield gate
    finally:
        del store.unit_of_work  # the class's method again
        gate.close()


def _serve(reopen: Callable[[], Any], inbox: Any, outbox: Any) -> None:
    """The second lane's process: open the database, then run the steps it is sent, each
    once the steps it waits for are done (in either lane)."""
    try:
        gov = reopen()
    except BaseException:
        outbox.put(("crash", traceback.format_exc()))
        return
    try:
        message = inbox.get()
        if message[0] != "plan":
            return
        _, tasks, year, actor, gate = message
        with _gated(gov, gate) as held:
            _run_tasks(gov, tasks, year, actor, inbox, outbox)
            outbox.put(("end", round(time.process_time(), 3), round(held.held_s, 3),
                        round(held.waited_s, 3)))
    except BaseException:
        outbox.put(("crash", traceback.format_exc()))
    finally:
        gov.close()


def _run_tasks(gov: Any, tasks: Sequence[tuple[Any, ...]], year: int, actor: Actor,
               inbox: Any, outbox: Any) -> None:
    """The second lane's steps, each once the steps it waits for are done."""
    done: set[str] = set()
    for label, step, county, seed, waits in tasks:
        while not set(waits) <= done:
            got = inbox.get()
            if got[0] == "stop":
                return
            done.add(got[1])
        outbox.put(("begin", label))
        began, cpu = time.perf_counter(), time.process_time()
        problem = None

        def tick(d: int, t: int, label: str = label) -> None:
            outbox.put(("tick", label, d, t))

        try:
            from community_governance.demo.build import step_call

            step_call(gov, step, county, None, seed=seed, year=year, actor=actor)(tick)
        except CgovError as exc:
            problem = f"{label}: {exc}"
        done.add(label)
        outbox.put(("done", label, round(time.perf_counter() - began, 3),
                    round(time.process_time() - cpu, 3), problem))


def _waits(label: str, step: str, k: int, tasks: Sequence[tuple[str, str, int]],
           steps: set[str]) -> list[str]:
    """The labels task ``label`` waits for: the steps of its county that it comes after
    (:data:`STEP_AFTER`), ``grids``, and every step of the counties built before it."""
    return [other for other, s, j in tasks if other != label and (
        (j == k and s in STEP_AFTER.get(step, ()) and s in steps)
        or (s == "grids" and step != "grids") or j < k)]


def run_in_lanes(gov: Any, lane: SecondLane, counties: Sequence[tuple[CountyDemo, City]],
                 tasks: Sequence[tuple[str, str, int]], *, year: int, actor: Actor,
                 timer: Timer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Run ``tasks`` (from :func:`~community_governance.demo.build.step_tasks`) in two lanes:
    :data:`SECOND_LANE`'s in ``lane``, the others here, each after the steps it waits for.

    Returns:
        ``(steps that ran, steps that failed)``, in the sequential order.
    """
    present = {s for _, s, _ in tasks}
    waits = {label: _waits(label, step, k, tasks, present) for label, step, k in tasks}
    theirs = [t for t in tasks if t[1] in SECOND_LANE and t[1] != "grids"]
    ours = [t for t in tasks if t not in theirs]
    fd, gate = tempfile.mkstemp(prefix="cgov-demo-", suffix=".lock")
    os.close(fd)
    try:
        with _gated(gov, gate) as held:
            lane.send(("plan", [(label, step, counties[k][0], counties[k][1].seed,
                                 waits[label]) for label, step, k in theirs],
                       year, actor, gate))
            _done, failed = _Lanes(lane, waits, timer).run(gov, counties, ours, theirs,
                                                          year=year, actor=actor)
            lane.lock_s["this process"] = (round(held.held_s, 3), round(held.waited_s, 3))
    finally:
        os.unlink(gate)
    order = [label for label, _, _ in tasks]
    # the seconds in the sequential order, as a sequential build lists them
    for table in (timer.seconds, timer.cpu):
        rest = {k: v for k, v in table.items() if k not in order}
        ordered = {k: table[k] for k in order if k in table}
        table.clear()
        table.update({**rest, **ordered})
    return (tuple(label for label in order if label not in failed),
            tuple(failed[label] for label in order if label in failed))


class _Lanes:
    """The calling process's side of a two-lane build: its steps, and a thread that takes
    the second lane's messages (progress, steps done, the end)."""

    def __init__(self, lane: SecondLane, waits: dict[str, list[str]], timer: Timer) -> None:
        self.lane = lane
        self.waits = waits
        self.timer = timer
        self.done: set[str] = set()
        self.problems: dict[str, str] = {}
        self.cond = threading.Condition()
        self.crash: list[str] = []

    def listen(self) -> None:
        """Take the lane's messages until its end (or its crash)."""
        timer, cond = self.timer, self.cond
        while True:
            try:
                got = self.lane.receive()
            except LaneFailed as exc:
                got = ("crash", str(exc))
            if got is None:
                continue
            kind = got[0]
            if kind == "begin":
                timer(got[1], 0, 1)
            elif kind == "tick":
                timer(got[1], got[2], got[3])
            elif kind == "done":
                _, label, wall, cpu, problem = got
                timer.seconds[label], timer.cpu[label] = wall, cpu
                with cond:
                    self.done.add(label)
                    if problem is not None:
                        self.problems[label] = problem
                    cond.notify_all()
            else:  # "end" or "crash"
                with cond:
                    if kind == "crash":
                        self.crash.append(got[1])
                    else:
                        self.lane.cpu_total = float(got[1])
                        self.lane.lock_s["second lane"] = (float(got[2]), float(got[3]))
                    cond.notify_all()
                return

    def wait_for(self, labels: Sequence[str]) -> None:
        """Block until the steps ``labels`` are done (in either lane)."""
        with self.cond:
            while not set(labels) <= self.done:
                if self.crash:
                    raise LaneFailed(f"the demo's second process failed:\n{self.crash[0]}")
                self.cond.wait()

    def run(self, gov: Any, counties: Sequence[tuple[CountyDemo, City]],
            ours: Sequence[tuple[str, str, int]], theirs: Sequence[tuple[str, str, int]], *,
            year: int, actor: Actor) -> tuple[set[str], dict[str, str]]:
        """Run ``ours`` here while the lane runs ``theirs``: ``(done, problems)``."""
        from community_governance.demo.build import run_step, step_call

        listener = threading.Thread(target=self.listen, name="cgov-demo-lane-listener",
                                    daemon=True)
        listener.start()
        for label, step, k in ours:
            self.wait_for(self.waits[label])
            county, city = counties[k]
            problem = run_step(step_call(gov, step, county, city, seed=city.seed, year=year,
                                         actor=actor), label, self.timer)
            with self.cond:
                self.done.add(label)
                if problem is not None:
                    self.problems[label] = problem
            self.lane.send(("done", label))
        self.wait_for([label for label, _, _ in theirs])
        listener.join()
        if self.crash:
            raise LaneFailed(f"the demo's second process failed:\n{self.crash[0]}")
        return self.done, self.problems
