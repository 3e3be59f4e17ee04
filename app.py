"""The classroom dashboard (Mesa's convention: the app is ``app.py`` at the top level).

Start it with ``make classroom`` (or ``.venv/bin/python -m classroom.serve``), which
sets the offline settings of Solara and serves this page on 127.0.0.1. The page and
its parts are in the ``classroom`` package.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # solara run imports this file by path

import gc  # noqa: E402

from classroom.page import Page  # noqa: E402  (Solara serves the component named Page)

# Everything loaded so far (the server, pandas, the model's code) lives as long as the process: moved out of the
# collector's reach, a full collection scans only the tabs' widgets and runs (in a class run of 3 tabs it took
# 0.25-0.3 s of a 0.5 s step when it fell inside one; about half of that once these objects are frozen)
gc.freeze()

__all__ = ["Page"]
