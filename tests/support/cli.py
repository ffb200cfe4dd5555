"""Run the command line as users run it: `python -m app ...` in a child process."""

import os
import subprocess
import sys


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    # A wide terminal, so that rich never wraps or truncates a table cell.
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "240"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=120
    )
