"""Helpers for tests that run the app in separate processes (gunicorn, runserver): ports, start-up, shutdown,
and for the browser tests that drive one runserver on a demo database."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # Playwright is imported by the browser tests alone
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, WebError

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


# ---------------------------------------------------------------------------------------------- browsers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "bangdai-demo-2026"  # the demo accounts' password (bangdai.demo.generator.DEMO_PASSWORD)
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TIMEOUT_MS = 15_000


@dataclass
class App:
    """``bangdai runserver`` on its own SQLite database holding the county-scale demo."""

    url: str
    database: Path
    env: dict[str, str]  # the server's environment: ``bangdai`` commands with it act on the same database

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows read straight from the server's database (read-only)."""
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> int:
        """Change the server's database directly (what no page offers); returns the number of rows changed."""
        with closing(sqlite3.connect(self.database, timeout=30)) as conn, conn:
            return conn.execute(sql, params).rowcount

    def region_names(self, county_code: str) -> set[str]:
        """Names of the county and every current region below it, straight from the server's database."""
        rows = self.query(
            "SELECT name FROM regions_region WHERE code LIKE ? AND valid_to IS NULL", (f"{county_code}%",)
        )
        return {name for (name,) in rows}


def start_app(tmp: Path):
    """Build the demo database in ``tmp`` and serve it with runserver; yields the ``App``, stops it after."""
    database, log = tmp / "browser.sqlite3", tmp / "runserver.log"
    # Always SQLite, whatever the suite runs against; none of the caller's BANGDAI_* settings leak in.
    # DEBUG off gives the app's own 404 page rather than Django's technical one; --insecure keeps runserver
    # serving the static files.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGDAI_")} | {
        "BANGDAI_SQLITE_PATH": str(database),
        "BANGDAI_DEBUG": "false",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    bangdai("migrate", "--noinput", "-v0", env=env)
    bangdai("demo", "--scale", "county", env=env)
    port = free_port()
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [str(BIN / "bangdai"), "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/login/", f"runserver on {port}", process=server, log=log)
        yield App(url=url, database=database, env=env)
    finally:
        stop(server)


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions of every page; a 404 the test asked for is expected."""

    errors: list[str] = field(default_factory=list)
    expected_404: set[str] = field(default_factory=set)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if url in self.expected_404 and "status of 404" in message.text:
            return  # Chromium logs the 404 status of a page we opened on purpose
        where = message.page.url if message.page else "?"
        self.errors.append(f"console error on {where}: {message.text} (at {url})")

    def on_web_error(self, error: WebError) -> None:
        where = error.page.url if error.page else "?"
        self.errors.append(f"uncaught exception on {where}: {error.error}")


def sign_in(context: BrowserContext, app: App, username: str, password: str = PASSWORD) -> Page:
    """Sign in through the login form (its labels are Chinese) and land on the overview."""
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{app.url}/")
    return page
