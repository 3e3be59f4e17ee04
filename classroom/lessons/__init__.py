"""Lessons: the Info tab (NetLogo's sections) and the guided lessons, in both languages.

Texts are Markdown files beside this module, rendered to HTML here with the
``markdown`` package (``solara.Markdown`` would fetch KaTeX from a CDN, which the
offline page must not do). Each lesson's preset is in ``lessons.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import markdown
import yaml

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Lesson:
    """A guided lesson: its id, the preset it loads, and its title and HTML per language."""

    id: str
    scenario: str
    values: dict[str, Any] = field(default_factory=dict)
    title: dict[str, str] = field(default_factory=dict)
    html: dict[str, str] = field(default_factory=dict)


_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7F])\n[ \t]*(?=[^\x00-\x7F])")
"""A line break between two Japanese characters, which a browser would show as a space."""


def _render(text: str) -> str:
    return markdown.markdown(_CJK_BREAK.sub("", text), extensions=["sane_lists"])


@cache
def info_html(lang: str) -> str:
    """The Info tab in ``lang`` as HTML."""
    return _render((HERE / f"info.{lang}.md").read_text(encoding="utf-8"))


@cache
def lessons(languages: tuple[str, ...] = ("en", "ja")) -> tuple[Lesson, ...]:
    """Every guided lesson, in the order of ``lessons.yaml``."""
    out = []
    for entry in yaml.safe_load((HERE / "lessons.yaml").read_text(encoding="utf-8")):
        title, body = {}, {}
        for lang in languages:
            text = (HERE / f"{entry['id']}.{lang}.md").read_text(encoding="utf-8")
            first, _, rest = text.partition("\n")
            title[lang] = first.lstrip("# ").strip()
            body[lang] = _render(rest)
        preset = entry["preset"]
        out.append(Lesson(entry["id"], preset["scenario"], dict(preset.get("values", {})), title, body))
    return tuple(out)
