"""Start the classroom server on 127.0.0.1 with the settings that keep it offline, and open it.

Solara's server, not the browser, would fetch missing JavaScript from a CDN and post
telemetry; these settings stop both (``../shared/CLASSROOM.md``), and serve the
Japanese font of matplotlib_fontja at ``/static/assets/fonts/ipaexg.ttf``.

Usage: ``python -m classroom.serve [--port N] [--no-browser]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
HOST = "127.0.0.1"
DEFAULT_PORT = 8765
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/",  # anything not in solara-assets fails loudly instead of downloading
    "SOLARA_ASSETS_EXTRA_LOCATIONS": "matplotlib_fontja",
    "SOLARA_CHECK_VERSION": "False",
}


QUIET_ENV = {
    # Solara warns at every page load that a plain-http server gets lax cookies: true, and expected on 127.0.0.1
    "PYTHONWARNINGS": "ignore:Cookies with samesite=none require https:UserWarning",
}


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server process: ours plus the offline (and quiet) settings."""
    return {**os.environ, **QUIET_ENV, **OFFLINE_ENV, **(extra or {})}


def server_command(port: int) -> list[str]:
    """The command that serves app.py on 127.0.0.1 (production mode: no reloader, no dev tools)."""
    return [sys.executable, "-m", "solara", "run", str(APP), "--host", HOST, "--port", str(port), "--production",
            "--no-open", "--no-check-version"]


def wait_ready(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> float:
    """Poll ``url`` until it answers 200; return the seconds it took.

    Raises:
        RuntimeError: If the server exits or does not answer within ``timeout``.
    """
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the classroom server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the classroom server did not answer at {url} within {timeout:.0f}s")


def start(port: int, extra_env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """Start the server in the background (the caller stops it)."""
    return subprocess.Popen(server_command(port), cwd=ROOT, env=server_env(extra_env), **popen)


def main(argv: list[str] | None = None) -> int:
    """Serve, print the address, open a browser if there is one, and run until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLASSROOM_PORT", DEFAULT_PORT)))
    parser.add_argument("--no-browser", action="store_true", help="do not try to open a browser")
    args = parser.parse_args(argv)
    url = f"http://{HOST}:{args.port}/"
    process = start(args.port)
    try:
        seconds = wait_ready(url, process=process)
        print(f"The classroom is ready at {url} (started in {seconds:.1f}s). Stop it with Ctrl-C.", flush=True)
        if not args.no_browser:
            try:  # a machine without a browser (a server, CI) simply has nothing to open
                webbrowser.open(url)
            except webbrowser.Error:
                pass
        return process.wait()
    except KeyboardInterrupt:
        return 0
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
