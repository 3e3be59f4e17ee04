"""A run's output folder: written whole or not at all, and never over anything the program did not write.

Rules (the README explains them to users):

- A folder that does not exist, or an empty one, is used.
- A folder that holds an earlier run (its ``run.json`` marker lists every file the run
  wrote) is replaced, but only if nothing else has been put into it since.
- Anything else is refused: a folder of someone's own files, a folder with files added
  to an earlier run, a parameter study (a sweep folder, finished or still being
  written, or anything inside one), a git work tree. ``force`` lets a run add its files
  to a folder of other files (or to an earlier run with added files), but it still
  never overwrites or deletes a file that is not an earlier run's; sweep folders and
  git work trees are refused even then.

The results are first written complete into a hidden folder beside the target and
then moved in, so an interrupted or failed run leaves the target as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from economy.sweep.folders import enclosing_sweep, is_sweep_folder

MARKER = "run.json"
FORMAT = "ai-financing-web/run/1"
_SHOWN = 5  # how many unexpected entries a refusal lists


class OutputFolderError(Exception):
    """An output folder the run may not write into; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Target:
    """What is at the output path now, as found by :func:`check_target`.

    Attributes:
        path: The output folder.
        kind: ``"new"`` (nothing there), ``"empty"``, ``"run"`` (an earlier run and only
            that) or ``"mixed"`` (other files too: allowed with ``force`` only).
        earlier: The files of an earlier run there (relative paths), to be replaced.
    """

    path: Path
    kind: str
    earlier: frozenset[str] = frozenset()


def check_target(out: Path, force: bool = False) -> Target:
    """Decide whether a run may write into ``out``, before anything is simulated or written.

    Raises:
        OutputFolderError: Saying what is there and how to proceed.
    """
    if "\0" in str(out):
        raise OutputFolderError(f"--out {out!r}: a path cannot contain a NUL character")
    if out.is_symlink():
        out = out.resolve()  # the rules apply to the folder the link points to, which is where files would go
    _check_parent_writable(out)
    sweep = out if is_sweep_folder(out) else enclosing_sweep(out)
    if sweep is not None:
        where = "is" if sweep == out else f"is inside {sweep}, which is"
        raise OutputFolderError(f"{out}: {where} a parameter study (sweep folder); a run never writes there. "
                                "Give another folder with --out")
    if not out.exists():
        return Target(out, "new")
    if not out.is_dir():
        raise OutputFolderError(f"{out}: exists and is not a folder; give a folder path with --out")
    if (out / ".git").exists():
        raise OutputFolderError(f"{out}: holds a git work tree; a run never writes there, even with --force. "
                                "Give another folder with --out")
    earlier = _earlier_run(out)
    # look no further than needed: enough to see every file of the earlier run and a few others (a home folder is large)
    limit = len(earlier) + 1 + _SHOWN
    entries = _entries(out, limit)
    if not entries:
        return Target(out, "empty")
    foreign = sorted(e for e in entries if e not in earlier and e != MARKER)
    if not foreign:
        return Target(out, "run", earlier)
    listed = ", ".join(foreign[:_SHOWN]) + (" and more" if len(foreign) > _SHOWN or len(entries) > limit else "")
    what = "an earlier run with files added to it" if earlier else "files this program did not write"
    if not force:
        raise OutputFolderError(
            f"{out}: holds {what} ({listed}); nothing was written. Give a new or empty folder with --out, "
            "or add --force to add this run's files beside them (nothing that is not an earlier run's is ever "
            "overwritten or deleted)")
    return Target(out, "mixed", earlier)


def write_run(target: Target, write: Callable[[Path], None], about: dict) -> list[str]:
    """Write a run's files with ``write(folder)`` into a hidden folder, then move them into the target.

    Args:
        target: What :func:`check_target` found.
        write: Writes every file of the run into the folder it is given.
        about: What the marker records besides the file list (config name, seed, code version).

    Returns:
        The files written (relative paths), the marker included.

    Raises:
        OutputFolderError: If the folder cannot be written, or changed since it was checked.
        OSError: Only for failures other than permissions, space and paths.
    """
    out = target.path
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as err:
        raise OutputFolderError(f"{out}: cannot create the output folder: {err.strerror}") from None
    try:
        write(tmp)
        files = sorted(_entries(tmp))
        marker = {"format": FORMAT, "files": files, "written": dt.datetime.now(dt.UTC).isoformat(), **about}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _install(tmp, target, files)
        return files + [MARKER]
    except OSError as err:
        raise OutputFolderError(f"{out}: cannot write the results: {err.strerror or err}; nothing was changed") from None
    finally:
        _remove_tree_we_made(tmp)


