"""Storage that loses nothing: a sweep folder of Parquet datasets, to which chunks of runs are committed atomically.

Layout of a sweep folder::

    manifest.json      the spec, its base configs' fingerprints, the code version (written first)
    spec.yaml          the spec as written
    design.parquet     the design: point_id, each parameter's value and unit-cube position
    runs/part-<chunk>.parquet         one row per run (ok or failed)
    timeseries/part-<chunk>.parquet   the system table per run and quarter (if kept)
    entities/part-<chunk>.parquet     chosen balance-sheet rows per run and quarter (if kept)
    commits/<chunk>.json   one per stored chunk: its tables and row counts (the source of truth)
    sessions.jsonl     one line per invocation: executor, workers, runs made, time
    .lock              held (flock) by the sweep writing into the folder; stays afterwards
    damaged/<chunk>/   chunks a resumed sweep could not read, moved here (never deleted)

A chunk is named ``<first run>-<last run>-<tag>`` and stored in three steps: its tables
are written under hidden names (``.tmp-<chunk>.parquet``, which dataset readers skip),
then its commit record ``commits/<chunk>.json`` is written atomically (the moment the
chunk is stored), then the files are renamed to ``part-<chunk>.parquet``. So a chunk
without a commit record was never stored (a resumed sweep removes its hidden files and
makes its runs again), and a chunk with one is stored whole even if a killed process did
not rename all its files: :meth:`SweepStore.read` takes the hidden file, and the next
sweep finishes the renames. A lock file keeps two sweeps from writing into one folder.

``pd.read_parquet(folder / "runs")`` (or ``timeseries``, ``entities``) reads a table in
one call. Every part of a table has the same schema, because a dataset reader takes the
columns and types of the first file: a chunk is cast to the table's schema, and when a
chunk brings a column or a wider type (a metric that was empty in every earlier run, say)
the earlier parts are first rewritten to the wider schema, one file at a time and the
first file first, so the first file is never narrower than another.

A damaged file (a truncated copy, a full disk) is reported naming the file and what to
do, never "repaired" by deleting: readers stop with :class:`DamagedSweepError`, and a
resumed sweep moves an unreadable chunk into ``damaged/`` and makes its runs again.
Folders written before this layout (``chunks/<first>-<last>/<table>.parquet``, format
``ai-financing-web/sweep/1``) are still read, but never resumed (see
:meth:`SweepStore.check_for_writing`). Other programs tell a sweep folder by
:func:`is_sweep_folder` and a sweep writing now by :func:`sweep_in_progress`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from economy.sweep.folders import (  # noqa: F401 - also importable from here, beside the rest of the folder API
    FORMAT,
    LEGACY_FORMAT,
    LOCK,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    enclosing_sweep,
    is_sweep_folder,
    read_json,
    sweep_in_progress,
)
from economy.sweep.task import ChunkResult

#: The tables of a sweep, each a Parquet dataset in the folder of its name.
TABLES = ("runs", "timeseries", "entities")
#: Where the commit records are: one per stored chunk.
COMMITS = "commits"
#: The chunk folders of the earlier layout (format ``ai-financing-web/sweep/1``), read but never written.
CHUNKS = "chunks"
#: Folders of a sweep that hold its data: nothing else (a report, another sweep) may be written inside them.
DATA_FOLDERS = (*TABLES, COMMITS, CHUNKS)
#: Where a resumed sweep moves chunks it cannot read (never deleted: the user decides).
DAMAGED = "damaged"
_CHUNK_NAME = r"\d{10}-\d{10}-[0-9a-f]{8}"
#: A chunk's commit record, its visible files, its hidden files before the renames, and a rewrite in progress.
_COMMIT = re.compile(rf"({_CHUNK_NAME})\.json")
_PART = re.compile(rf"part-({_CHUNK_NAME})\.parquet")
_STAGED = re.compile(rf"\.tmp-({_CHUNK_NAME})\.parquet")
_REWRITE = re.compile(rf"\.widen-({_CHUNK_NAME})-[0-9a-f]{{8}}\.parquet")
#: Manifest fields the analysis reads, with their JSON types.
_MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": str, "name": str, "spec": dict, "scenarios": dict, "fingerprint": str, "total_runs": int,
    "points": int, "replications": int, "id_columns": list, "parameters": dict,
}


class StorageError(Exception):
    """A sweep folder that cannot be used as asked; ``str()`` is the message for the user."""


class DamagedSweepError(StorageError):
    """A file of a sweep folder that cannot be read (truncated, garbled, missing); ``str()`` says what to do."""


def fingerprint(spec_dump: dict, configs: dict[str, dict]) -> str:
    """A hash of what decides a sweep's rows: the spec and the resolved base configs."""
    blob = json.dumps({"spec": spec_dump, "configs": configs}, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


# ---------------------------------------------------------------------------- output folders
def check_output_folder(path: str | Path, option: str = "--out") -> None:
    """Refuse, before anything is written, an output folder that cannot be made or written.

    Args:
        path: The folder a command will create or write into.
        option: The option that names it, for the message.

    Raises:
        StorageError: If ``path`` is a file, lies under a file, or the folder it would be
            made in (or the folder itself) cannot be written.
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise StorageError(f"{path}: is a link to something that does not exist; give a folder path with {option}")
    if path.exists():
        if not path.is_dir():
            raise StorageError(f"{path}: exists and is not a folder; give a folder path with {option}")
        where = path
    else:
        where = next((p for p in path.absolute().parents if p.exists()), Path(path.absolute().anchor))
        if not where.is_dir():
            raise StorageError(f"{path}: cannot be made, because {where} is a file, not a folder; "
                               f"give a folder path with {option}")
    if not can_write(where):
        raise StorageError(f"{path}: cannot write into {where} (permission denied or a read-only file system); "
                           f"give a folder you can write to with {option}")


def can_write(folder: Path) -> bool:
    """Whether this process may create files in ``folder`` (one place to ask, so tests run as root can simulate a no)."""
    return os.access(folder, os.W_OK | os.X_OK)


def data_folder_of(path: str | Path) -> Path | None:
    """The data folder of a sweep (``runs/``, ``commits/``, ...: :data:`DATA_FOLDERS`) that ``path`` lies in or is, or None.

    Nothing may be written in there: a dataset reader would take it for part of the table.
    """
    for p in (Path(os.path.abspath(path)), *Path(os.path.abspath(path)).parents):  # abspath folds ".."
        if p.name in DATA_FOLDERS and (p.parent / MANIFEST).is_file():
            return p
    return None


# ---------------------------------------------------------------------------- the store
@dataclass(frozen=True)
class Chunk:
    """A stored chunk, as its commit record describes it.

    Attributes:
        name: ``<first run>-<last run>-<tag>``.
        record: The commit record's path.
        runs: How many runs it holds.
        rows: Rows of each of its tables (a table no run of the chunk had is absent).
    """

    name: str
    record: Path
    runs: int
    rows: dict[str, int]


class SweepStore:
    """One sweep folder, opened for writing (with a lock) or for reading.

    Args:
        root: The folder.
    """

    def __init__(self, root: str | Path) -> None:
        """Bind to a folder; nothing is read or written yet."""
        self.root = Path(root)
        self.commits = self.root / COMMITS
        self._lock: Any = None
        #: Unreadable chunks moved into ``damaged/`` when the folder was opened for writing.
        self.moved_aside: list[Path] = []
        #: The run ids stored when the folder was opened for writing (under its lock).
        self.stored_ids = np.zeros(0, dtype=np.int64)
        #: The schema every part of each table has (set when the folder is opened for writing).
        self._schemas: dict[str, pa.Schema] = {}

    def table_folder(self, table: str) -> Path:
        """The dataset folder of a table: ``runs/``, ``timeseries/`` or ``entities/``."""
        return self.root / table

    @property
    def earlier_layout(self) -> bool:
        """Whether the folder holds a sweep in the earlier layout (``chunks/<first>-<last>/``), read but never written."""
        return (self.root / CHUNKS).is_dir() and not self.commits.is_dir()

    # ------------------------------------------------------------------ opening
    def check_for_writing(self, manifest: dict) -> tuple[np.ndarray, list[str]]:
        """Decide, without writing anything, whether this sweep may write into the folder.

        Returns:
            The run ids stored already (readable chunks only) and the chunks that cannot be
            read (a resumed sweep moves them aside and makes their runs again).

        Raises:
            StorageError: If the folder cannot be made or written, holds something else,
                another sweep or a sweep in the earlier layout, or another process is writing into it.
        """
        if not self._check_folder():
            return np.zeros(0, dtype=np.int64), []
        self._check_layout()
        self._check_same_sweep(manifest)
        return self.scan_chunks()

    def _check_folder(self) -> bool:
        """The checks that need no chunk read; True if the folder holds a sweep's manifest.

        Raises:
            StorageError: If the folder cannot be made or written, is not empty and holds
                no sweep, or another process is writing into it.
        """
        check_output_folder(self.root)
        outer = enclosing_sweep(self.root)
        if outer is not None:
            raise StorageError(f"{self.root}: is inside the sweep folder {outer}; a sweep is never written into "
                               "another one. Give a folder outside it with --out")
        if not self.root.exists():
            return False
        existing = self.root / MANIFEST
        try:
            # A lone lock file is a sweep's that stopped before its manifest: the folder is still free.
            occupied = any(p.name != LOCK for p in self.root.iterdir())
        except OSError as err:
            raise StorageError(f"{self.root}: cannot be read: {err.strerror or err}; give another folder with --out") from None
        busy = sweep_in_progress(self.root)
        if not existing.is_file() and occupied:
            what = "a sweep is starting in it" if busy else f"it holds no sweep (no {MANIFEST})"
            raise StorageError(f"{self.root}: the folder is not empty and {what}; give a new or empty folder with --out")
        if busy:
            raise StorageError(f"{self.root}: another sweep is writing into this folder; wait for it or use another --out")
        return existing.is_file()

    def _check_layout(self) -> None:
        """Refuse to add to a sweep stored in the earlier layout: its chunks would sit beside a dataset of the new one."""
        old = self.manifest()
        if not (self.earlier_layout or old.get("format") == LEGACY_FORMAT):
            return
        raise StorageError(
            f"{self.root}: holds a sweep stored in the earlier layout ({CHUNKS}/<first>-<last>/ folders, format "
            f"{LEGACY_FORMAT}), which this version reads but does not add to; nothing was changed. To analyse it as "
            f"it is: run.py analyze {self.root}. To finish it: run the same command with the code version that "
            f"started it ({old.get('code_version')}), or run the sweep again into a new folder with --out")

    def _check_same_sweep(self, manifest: dict) -> None:
        old = self.manifest()
        if old.get("fingerprint") != manifest["fingerprint"]:
            raise StorageError(
                f"{self.root}: holds a sweep of a different spec or base config "
                f"(stored: {old.get('spec_file')}, code {old.get('code_version')}); resuming would mix results. "
                "Give another folder with --out, or delete this one to start again.")

    def open_for_writing(self, manifest: dict, design: pa.Table, spec_text: str) -> bool:
        """Create the folder with its manifest and design, or check an existing one is the same sweep.

        On resuming, a chunk a killed sweep left is finished (committed: its renames are
        done) or removed (not committed: only its hidden files, which this program made);
        chunks that cannot be read are moved into ``damaged/`` (their runs are then made
        again); parts left narrower by a killed rewrite are widened; and a damaged
        ``design.parquet`` is written anew from the spec.

        Returns:
            True if the folder was created, False if an existing sweep is resumed.

        Raises:
            StorageError: If the folder holds something else, another sweep, a sweep in the
                earlier layout, or a sweep of another spec or base config; or another process
                is writing into it; or it cannot be written.
        """
        self._check_folder()  # before the lock file is made: nothing is written into a folder that is refused
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
            existing = self.root / MANIFEST
            if existing.is_file():
                self._check_layout()  # again, now under the lock
                self._check_same_sweep(manifest)
                self.commits.mkdir(exist_ok=True)
                self._finish_interrupted_chunks()
                self.stored_ids, damaged = self.scan_chunks()  # under the lock: what this invocation builds on
                self.moved_aside += self._move_aside(damaged)
                self._settle_schemas()
                if not _parquet_readable(self.root / "design.parquet"):
                    _atomic_parquet(design, self.root / "design.parquet")  # the design follows from the spec alone
                return False
            # The manifest first: a folder with chunks always says what made them.
            atomic_write(existing, (json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n").encode())
            atomic_write(self.root / "spec.yaml", spec_text.encode())
            _atomic_parquet(design, self.root / "design.parquet")
            self.commits.mkdir(exist_ok=True)
            return True
        except OSError as err:
            self.close()
            raise StorageError(f"{self.root}: cannot be written: {err.strerror or err}; "
                               "give a folder you can write to with --out") from None

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform; one writer is the user's care
            return
        handle = open(self.root / LOCK, "a+")  # noqa: SIM115 - held open for the life of the store
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

    def _finish_interrupted_chunks(self) -> None:
        """Finish or undo what a killed sweep left half-done; only files this program recognisably made are touched.

        * A chunk's hidden file (``.tmp-<chunk>.parquet``) with a commit record is renamed
          into place (the chunk was stored; the renames were cut short); without one it is
          removed (the chunk was never stored, its runs are made again).
        * A rewrite's hidden file (``.widen-...``) is removed: the part it would have
          replaced is still there, whole.
        * A visible part without a commit record (its record moved away by hand) is moved
          into ``damaged/`` (and listed in :attr:`moved_aside`), so the dataset holds no run
          twice once its runs are made again.

        Anything else in the table folders is left where it is.
        """
        committed = {m.group(1) for p in self._listing(self.commits) if (m := _COMMIT.fullmatch(p.name))}
        for table in TABLES:
            folder = self.table_folder(table)
            for path in self._listing(folder):
                if not (path.is_file() and not path.is_symlink()):
                    continue
                if _REWRITE.fullmatch(path.name):
                    path.unlink()
                elif m := _STAGED.fullmatch(path.name):
                    final = folder / f"part-{m.group(1)}.parquet"
                    if m.group(1) not in committed:
                        path.unlink()
                    elif not final.exists():
                        os.rename(path, final)
                elif (m := _PART.fullmatch(path.name)) and m.group(1) not in committed:
                    moved = self._move_file_aside(path, m.group(1), f"{table}.parquet").parent
                    self.moved_aside += [moved] if moved not in self.moved_aside else []
            if folder.is_dir():
                _fsync(folder)

    def _move_aside(self, damaged: list[str]) -> list[Path]:
        """Move unreadable chunks (their commit record and files) into ``damaged/<chunk>/``; nothing is deleted.

        Returns:
            Where each moved chunk now is.
        """
        moved = []
        for name in damaged:
            target = None
            for table in TABLES:
                folder = self.table_folder(table)
                for path in (folder / f"part-{name}.parquet", folder / f".tmp-{name}.parquet"):
                    if path.is_file():
                        target = self._move_file_aside(path, name, f"{table}.parquet")
            record = self.commits / f"{name}.json"
            if record.exists():
                target = self._move_file_aside(record, name, "commit.json")
            if target is not None:
                moved.append(target.parent)
        return moved

    def _move_file_aside(self, path: Path, chunk: str, as_name: str) -> Path:
        """Move one file of a chunk into ``damaged/<chunk>/`` (a new name if that is taken); return where it went."""
        folder = self.root / DAMAGED / chunk
        folder.mkdir(parents=True, exist_ok=True)
        target, k = folder / as_name, 2
        while target.exists():
            target, k = folder / f"{Path(as_name).stem}-{k}{Path(as_name).suffix}", k + 1
        os.rename(path, target)
        return target

    def _listing(self, folder: Path) -> list[Path]:
        """The entries of a folder, sorted by name (none if it does not exist)."""
        if not folder.is_dir():
            return []
        try:
            return sorted(folder.iterdir())
        except OSError as err:
            raise StorageError(f"{folder}: cannot be read: {err.strerror or err}") from None

    # ------------------------------------------------------------------ schemas
    def _settle_schemas(self) -> None:
        """Learn each table's schema from its parts; widen any part a killed rewrite left narrower."""
        self._schemas = {}
        chunks = self.chunks()
        for table in TABLES:
            owners = [c for c in chunks if table in c.rows]
            if not owners:
                continue
            schemas = [pq.read_schema(self._file(c, table)) for c in owners]
            wide = schemas[0]
            for schema in schemas[1:]:
                wide = _wider(wide, schema, table)
            for chunk, schema in zip(owners, schemas, strict=True):
                if not schema.equals(wide):
                    self._rewrite(chunk, table, wide)
            self._schemas[table] = wide

    def _conformed(self, table: str, data: pa.Table) -> pa.Table:
        """``data`` in the schema of the table's parts, after widening the parts if ``data`` needs more."""
        known = self._schemas.get(table)
        if known is None:
            wide = _wider(data.schema, data.schema, table)
        else:
            wide = _wider(known, data.schema, table)
            if not wide.equals(known):
                # First file first: a dataset reader takes the first file's schema, which must
                # never be narrower than another file's, even if this is cut short.
                for chunk in self.chunks():
                    if table in chunk.rows:
                        self._rewrite(chunk, table, wide)
        self._schemas[table] = wide
        return _conform(data, wide)

    def _rewrite(self, chunk: Chunk, table: str, schema: pa.Schema) -> None:
        """Replace a part by the same rows in a wider schema, in one rename (a hidden copy first)."""
        path = self._file(chunk, table)
        wider = _conform(pq.read_table(path), schema)
        tmp = path.with_name(f".widen-{chunk.name}-{uuid.uuid4().hex[:8]}.parquet")
        pq.write_table(wider, tmp)
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)

    # ------------------------------------------------------------------ reading
    def manifest(self) -> dict:
        """The sweep's manifest, checked to have the fields a sweep writes.

        Raises:
            StorageError: If the folder has none, or it is not a sweep's.
            DamagedSweepError: If it cannot be read or lacks a field.
        """
        return read_manifest(self.root)

    def chunks(self) -> list[Chunk]:
        """The stored chunks (those with a commit record), in name (run id) order; an unreadable record is skipped.

        Use :meth:`scan_chunks` to learn which chunks are damaged.
        """
        return [c for c in (self._chunk(p) for p in self._records()) if isinstance(c, Chunk)]

    def _records(self) -> list[Path]:
        return [p for p in self._listing(self.commits) if _COMMIT.fullmatch(p.name)]

    def _chunk(self, record: Path) -> Chunk | str:
        """The chunk a commit record describes, or why the record cannot be used."""
        try:
            data = read_json(record)
        except (OSError, ValueError, RecursionError) as err:
            return f"not readable: {str(err)[:200]}"
        ok = (isinstance(data, dict) and isinstance(data.get("runs"), int) and isinstance(data.get("rows"), dict)
              and all(t in TABLES and isinstance(n, int) for t, n in data["rows"].items()) and "runs" in data["rows"])
        if not ok:
            return "not a commit record this program writes"
        return Chunk(name=record.stem, record=record, runs=data["runs"], rows=dict(data["rows"]))

    def _file(self, chunk: Chunk, table: str) -> Path:
        """A chunk's file of a table: the visible part, or its hidden file if a killed sweep did not rename it."""
        final = self.table_folder(table) / f"part-{chunk.name}.parquet"
        staged = self.table_folder(table) / f".tmp-{chunk.name}.parquet"
        return staged if not final.exists() and staged.is_file() else final

    def stored_run_ids(self) -> np.ndarray:
        """The run ids stored so far, sorted.

        Raises:
            DamagedSweepError: If a chunk cannot be read.
            StorageError: If a run is stored twice (the folder was changed by hand).
        """
        if self.earlier_layout:
            runs = self.read("runs")
            return np.zeros(0, dtype=np.int64) if runs is None else runs.column("run_id").to_numpy()
        ids, damaged = self.scan_chunks()
        if damaged:
            self._check_chunk(damaged[0], raise_damage=True)  # raises, naming the file and what to do
        return ids

    def scan_chunks(self) -> tuple[np.ndarray, list[str]]:
        """The run ids stored in readable chunks (sorted), and the names of the chunks that cannot be read.

        A chunk is unreadable if its commit record cannot be read, or a file it records is
        missing, cannot be read (its footer, as when a copy was cut short) or holds another
        number of rows than recorded.

        Raises:
            StorageError: If a run is stored twice (the folder was changed by hand).
        """
        parts, owners, damaged = [], [], []
        for record in self._records():
            ids = self._check_chunk(record.stem)
            if ids is None:
                damaged.append(record.stem)
                continue
            parts.append(ids)
            owners += [record.stem] * len(ids)
        ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        dup = np.flatnonzero(ids[1:] == ids[:-1])
        if dup.size:
            i = int(dup[0])
            a, b = owners[order[i]], owners[order[i + 1]]
            raise StorageError(f"{self.root}: run {int(ids[i])} is stored twice, in chunks {a} and {b}; the folder was "
                               f"changed outside the sweep. Move one of them out of the folder (its record "
                               f"{COMMITS}/<chunk>.json and its part-<chunk>.parquet files) and run the sweep command again")
        return ids, damaged

    def _check_chunk(self, name: str, raise_damage: bool = False) -> np.ndarray | None:
        """The run ids of a chunk if its record and files are whole, else None (or raise, naming the file)."""
        record = self.commits / f"{name}.json"
        chunk = self._chunk(record)
        if not isinstance(chunk, Chunk):
            if raise_damage:
                raise DamagedSweepError(_damaged_chunk_message(record, chunk))
            return None
        run_ids = None
        for table, rows in chunk.rows.items():
            path = self._file(chunk, table)
            try:
                found = pq.read_metadata(path).num_rows
                ids = pq.read_table(path, columns=["run_id"]).column("run_id").to_numpy() if table == "runs" else None
            except (OSError, pa.ArrowException, ValueError, KeyError) as err:
                if raise_damage:
                    read_parquet(path)  # raises, naming the file and what to do
                    raise DamagedSweepError(_damaged_chunk_message(path, str(err)[:200])) from None
                return None
            if found != rows or (table == "runs" and len(ids) != chunk.runs):
                if raise_damage:
                    raise DamagedSweepError(_damaged_chunk_message(path, f"{found} rows, its commit record says {rows}"))
                return None
            if table == "runs":
                run_ids = ids
        return run_ids

    def read(self, table: str = "runs") -> pa.Table | None:
        """All stored rows of one table, sorted by run id (None if no chunk has that table).

        Raises:
            DamagedSweepError: If a chunk's file cannot be read, or the chunks' tables do not fit together.
        """
        if self.earlier_layout:
            files = [d / f"{table}.parquet" for d in self._earlier_chunk_dirs()
                     if table == "runs" or (d / f"{table}.parquet").is_file()]
            where = self.root / CHUNKS
        else:
            files = []
            for record in self._records():
                chunk = self._chunk(record)
                if not isinstance(chunk, Chunk):
                    raise DamagedSweepError(_damaged_chunk_message(record, chunk))
                if table in chunk.rows:
                    files.append(self._file(chunk, table))
            where = self.table_folder(table)
        parts = [read_parquet(f) for f in files]  # every chunk has its runs: a missing file is damage
        if not parts:
            return None
        needed = ("run_id", "status") if table == "runs" else ("run_id",)
        for part, f in zip(parts, files, strict=True):
            missing = [c for c in needed if c not in part.column_names]
            if missing:
                raise DamagedSweepError(_damaged_chunk_message(f, f"it has no {' or '.join(missing)} column"))
        try:
            merged = pa.concat_tables(parts, promote_options="permissive")
        except (pa.ArrowException, ValueError) as err:
            raise DamagedSweepError(f"{where}: the chunks' {table} tables do not fit together ({err}); a chunk "
                                    "was changed or copied in from another sweep. Move the odd chunk out of "
                                    f"{where} and run the sweep command again") from None
        if "error" in merged.column_names:  # last, wherever the first chunk that had metrics put them
            merged = merged.select([c for c in merged.column_names if c != "error"] + ["error"])
        # Chunks finish in any order; a stable sort on the run id puts rows back in study order
        # and keeps each run's quarters in theirs.
        return merged.take(pc.sort_indices(merged, sort_keys=[("run_id", "ascending")]))

    def has_table(self, table: str) -> bool:
        """Whether any stored chunk has rows of ``table`` (``timeseries`` is kept only if the spec says so)."""
        if self.earlier_layout:
            return any((d / f"{table}.parquet").is_file() for d in self._earlier_chunk_dirs())
        return any(table in c.rows for c in self.chunks())

    def _earlier_chunk_dirs(self) -> list[Path]:
        """The visible chunk folders of the earlier layout, in name (run id) order."""
        return [p for p in self._listing(self.root / CHUNKS) if p.is_dir() and not p.name.startswith(".")]

    # ------------------------------------------------------------------ writing
    def write_chunk(self, chunk: ChunkResult) -> str:
        """Store a chunk: its files under hidden names, then its commit record (it is stored), then the renames.

        Returns:
            The chunk's name.
        """
        name = f"{min(chunk.run_ids):010d}-{max(chunk.run_ids):010d}-{uuid.uuid4().hex[:8]}"
        record = self.commits / f"{name}.json"
        staged: dict[str, Path] = {}
        rows: dict[str, int] = {}
        try:
            for table in TABLES:
                data = getattr(chunk, table)
                if data is None:
                    continue
                folder = self.table_folder(table)
                folder.mkdir(exist_ok=True)
                data = self._conformed(table, _sorted(data))
                staged[table] = folder / f".tmp-{name}.parquet"
                pq.write_table(data, staged[table])
                _fsync(staged[table])
                _fsync(folder)
                rows[table] = data.num_rows
            about = {"chunk": name, "runs": len(chunk.run_ids), "rows": rows, "written": now()}
            atomic_write(record, (json.dumps(about) + "\n").encode())  # the chunk is stored
        except BaseException:
            if record.exists():  # interrupted (Ctrl-C) just after the record was written: stored all the same
                self._publish(name, staged)
                raise
            for path in staged.values():  # made just above, by this call; the chunk was not stored
                path.unlink(missing_ok=True)
            raise
        self._publish(name, staged)
        return name

    def _publish(self, name: str, staged: dict[str, Path]) -> None:
        """Rename a stored chunk's hidden files into place; if a kill cuts this short, the next sweep finishes it."""
        pending = list(staged.values())
        try:
            while pending:
                os.rename(pending[0], pending[0].with_name(f"part-{name}.parquet"))
                _fsync(pending.pop(0).parent)
        finally:
            for path in pending:  # interrupted (Ctrl-C) between two renames: the chunk is stored, so show all of it
                with contextlib.suppress(OSError):
                    os.rename(path, path.with_name(f"part-{name}.parquet"))

    def log_session(self, record: dict) -> None:
        """Append one line about this invocation to ``sessions.jsonl``."""
        with open(self.root / "sessions.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")


