"""Helpers for tests that run the app in separate processes (gunicorn, runserver): ports, start-up, shutdown."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def need(available: bool, what: str) -> None:
    """Skip when a service or tool the test needs is missing; fail instead on CI, which must provide it."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not reachable; CI must provide it")
    pytest.skip(f"{what} is not reachable")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bangdai(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run one ``bangdai`` management command to completion; raises CalledProcessError when it fails."""
    return subprocess.run([str(BIN / "bangdai"), *args], env=env, cwd=ROOT, check=True, capture_output=True)


def wait_until_up(
    url: str,
    what: str,
    *,
    timeout: float = 30,
    process: subprocess.Popen | None = None,
    log: Path | None = None,
) -> None:
    """Poll ``url`` until it answers; fail the test with ``what`` in the message if it never does.

    With ``process``, give up as soon as it exits; with ``log``, add the end of that file to the message.
    """
    deadline, last_error = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            last_error = f"exited with status {process.returncode}"
            break
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        except OSError as error:
            last_error = error
            time.sleep(0.2)
    detail = f"\n{log.read_text(errors='replace')[-3000:]}" if log is not None and log.exists() else ""
    pytest.fail(f"{what} did not start: {last_error}{detail}")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