def _install(tmp: Path, target: Target, files: list[str]) -> None:
    """Move the finished results into place (see the module docstring for what may be replaced)."""
    now = check_target(target.path, force=target.kind == "mixed")  # the folder may have changed while the run ran
    if now.kind != target.kind or now.earlier != target.earlier:
        raise OutputFolderError(f"{target.path}: changed while the run was going; nothing was written. Run again")
    out = target.path
    if target.kind in ("new", "empty"):
        os.replace(tmp, out)  # POSIX: fails if the folder has meanwhile got any content
    elif target.kind == "run":
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        os.replace(out, old / "run")
        os.replace(tmp, out)
        _remove_files(old / "run", now.earlier | {MARKER})
        try:
            old.rmdir()
        except OSError:  # something appeared in the old run in the last instant: keep it, never delete it
            print(f"warning: kept {old}: it holds files that were not the earlier run's", file=sys.stderr)
    else:  # mixed: files go in one by one beside the others; only the earlier run's files may be replaced
        clash = [f for f in files + [MARKER] if (out / f).exists() and f not in now.earlier and f != MARKER]
        if clash or ((out / MARKER).exists() and not now.earlier):
            raise OutputFolderError(f"{out}: already has {', '.join(clash[:_SHOWN]) or MARKER}, which this program "
                                    "did not write; nothing was written. Give another folder with --out")
        _remove_files(out, now.earlier - set(files))
        for f in files + [MARKER]:
            (out / f).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / f, out / f)


def _entries(folder: Path, limit: int | None = None) -> set[str]:
    """Files and symbolic links under ``folder``, as relative paths (folders themselves are not entries).

    With ``limit``, the walk stops once more than ``limit`` entries are found.
    """
    found: set[str] = set()
    for root, dirs, names in os.walk(folder):
        if limit is not None and len(found) > limit:
            break
        rel = Path(root).relative_to(folder)
        found.update(str(rel / n) if str(rel) != "." else n for n in names)
        for d in list(dirs):  # a link to a folder is an entry, not a place to walk into
            if os.path.islink(os.path.join(root, d)):
                found.add(str(rel / d) if str(rel) != "." else d)
                dirs.remove(d)
        if not names and not dirs and root != str(folder):
            found.add((str(rel)) + "/")  # an empty sub-folder someone made is theirs
    return found


def _earlier_run(folder: Path) -> frozenset[str]:
    """The files an earlier run wrote into ``folder``, from its marker; empty if there is no valid marker."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    if not isinstance(marker, dict) or marker.get("format") != FORMAT or not isinstance(marker.get("files"), list):
        return frozenset()
    return frozenset(f for f in marker["files"] if isinstance(f, str) and _is_inside(folder, f))


def _is_inside(folder: Path, rel: str) -> bool:
    """A marker's entry names a file inside the folder (a doctored marker cannot point elsewhere)."""
    path = Path(rel)
    return not path.is_absolute() and ".." not in path.parts and (folder / path).resolve().is_relative_to(folder.resolve())


def _check_parent_writable(out: Path) -> None:
    """The nearest existing folder on the way to ``out`` is a folder we can write in."""
    for folder in (out.parent, *out.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputFolderError(f"{out}: {folder} is a file, not a folder; give a folder path with --out")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise OutputFolderError(f"{out}: cannot write in {folder} (permission denied); give another folder with --out")
            return


def _remove_files(folder: Path, files: set[str] | frozenset[str]) -> None:
    """Delete exactly these files (an earlier run's), then the sub-folders they leave empty."""
    for f in sorted(files):
        path = folder / f
        if path.is_file() or path.is_symlink():
            path.unlink()
    for f in sorted(files, key=lambda f: -len(Path(f).parts)):
        for parent in Path(f).parents:
            if str(parent) != "." and (folder / parent).is_dir() and not any((folder / parent).iterdir()):
                (folder / parent).rmdir()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _remove_tree_we_made(folder: Path) -> None:
    """Remove a hidden working folder this module created (and only such a folder)."""
    if not folder.exists() or not folder.name.startswith("."):
        return
    for root, dirs, names in os.walk(folder, topdown=False):
        for n in names:
            os.unlink(os.path.join(root, n))
        for d in dirs:
            path = os.path.join(root, d)
            os.unlink(path) if os.path.islink(path) else os.rmdir(path)
    os.rmdir(folder)
