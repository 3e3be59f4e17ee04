"""Drive the classroom page in Debian's headless chromium.

Shared by the browser tests, the benchmark and the screenshot script, so all three
start and watch the page the same way.

Playwright is used with ``executable_path`` (``playwright install`` is neither needed nor
possible here). Every request the page makes, every console error and every HTTP
status >= 400 is recorded, so a caller can assert the page stayed on 127.0.0.1 and clean.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from classroom import serve

CHROMIUM = os.environ.get("CLASSROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    # background services would try the network (and be refused by a closed machine): switch them off
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--disable-default-apps", "--disable-extensions",
]
LOCAL_HOSTS = {"127.0.0.1"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind((serve.HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running classroom server: its address, process and how long it took to answer."""

    url: str
    process: subprocess.Popen
    ready_seconds: float
    log: Path


@contextmanager
def classroom_server(log_dir: Path, extra_env: dict[str, str] | None = None, timeout: float = 90.0) -> Iterator[Server]:
    """Start the server on a free port of 127.0.0.1, wait until it answers, stop it afterwards."""
    port = free_port()
    log = log_dir / "classroom-server.log"
    with open(log, "w") as out:
        process = serve.start(port, extra_env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://{serve.HOST}:{port}/"
            seconds = serve.wait_ready(url, timeout, process)
            yield Server(url, process, seconds, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Watch:
    """What a page did: requests outside 127.0.0.1, console errors, failed responses."""

    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        """Record what ``page`` asks for and reports; block anything not for 127.0.0.1 (or a local file)."""
        def route(r) -> None:
            host = urlparse(r.request.url).hostname
            if r.request.url.startswith(("data:", "blob:", "file:")) or host in LOCAL_HOSTS:
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("response", lambda r: self.bad_status.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))

    def problems(self) -> list[str]:
        """Everything that should not have happened (empty when the page was clean and offline)."""
        return ([f"outside 127.0.0.1: {u}" for u in self.outside] + [f"console: {m}" for m in self.console_errors]
                + [f"HTTP {s}" for s in self.bad_status])


def launch(playwright):
    """Debian's chromium, headless, with the network-quiet flags."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def open_page(browser, url: str, watch: Watch, width: int = 1500, height: int = 1100):
    """A new page at ``url``, watched, once the classroom's quarter line is shown; returns (page, seconds)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    watch.attach(page)
    started = time.perf_counter()
    page.goto(url)
    page.get_by_test_id("quarter").wait_for(timeout=60_000)
    return page, time.perf_counter() - started


def quarter_shown(page) -> int:
    """The quarter the page shows (0 = the opening state)."""
    return int(page.get_by_test_id("quarter").get_attribute("data-quarter"))


def click_and_wait_quarter(page, button_name: str, expected_quarter: int, timeout: float = 10_000) -> float:
    """Click a button and wait until the page shows ``expected_quarter``; return the seconds it took."""
    started = time.perf_counter()
    page.get_by_role("button", name=button_name, exact=True).click()
    page.wait_for_function(
        "q => { const el = document.querySelector('[data-testid=quarter]'); return el && el.dataset.quarter === q; }",
        arg=str(expected_quarter), timeout=timeout)
    return time.perf_counter() - started
