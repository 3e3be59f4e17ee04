"""The classroom dashboard (Mesa's convention: the app is ``app.py`` at the top level).

Start it with ``make classroom`` (or ``.venv/bin/python -m classroom.serve``), which
sets the offline settings of Solara and serves this page on 127.0.0.1. The page and
its parts are in the ``classroom`` package.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # solara run imports this file by path

from classroom.page import Page  # noqa: E402  (Solara serves the component named Page)

__all__ = ["Page"]
