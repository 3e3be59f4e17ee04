"""Time the classroom as a teacher meets it: server ready, page load, Step -> quarter shown, play rate.

Targets (issue 10): a step shown in under 0.5 s on this 2-core machine; play at 2 quarters a second.
Drives Debian's chromium headless through playwright, as the browser tests do (classroom/probe.py).

    .venv/bin/python benchmarks/bench_classroom.py [--steps 12] [--play-seconds 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from classroom import probe  # noqa: E402


def main() -> int:
    """Start a server and a browser, measure, print one line per measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="Step clicks to time")
    parser.add_argument("--play-seconds", type=float, default=6.0, help="how long to let Play run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, probe.classroom_server(Path(tmp)) as server, sync_playwright() as p:
        browser = probe.launch(p)
        watch = probe.Watch()
        page, load = probe.open_page(browser, server.url, watch)
        started = time.perf_counter()
        page.locator("canvas").first.wait_for()
        drawn = load + time.perf_counter() - started
        page.wait_for_timeout(1000)  # let the first charts draw before timing steps
        steps = [probe.click_and_wait_quarter(page, "Step", q) for q in range(1, args.steps + 1)]
        start = probe.quarter_shown(page)
        page.get_by_role("button", name="Play").click()
        page.wait_for_timeout(args.play_seconds * 1000)
        page.get_by_role("button", name="Pause").click()
        page.wait_for_timeout(300)
        played = probe.quarter_shown(page) - start
        browser.close()
    print(f"server ready        {server.ready_seconds:6.2f} s")
    print(f"page load           {load:6.2f} s  (navigation until the quarter line is shown)")
    print(f"deal web drawn      {drawn:6.2f} s  (navigation until the ECharts canvas exists)")
    print(f"step -> shown       median {statistics.median(steps):.3f} s, max {max(steps):.3f} s over {len(steps)} steps"
          f"  (target < 0.5 s)")
    print(f"play rate           {played / args.play_seconds:6.2f} quarters/s over {args.play_seconds:g} s  (target 2)")
    if watch.problems():
        print("page problems:", *watch.problems(), sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
