"""A real uvicorn serving the app on 127.0.0.1, started and always stopped by the test."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from app.db import create_db_engine
from tests.support.databases import load_seed, migrate, new_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(
    database_url: str, workers: int = 1, timeout: float = 30.0, *, own_group: bool = False
) -> Iterator[tuple[str, "subprocess.Popen[bytes]"]]:
    """Serve `database_url` with `python -m app serve`; yield the base URL and the process
    once it is ready; stop it (if the test has not killed it) when the block ends. With
    `own_group`, the server and its workers form a process group of their own, which a test
    can SIGKILL whole (`os.killpg`)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)]
    log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server never blocks on it
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=own_group
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the server exited early:\n{log.read().decode()}")
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not become ready in time")
            time.sleep(0.05)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                if own_group:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
                process.wait()
        log.close()


@contextmanager
def live_server(database_url: str, workers: int = 1, timeout: float = 30.0) -> Iterator[str]:
    """Serve `database_url` with `python -m app serve`; yield the base URL once it is ready."""
    with serving(database_url, workers, timeout) as (base_url, _process):
        yield base_url


@dataclass(frozen=True)
class SeededServer:
    base_url: str
    engine: Engine  # the served database, for checking what the answers claim
    key_id: int
    headers: dict[str, str]  # a `write` key's


@contextmanager
def seeded_server(url: str, workers: int = 2, timeout: float = 30.0) -> Iterator[SeededServer]:
    """The empty database at `url` migrated, given a write key and seeded (while the workers
    start), and served by `workers` uvicorn workers."""
    migrate(url, seed=False)
    key_id, secret = new_key(url)
    engine = create_db_engine(url)
    try:
        with ThreadPoolExecutor(1) as background:
            seeding = background.submit(load_seed, url)
            with live_server(url, workers=workers, timeout=timeout) as base_url:
                seeding.result()
                headers = {"Authorization": f"Bearer {secret}"}
                yield SeededServer(base_url, engine, key_id, headers)
    finally:
        engine.dispose()
