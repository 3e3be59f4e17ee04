"""Rewrite the golden outputs from the code as it stands. Run only on purpose.

    .venv/bin/python -m tests.golden.regenerate              # every case, into tests/golden/<case>/
    .venv/bin/python -m tests.golden.regenerate tiny         # one case
    .venv/bin/python -m tests.golden.regenerate --out DIR    # somewhere else, e.g. to diff -r

Commit regenerated goldens on their own, saying in the message why the results changed
(see tests/golden/README.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tests.golden.cases import CASES, GOLDEN, run_case, write_outputs


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="python -m tests.golden.regenerate", description=__doc__.splitlines()[0])
    p.add_argument("cases", nargs="*", metavar="CASE", help=f"cases to regenerate (default: all of {', '.join(CASES)})")
    p.add_argument("--out", type=Path, default=GOLDEN, help="folder to write <case>/ into (default: tests/golden)")
    return p


def regenerate(name: str, out: Path) -> list[Path]:
    """Run one case and replace its folder under ``out`` with the new outputs."""
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    return write_outputs(run_case(CASES[name]), folder)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = parser()
    args = p.parse_args(argv)
    unknown = [name for name in args.cases if name not in CASES]
    if unknown:
        p.error(f"unknown case {', '.join(unknown)}; known: {', '.join(CASES)}")
    for name in args.cases or list(CASES):
        written = regenerate(name, args.out)
        size = sum(path.stat().st_size for path in written)
        print(f"{name}: {len(written)} files, {size / 1024:.1f} KiB in {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
