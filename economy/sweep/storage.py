"""Storage that loses nothing: a sweep folder of Parquet chunks, each made visible atomically.

Layout of a sweep folder::

    manifest.json      the spec, its base configs' fingerprints, the code version (written first)
    spec.yaml          the spec as written
    design.parquet     the design: point_id, each parameter's value and unit-cube position
    chunks/<first>-<last>/runs.parquet          one row per run (ok or failed)
    chunks/<first>-<last>/timeseries.parquet    the system table per quarter (if kept)
    chunks/<first>-<last>/entities.parquet      chosen balance-sheet rows (if kept)
    sessions.jsonl     one line per invocation: executor, workers, runs made, time

A chunk is written into a hidden temporary folder and renamed into ``chunks/`` in one
step, so a reader (or a resumed sweep) sees all of a chunk or none of it, whatever
moment the process was killed at. Resuming reads the run ids already stored and makes
exactly the others. A lock file keeps two sweeps from writing into one folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from economy.sweep.task import ChunkResult

FORMAT = "ai-financing-web/sweep/1"
MANIFEST = "manifest.json"
CHUNKS = "chunks"
TABLES = ("runs", "timeseries", "entities")


class StorageError(Exception):
    """A sweep folder that cannot be used as asked; ``str()`` is the message for the user."""


def fingerprint(spec_dump: dict, configs: dict[str, dict]) -> str:
    """A hash of what decides a sweep's rows: the spec and the resolved base configs."""
    blob = json.dumps({"spec": spec_dump, "configs": configs}, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


class SweepStore:
    """One sweep folder, opened for writing (with a lock) or for reading.

    Args:
        root: The folder.
    """

    def __init__(self, root: str | Path) -> None:
        """Bind to a folder; nothing is read or written yet."""
        self.root = Path(root)
        self.chunks = self.root / CHUNKS
        self._lock: Any = None

    # ------------------------------------------------------------------ opening
    def open_for_writing(self, manifest: dict, design: pa.Table, spec_text: str) -> bool:
        """Create the folder with its manifest and design, or check an existing one is the same sweep.

        Returns:
            True if the folder was created, False if an existing sweep is resumed.

        Raises:
            StorageError: If the folder holds something else, another sweep, or a sweep of
                another spec or base config; or another process is writing into it.
        """
        if self.root.exists() and not self.root.is_dir():
            raise StorageError(f"{self.root}: exists and is not a folder; give a folder path with --out")
        existing = self.root / MANIFEST
        if self.root.is_dir() and not existing.is_file() and any(self.root.iterdir()):
            raise StorageError(f"{self.root}: the folder is not empty and holds no sweep (no {MANIFEST}); "
                               "give a new or empty folder with --out")
        self.root.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        if existing.is_file():
            old = self.manifest()
            if old.get("fingerprint") != manifest["fingerprint"]:
                raise StorageError(
                    f"{self.root}: holds a sweep of a different spec or base config "
                    f"(stored: {old.get('spec_file')}, code {old.get('code_version')}); resuming would mix results. "
                    "Give another folder with --out, or delete this one to start again.")
            self.chunks.mkdir(exist_ok=True)
            self._remove_partial_chunks()
            return False
        # The manifest first: a folder with chunks always says what made them.
        atomic_write(self.root / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n").encode())
        atomic_write(self.root / "spec.yaml", spec_text.encode())
        _atomic_parquet(design, self.root / "design.parquet")
        self.chunks.mkdir(exist_ok=True)
        return True

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform; one writer is the user's care
            return
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - held open for the life of the store
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StorageError(f"{self.root}: another sweep is writing into this folder; "
                               "wait for it or use another --out") from None
        self._lock = handle

    def close(self) -> None:
        """Release the folder's lock."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _remove_partial_chunks(self) -> None:
        # A chunk being written when the process died: never visible, its runs are not stored.
        for tmp in self.chunks.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------------------------ reading
    def manifest(self) -> dict:
        """The sweep's manifest.

        Raises:
            StorageError: If the folder has none.
        """
        path = self.root / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StorageError(f"{self.root}: not a sweep folder (no {MANIFEST}); give the folder a sweep wrote") from None
        except (OSError, json.JSONDecodeError) as err:
            raise StorageError(f"{path}: cannot be read: {err}") from None

    def chunk_dirs(self) -> list[Path]:
        """The visible chunks, in name (run id) order."""
        if not self.chunks.is_dir():
            return []
        return sorted(p for p in self.chunks.iterdir() if p.is_dir() and not p.name.startswith("."))

    def stored_run_ids(self) -> np.ndarray:
        """The run ids stored so far, sorted.

        Raises:
            StorageError: If a run is stored twice (the folder was changed by hand).
        """
        parts = [pq.read_table(d / "runs.parquet", columns=["run_id"]).column("run_id").to_numpy() for d in self.chunk_dirs()]
        ids = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        dup = ids[1:][ids[1:] == ids[:-1]]
        if dup.size:
            raise StorageError(f"{self.root}: run {int(dup[0])} is stored twice; the folder was changed outside the sweep")
        return ids

    def read(self, table: str = "runs") -> pa.Table | None:
        """All stored rows of one table, sorted by run id (None if no chunk has that table)."""
        parts = [pq.read_table(d / f"{table}.parquet") for d in self.chunk_dirs() if (d / f"{table}.parquet").is_file()]
        if not parts:
            return None
        merged = pa.concat_tables(parts, promote_options="permissive")
        if "error" in merged.column_names:  # last, wherever the first chunk that had metrics put them
            merged = merged.select([c for c in merged.column_names if c != "error"] + ["error"])
        # Chunks finish in any order; a stable sort on the run id puts rows back in study order
        # and keeps each run's quarters in theirs.
        return merged.take(pc.sort_indices(merged, sort_keys=[("run_id", "ascending")]))

    # ------------------------------------------------------------------ writing
    def write_chunk(self, chunk: ChunkResult) -> Path:
        """Store a chunk and make it visible in one rename."""
        first, last = min(chunk.run_ids), max(chunk.run_ids)
        final = self.chunks / f"{first:010d}-{last:010d}"
        tmp = self.chunks / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            for name in TABLES:
                table = getattr(chunk, name)
                if table is not None:
                    pq.write_table(_sorted(table), tmp / f"{name}.parquet")
                    _fsync(tmp / f"{name}.parquet")
            _fsync(tmp)
            os.rename(tmp, final)  # atomic on POSIX; fails rather than merge if the name exists
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync(self.chunks)
        return final

    def log_session(self, record: dict) -> None:
        """Append one line about this invocation to ``sessions.jsonl``."""
        with open(self.root / "sessions.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")


def _sorted(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table, sort_keys=[("run_id", "ascending")]))


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    pq.write_table(table, tmp)
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that it exists whole or not at all."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync(path.parent)


def _fsync(path: Path) -> None:
    # Durable against a killed machine, not just a killed process: data, then the directory entry.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def environment() -> dict[str, str]:
    """Versions of Python and the packages that decide results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("mesa", "numpy", "scipy", "pandas", "pyarrow", "SALib", "dask", "distributed"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def now() -> str:
    """The current UTC time, ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
