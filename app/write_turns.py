"""Writers of a SQLite file take turns, first come first served.

SQLite queues no one: a writer that finds the database locked sleeps and retries (its busy
handler's sleeps grow to 100 ms), so under a steady stream of writes the writer that has
waited longest keeps losing the lock to newer ones until `busy_timeout` runs out, and its
request gets a 503. The mixed-load test (`tests/test_mixed_load.py`, `make load`) showed it.
Here a write request first waits for its turn: by arrival among the requests of its process,
then among processes on an exclusive `flock` of `<database>-writers`, which the kernel drops if
its holder dies. It keeps the turn until its session closes, so its `BEGIN IMMEDIATE` finds the
database free. PostgreSQL needs none of this: its row locks queue.
"""

import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from app.errors import UnavailableError

TURN_TIMEOUT = 10.0  # seconds a write waits for its turn, as SQLite's busy_timeout
_POLL = 0.002  # seconds between tries of the file lock held by another process


class WriteTurns:
    """The queue of one SQLite file's writers in this process, and its lock among processes."""

    def __init__(self, lock_path: str) -> None:
        self._lock_path = lock_path
        self._fd: int | None = None
        self._changed = threading.Condition()
        self._queue: deque[object] = deque()

    @contextmanager
    def turn(self, timeout: float = TURN_TIMEOUT) -> Iterator[None]:
        """Hold the turn inside the block; 503 when it does not come within `timeout`."""
        deadline = time.monotonic() + timeout
        me = object()
        with self._changed:
            self._queue.append(me)
            while self._queue[0] is not me:
                if not self._changed.wait(deadline - time.monotonic()):
                    self._leave(me)
                    raise _busy()
        try:
            self._lock_file(deadline)
        except BaseException:
            with self._changed:
                self._leave(me)
            raise
        try:
            yield
        finally:
            assert self._fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            with self._changed:
                self._leave(me)

    def _lock_file(self, deadline: float) -> None:
        if self._fd is None:
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _busy() from None
                time.sleep(_POLL)

    def _leave(self, me: object) -> None:
        self._queue.remove(me)
        self._changed.notify_all()


def _busy() -> UnavailableError:
    return UnavailableError("The database is busy; nothing was written. Retry.")


_TURNS: dict[str, WriteTurns] = {}
_TURNS_LOCK = threading.Lock()


def write_turns(engine: Engine) -> WriteTurns | None:
    """The turns of the SQLite file behind `engine` (one per process); None for PostgreSQL and
    in-memory SQLite."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = os.path.abspath(url.database)
    with _TURNS_LOCK:
        return _TURNS.setdefault(path, WriteTurns(f"{path}-writers"))
