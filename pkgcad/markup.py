"""User text (a template's title, a library name, a folder) written into Markdown: escaped, so that it is shown
as written and never becomes markup (a ``<script>`` title in ``strip.md`` ran in any Markdown viewer that passes
HTML through). HTML pages escape with :func:`html.escape` (``view/html.py``, ``sweep/summary.py``).

- :func:`md_text`: for Markdown running text and table cells: HTML escaped as above, and every character that
  starts Markdown markup (emphasis, links, images, code, tables, headings, lists) backslash-escaped; control
  characters (a line break would end a table row or start a block) become spaces.
- :func:`md_code`: for a name shown as inline code: literal inside backticks (nothing is markup there), or
  :func:`md_text` when it holds a backtick itself.
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]!|~])")
_MD_BLOCK = re.compile(r"^(\s*)([#+\-=>]|\d+(?=[.)]))")  # what would start a heading, list or quote
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def md_text(text: object) -> str:
    plain = _CONTROL.sub(" ", str(text))
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(plain, quote=False))
    return _MD_BLOCK.sub(lambda m: m[1] + "\\" + m[2] if not m[2][0].isdigit() else m[0] + "\\", escaped)


def md_code(text: object) -> str:
    plain = _CONTROL.sub(" ", str(text))
    if "`" in plain or not plain.strip():
        return md_text(plain)
    return f"`{plain}`"
