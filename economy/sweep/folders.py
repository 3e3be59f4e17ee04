"""Telling a sweep folder from outside, cheaply: for ``run.py run`` and any other writer that must keep off.

A sweep folder holds a ``manifest.json`` whose ``format`` starts with
``ai-financing-web/sweep/``; the sweep writing into it holds an exclusive ``flock`` on
its ``.lock`` file for as long as it runs. This module imports only the standard
library, so asking costs nothing (:mod:`economy.sweep.storage` needs pyarrow).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "LEGACY_FORMAT", "LOCK", "MANIFEST", "enclosing_sweep", "is_sweep_folder", "sweep_in_progress"]

#: A sweep folder of this version: one Parquet dataset per table (runs/, timeseries/, entities/) and commit records.
FORMAT = "ai-financing-web/sweep/2"
#: The earlier layout, one folder per chunk (chunks/<first>-<last>/<table>.parquet): read, never resumed.
LEGACY_FORMAT = "ai-financing-web/sweep/1"
MANIFEST = "manifest.json"
LOCK = ".lock"
#: Largest manifest read; a sweep's own is a few kB to a few hundred kB.
MAX_MANIFEST_BYTES = 8_000_000


def is_sweep_folder(path: str | Path) -> bool:
    """Whether ``path`` is a sweep folder (finished, partial, damaged, or being written right now).

    True if the folder holds a ``manifest.json`` whose ``format`` is a sweep's (or that
    cannot be read at all: a damaged manifest is most likely a sweep's, so it is left
    alone), or if a sweep holds its lock (a new sweep takes the lock a moment before it
    writes the manifest). Only the folder itself is looked at, not its parents.

    Example:
        >>> is_sweep_folder("/nonexistent")
        False
    """
    folder = Path(path)
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            data = read_json(manifest)
        except TooLarge:
            return False  # a sweep's manifest is small: this is someone else's file
        except (OSError, ValueError, RecursionError):
            return True
        if not isinstance(data, dict):
            return True
        return str(data.get("format", "")).startswith("ai-financing-web/sweep/") or "fingerprint" in data
    return sweep_in_progress(folder)


def sweep_in_progress(path: str | Path) -> bool:
    """Whether a sweep is writing into ``path`` now: another process holds its ``.lock``.

    Tested with a non-blocking shared ``flock`` attempt, released at once; the lock file
    stays after a sweep ends, so its presence alone means nothing. Without ``fcntl``
    (Windows) the answer is always False. A sweep starting in the very microsecond of the
    test would see the folder as busy and say so (it is never mixed).
    """
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(Path(path) / LOCK, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False  # no lock file (or not one a sweep made): nobody is writing
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def enclosing_sweep(path: str | Path) -> Path | None:
    """The sweep folder that ``path`` lies inside (not ``path`` itself), or None."""
    for parent in Path(os.path.abspath(path)).parents:  # abspath folds "..": a/b/../c is inside a, not b
        if parent.is_dir() and is_sweep_folder(parent):
            return parent
    return None


class TooLarge(ValueError):
    """A file larger than a sweep ever writes."""


def read_json(path: Path) -> Any:
    """JSON from a file of at most :data:`MAX_MANIFEST_BYTES`.

    Raises:
        TooLarge: If the file is larger.
        OSError, ValueError, RecursionError: If it cannot be read or parsed.
    """
    with open(path, "rb") as fh:
        data = fh.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise TooLarge(f"larger than {MAX_MANIFEST_BYTES:,} bytes")
    return json.loads(data.decode("utf-8"))