def _wider(a: pa.Schema, b: pa.Schema, table: str) -> pa.Schema:
    """The schema that holds rows of both (columns of ``a`` first, then new ones; ``error`` last), without metadata."""
    try:
        wide = pa.unify_schemas([a, b], promote_options="permissive")
    except (pa.ArrowException, ValueError) as err:
        raise ValueError(f"a chunk's {table} table does not fit the earlier ones ({err}); a metric or series "
                         "changed type between runs") from None
    names = [n for n in wide.names if n != "error"] + (["error"] if "error" in wide.names else [])
    return pa.schema([wide.field(n) for n in names])


def _conform(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """``data`` with exactly the columns and types of ``schema`` (a column it lacks is empty)."""
    columns = [data.column(f.name).cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


# ---------------------------------------------------------------------------- reading files safely
_GIVE_SWEEP = "give a folder written by run.py sweep or compare"


def read_manifest(root: str | Path) -> dict:
    """The manifest of a sweep folder, checked to be a sweep's and to have every field the analysis reads.

    Raises:
        StorageError: If there is no manifest, or it is another program's.
        DamagedSweepError: If it cannot be read, is not JSON, or lacks a field.
    """
    root = Path(root)
    path = root / MANIFEST
    advice = ("The folder cannot be analysed or resumed without it: run the sweep again into a new folder (--out), "
              "or delete this folder yourself and run the same sweep command again")
    try:
        data = read_json(path)
    except FileNotFoundError:
        raise StorageError(f"{root}: not a sweep folder (no {MANIFEST}); {_GIVE_SWEEP}") from None
    except IsADirectoryError:
        raise StorageError(f"{path}: is a folder, not a sweep's manifest; {_GIVE_SWEEP}") from None
    except OSError as err:
        raise StorageError(f"{path}: cannot be read: {err.strerror or err}") from None
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DamagedSweepError(f"{path}: damaged (not valid JSON: {str(err)[:200]}). {advice}") from None
    if not isinstance(data, dict):
        raise DamagedSweepError(f"{path}: damaged (a JSON {type(data).__name__}, not an object). {advice}")
    if "format" in data and data["format"] not in (FORMAT, LEGACY_FORMAT):
        raise StorageError(f"{path}: format {str(data['format'])[:80]!r} is not a sweep folder this version reads "
                           f"({FORMAT} or {LEGACY_FORMAT}); give a folder written by run.py sweep or compare")
    problems = [f"{key!r} is missing" if key not in data else f"{key!r} is not a JSON {kind.__name__}"
                for key, kind in _MANIFEST_FIELDS.items() if not isinstance(data.get(key), kind)]
    spec = data.get("spec")
    if isinstance(spec, dict) and not (isinstance(spec.get("sampler"), dict) and isinstance(spec["sampler"].get("kind"), str)):
        problems.append("'spec.sampler.kind' is missing")
    for name, about in (data.get("parameters") or {}).items() if isinstance(data.get("parameters"), dict) else ():
        if not (isinstance(about, dict) and isinstance(about.get("path"), list) and isinstance(about.get("type"), str)):
            problems.append(f"'parameters.{name}' lacks its path or type")
    if problems:
        raise DamagedSweepError(f"{path}: damaged or not written by run.py sweep ({'; '.join(problems[:5])}). {advice}")
    return data


def read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file of a sweep folder.

    Raises:
        DamagedSweepError: If it is missing, truncated or garbled, naming the file and what to do.
    """
    try:
        return pq.read_table(path, columns=columns)
    except FileNotFoundError:
        raise DamagedSweepError(_damaged_chunk_message(path, "the file is missing")) from None
    except (OSError, pa.ArrowException, ValueError) as err:
        # pyarrow repeats the path ("Could not open Parquet input source '<path>': ..."); keep the reason
        why = re.sub(r"^Could not open Parquet input source '.*?': ", "", str(err))
        raise DamagedSweepError(_damaged_chunk_message(path, why[:200].rstrip("."))) from None


def _damaged_chunk_message(path: Path, why: str) -> str:
    """What to tell the user about a damaged file of a sweep folder: which chunk's runs it holds and what to do."""
    folder = path.parent
    sweep = folder.parent
    if folder.parent.name == CHUNKS:  # the earlier layout: chunks/<first>-<last>/<table>.parquet
        sweep = folder.parent.parent
        return (f"{path}: damaged ({why}). The runs of chunk {folder.name} cannot be read; nothing was changed. "
                "This folder is in the earlier layout, which this version reads but does not resume: restore the file "
                f"from a copy, or move the folder {folder} out of {sweep / CHUNKS} to analyse the other chunks")
    named = re.search(_CHUNK_NAME, path.name)
    if folder.name in (*TABLES, COMMITS) and named and (sweep / MANIFEST).is_file():
        chunk = named.group(0)
        return (f"{path}: damaged ({why}). The runs of chunk {chunk} cannot be read; nothing was changed. Run the "
                f"same sweep (or compare) command again: it moves the chunk's files into {sweep / DAMAGED / chunk} and "
                f"makes its runs again. Or move {sweep / COMMITS / (chunk + '.json')} and the chunk's part-{chunk}.parquet "
                "files out of the folder yourself and run it again")
    return (f"{path}: damaged ({why}); nothing was changed. Run the same sweep command again to write it anew "
            "(its runs are kept)")


def _parquet_readable(path: Path) -> bool:
    """Whether a Parquet file's footer can be read (a truncated or garbled file fails here)."""
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException, ValueError):
        return False
    return True


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
