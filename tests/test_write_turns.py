"""SQLite writers take turns in arrival order, within a process and across processes."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.errors import UnavailableError
from app.write_turns import WriteTurns

WRITERS = 8


def test_writers_of_one_process_get_their_turns_in_arrival_order(tmp_path: Path) -> None:
    turns = WriteTurns(str(tmp_path / "db-writers"))
    served: list[int] = []
    queued: list[int] = []

    def write(number: int) -> None:
        with turns.turn():
            served.append(number)

    with turns.turn():  # the database is busy while the others arrive, one by one
        threads = []
        for number in range(WRITERS):
            thread = threading.Thread(target=write, args=(number,))
            thread.start()
            threads.append(thread)
            while len(turns._queue) < number + 2:  # queued behind the holder and the earlier ones
                time.sleep(0.001)
            queued.append(number)
    for thread in threads:
        thread.join(timeout=10)
    assert queued == list(range(WRITERS))
    assert served == list(range(WRITERS))


def test_a_turn_held_by_another_process_times_out_as_a_503(tmp_path: Path) -> None:
    lock = tmp_path / "db-writers"
    script = (
        "import fcntl, os, time\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)"
    )
    turns = WriteTurns(str(lock))
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "locked"
            started = time.monotonic()
            with pytest.raises(UnavailableError), turns.turn(timeout=0.3):
                pass
            assert time.monotonic() - started >= 0.3
            assert not turns._queue  # the refused writer left the queue
        finally:
            holder.kill()
    with turns.turn(timeout=5):  # the kernel dropped the dead holder's lock
        pass
