"""Storage that loses nothing: a sweep folder of Parquet chunks, each made visible atomically.

Layout of a sweep folder::

    manifest.json      the spec, its base configs' fingerprints, the code version (written first)
    spec.yaml          the spec as written
    design.parquet     the design: point_id, each parameter's value and unit-cube position
    chunks/<first>-<last>/runs.parquet          one row per run (ok or failed)
    chunks/<first>-<last>/timeseries.parquet    the system table per quarter (if kept)
    chunks/<first>-<last>/entities.parquet      chosen balance-sheet rows (if kept)
    sessions.jsonl     one line per invocation: executor, workers, runs made, time
    .lock              held (flock) by the sweep writing into the folder; stays afterwards
    damaged/           chunks a resumed sweep could not read, moved here (never deleted)

A chunk is written into a hidden temporary folder and renamed into ``chunks/`` in one
step, so a reader (or a resumed sweep) sees all of a chunk or none of it, whatever
moment the process was killed at. Resuming reads the run ids already stored and makes
exactly the others. A lock file keeps two sweeps from writing into one folder.

A damaged file (a truncated copy, a full disk) is reported naming the file and what to
do, never "repaired" by deleting: readers stop with :class:`DamagedSweepError`, and a
resumed sweep moves an unreadable chunk into ``damaged/`` and makes its runs again.
Other programs tell a sweep folder by :func:`is_sweep_folder` and a sweep writing now
by :func:`sweep_in_progress`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from economy.sweep.folders import (  # noqa: F401 - also importable from here, beside the rest of the folder API
    FORMAT,
    LOCK,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    enclosing_sweep,
    is_sweep_folder,
    read_json,
    sweep_in_progress,
)
from economy.sweep.task import ChunkResult

CHUNKS = "chunks"
TABLES = ("runs", "timeseries", "entities")
#: Where a resumed sweep moves chunks it cannot read (never deleted: the user decides).
DAMAGED = "damaged"
#: What a sweep's half-written chunk is called (see :meth:`SweepStore.write_chunk`).
_PARTIAL = re.compile(r"\.tmp-\d{10}-\d{10}-[0-9a-f]{8}")
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


# ---------------------------------------------------------------------------- the store
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
        #: Unreadable chunks moved into ``damaged/`` when the folder was opened for writing.
        self.moved_aside: list[Path] = []
        #: The run ids stored when the folder was opened for writing (under its lock).
        self.stored_ids = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ opening
    def check_for_writing(self, manifest: dict) -> tuple[np.ndarray, list[Path]]:
        """Decide, without writing anything, whether this sweep may write into the folder.

        Returns:
            The run ids stored already (readable chunks only) and the chunks that cannot be
            read (a resumed sweep moves them aside and makes their runs again).

        Raises:
            StorageError: If the folder cannot be made or written, holds something else or
                another sweep, or another process is writing into it.
        """
        if not self._check_folder():
            return np.zeros(0, dtype=np.int64), []
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

    def _check_same_sweep(self, manifest: dict) -> None:
        old = self.manifest()
        if old.get("fingerprint") != manifest["fingerprint"]:
            raise StorageError(
                f"{self.root}: holds a sweep of a different spec or base config "
                f"(stored: {old.get('spec_file')}, code {old.get('code_version')}); resuming would mix results. "
                "Give another folder with --out, or delete this one to start again.")

    def open_for_writing(self, manifest: dict, design: pa.Table, spec_text: str) -> bool:
        """Create the folder with its manifest and design, or check an existing one is the same sweep.

        On resuming, chunks that cannot be read are moved into ``damaged/`` (their runs are
        then made again) and a damaged ``design.parquet`` is written anew from the spec.

        Returns:
            True if the folder was created, False if an existing sweep is resumed.

        Raises:
            StorageError: If the folder holds something else, another sweep, or a sweep of
                another spec or base config; or another process is writing into it; or it
                cannot be written.
        """
        self._check_folder()  # before the lock file is made: nothing is written into a folder that is refused
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
            existing = self.root / MANIFEST
            if existing.is_file():
                self._check_same_sweep(manifest)  # again, now under the lock
                self.chunks.mkdir(exist_ok=True)
                self._remove_partial_chunks()
                self.stored_ids, damaged = self.scan_chunks()  # under the lock: what this invocation builds on
                self.moved_aside = self._move_aside(damaged)
                if not _parquet_readable(self.root / "design.parquet"):
                    _atomic_parquet(design, self.root / "design.parquet")  # the design follows from the spec alone
                return False
            # The manifest first: a folder with chunks always says what made them.
            atomic_write(existing, (json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n").encode())
            atomic_write(self.root / "spec.yaml", spec_text.encode())
            _atomic_parquet(design, self.root / "design.parquet")
            self.chunks.mkdir(exist_ok=True)
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

    def _remove_partial_chunks(self) -> None:
        """Remove chunks a killed sweep left half-written (never visible, their runs are not stored).

        Only a folder this program recognisably made is removed: named as :meth:`write_chunk`
        names its temporary folder and holding nothing but the Parquet files a chunk has.
        Anything else under that name is left where it is.
        """
        for tmp in self.chunks.glob(".tmp-*"):
            if _is_partial_chunk(tmp):
                shutil.rmtree(tmp, ignore_errors=True)

    def _move_aside(self, damaged: list[Path]) -> list[Path]:
        """Move unreadable chunks into ``damaged/`` so their runs are made again; nothing is deleted.

        Returns:
            Where each moved chunk now is.
        """
        moved = []
        for chunk in damaged:
            target_dir = self.root / DAMAGED
            target_dir.mkdir(exist_ok=True)
            target = target_dir / chunk.name
            k = 2
            while target.exists():
                target, k = target_dir / f"{chunk.name}-{k}", k + 1
            os.rename(chunk, target)
            moved.append(target)
        return moved

    # ------------------------------------------------------------------ reading
    def manifest(self) -> dict:
        """The sweep's manifest, checked to have the fields a sweep writes.

        Raises:
            StorageError: If the folder has none, or it is not a sweep's.
            DamagedSweepError: If it cannot be read or lacks a field.
        """
        return read_manifest(self.root)

    def chunk_dirs(self) -> list[Path]:
        """The visible chunks, in name (run id) order."""
        if not self.chunks.is_dir():
            return []
        try:
            return sorted(p for p in self.chunks.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError as err:
            raise StorageError(f"{self.chunks}: cannot be read: {err.strerror or err}") from None

    def stored_run_ids(self) -> np.ndarray:
        """The run ids stored so far, sorted.

        Raises:
            DamagedSweepError: If a chunk cannot be read.
            StorageError: If a run is stored twice (the folder was changed by hand).
        """
        ids, damaged = self.scan_chunks()
        if damaged:
            read_parquet(damaged[0] / "runs.parquet")  # raises, naming the file and what to do
            for name in TABLES[1:]:
                if (damaged[0] / f"{name}.parquet").exists():
                    read_parquet(damaged[0] / f"{name}.parquet")
        return ids

    def scan_chunks(self) -> tuple[np.ndarray, list[Path]]:
        """The run ids stored in readable chunks (sorted), and the chunks that cannot be read.

        A chunk is unreadable if its ``runs.parquet`` is missing or cannot be read, or the
        footer of one of its other tables cannot be read (as when a copy was cut short).

        Raises:
            StorageError: If a run is stored twice (the folder was changed by hand).
        """
        parts, owners, damaged = [], [], []
        for d in self.chunk_dirs():
            try:
                ids = read_parquet(d / "runs.parquet", columns=["run_id"]).column("run_id").to_numpy()
            except DamagedSweepError:
                damaged.append(d)
                continue
            if any((d / f"{name}.parquet").exists() and not _parquet_readable(d / f"{name}.parquet") for name in TABLES[1:]):
                damaged.append(d)
                continue
            parts.append(ids)
            owners += [d] * len(ids)
        ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        dup = np.flatnonzero(ids[1:] == ids[:-1])
        if dup.size:
            i = int(dup[0])
            a, b = owners[order[i]], owners[order[i + 1]]
            raise StorageError(f"{self.root}: run {int(ids[i])} is stored twice, in {a.name} and {b.name}; the folder "
                               f"was changed outside the sweep. Move one of those chunk folders out of {self.chunks} "
                               "and run the sweep command again")
        return ids, damaged

    def read(self, table: str = "runs") -> pa.Table | None:
        """All stored rows of one table, sorted by run id (None if no chunk has that table).

        Raises:
            DamagedSweepError: If a chunk's file cannot be read, or the chunks' tables do not fit together.
        """
        files = [d / f"{table}.parquet" for d in self.chunk_dirs() if table == "runs" or (d / f"{table}.parquet").is_file()]
        parts = [read_parquet(f) for f in files]  # every chunk has runs.parquet: a missing one is damage
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
            raise DamagedSweepError(f"{self.chunks}: the chunks' {table} tables do not fit together ({err}); a chunk "
                                    "was changed or copied in from another sweep. Move the odd chunk folder out of "
                                    f"{self.chunks} and run the sweep command again") from None
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
            shutil.rmtree(tmp, ignore_errors=True)  # made just above, by this call
            raise
        _fsync(self.chunks)
        return final

    def log_session(self, record: dict) -> None:
        """Append one line about this invocation to ``sessions.jsonl``."""
        with open(self.root / "sessions.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")


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
    if "format" in data and data["format"] != FORMAT:
        raise StorageError(f"{path}: format {str(data['format'])[:80]!r} is not a sweep folder this version reads "
                           f"({FORMAT}); give a folder written by run.py sweep or compare")
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
    folder = path.parent
    if folder.parent.name == CHUNKS:
        sweep = folder.parent.parent
        return (f"{path}: damaged ({why}). The runs of chunk {folder.name} cannot be read; nothing was changed. "
                f"Run the same sweep (or compare) command again: it moves the chunk into "
                f"{sweep / DAMAGED} and makes its runs again. Or delete the folder {folder} yourself and run it again")
    return (f"{path}: damaged ({why}); nothing was changed. Run the same sweep command again to write it anew "
            "(its runs are kept)")


def _parquet_readable(path: Path) -> bool:
    """Whether a Parquet file's footer can be read (a truncated or garbled file fails here)."""
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException, ValueError):
        return False
    return True


def _is_partial_chunk(path: Path) -> bool:
    """A temporary chunk folder as :meth:`SweepStore.write_chunk` makes it, holding only a chunk's files."""
    if not (_PARTIAL.fullmatch(path.name) and path.is_dir() and not path.is_symlink()):
        return False
    allowed = {f"{name}.parquet" for name in TABLES}
    try:
        return all(p.name in allowed and p.is_file() and not p.is_symlink() for p in path.iterdir())
    except OSError:
        return False


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
