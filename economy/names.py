"""Names that become folder names: one check for sweep names and run names alike.

A name taken from a spec or a config ends up as one folder under ``results/``
(``results/sweeps/<name>``, ``results/<run.name>``), so it must stay exactly one plain
folder name on every platform: no separator, no ``.`` or ``..``, no NUL, nothing a
file system refuses. This module imports nothing from the rest of the project, so
``economy.config`` can use it without an import cycle.
"""

from __future__ import annotations

import re

__all__ = ["FOLDER_NAME_PATTERN", "MAX_NAME_LENGTH", "check_folder_name"]

#: Letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit (so never ``.``, ``..`` or hidden).
FOLDER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: Longest name: well inside every file system's 255-byte limit, with room for suffixes the programs add.
MAX_NAME_LENGTH = 120
#: Names Windows refuses as a file or folder, whatever the extension; refused everywhere so results travel.
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_VALID = (f"use 1 to {MAX_NAME_LENGTH} letters, digits, '_', '.' or '-', starting with a letter or digit "
          "(it becomes one folder name)")


def check_folder_name(name: object) -> str:
    r"""Return ``name`` if it can be used as one folder name under a results folder.

    Usable as a pydantic ``field_validator`` body: the error text says what would be valid.

    Args:
        name: The name as read from a spec or config.

    Returns:
        The name, unchanged.

    Raises:
        ValueError: If it is not text, is empty or too long, contains anything but
            letters, digits, ``_``, ``.`` and ``-`` (so no ``/``, ``\\``, NUL or space),
            starts with ``.``/``_``/``-`` (so never ``.`` or ``..``), ends with ``.``, or
            is a name Windows reserves (``con``, ``nul``, ``com1``...).

    Example:
        >>> check_folder_name("smoke")
        'smoke'
    """
    if not isinstance(name, str):
        raise ValueError(f"must be text; got {type(name).__name__} {name!r}; {_VALID}")
    shown = repr(name) if len(name) <= 60 else repr(name[:60]) + "..."
    if not name:
        raise ValueError(f"the name is empty; {_VALID}")
    if "\x00" in name:
        raise ValueError(f"the name holds a NUL character; {_VALID}")
    if "/" in name or "\\" in name:
        raise ValueError(f"{shown} holds a path separator (it names one folder, not a path); {_VALID}")
    if name in (".", ".."):
        raise ValueError(f"{name!r} is not a folder name; {_VALID}")
    if name.startswith("."):
        raise ValueError(f"{shown} starts with '.' (hidden folders are the program's own); {_VALID}")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"the name is {len(name)} characters long; {_VALID}")
    if not re.fullmatch(FOLDER_NAME_PATTERN, name):
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-"))})
        what = (f"holds characters other than letters, digits, _ . and - ({', '.join(repr(c) for c in bad)})" if bad
                else f"starts with {name[0]!r}")
        raise ValueError(f"{shown} {what}; {_VALID}")
    if name.endswith("."):
        raise ValueError(f"{shown} ends with '.' (some file systems drop it); {_VALID}")
    if _RESERVED.match(name):
        raise ValueError(f"{shown} is a device name on Windows and cannot be a folder there; choose another name")
    return name
