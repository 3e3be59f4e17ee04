"""The code of another commit beside this checkout, for benchmarks that report a ratio against it.

A benchmark that prints "1.4x faster" must say faster than what: :func:`checkout_of`
exports a git ref (a commit, a tag, ``HEAD~3``) into a temporary folder with ``git
archive`` (no worktree is registered and nothing in this checkout changes), and the
benchmark runs both trees with the same interpreter, interleaved, so that a machine
busy with other work slows both alike.

Functions:
    checkout_of: a temporary copy of the files of a git ref, as a context manager.
    rusage_children: CPU seconds (user + system) of the finished children of this process so far.
"""

from __future__ import annotations

import contextlib
import io
import resource
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def checkout_of(ref: str) -> Iterator[Path]:
    """The files of ``ref`` in a temporary folder, removed on exit.

    Args:
        ref: Anything ``git rev-parse`` takes in this repository.

    Yields:
        The folder holding the tree of ``ref`` (with ``run.py`` at its top).

    Raises:
        SystemExit: If ``ref`` is not a commit of this repository.
    """
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                            capture_output=True, text=True)
    if commit.returncode:
        raise SystemExit(f"--ref {ref}: not a commit of {ROOT}: {commit.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit.stdout.strip()],
                                 capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


def rusage_children() -> float:
    """CPU seconds, user and system, of every child process of this one that has finished and been waited for.

    A child's figure is counted with its own children (the figure workers of a run) once it has waited for them.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

