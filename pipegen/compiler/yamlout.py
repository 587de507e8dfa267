"""Block-style YAML, byte for byte what PyYAML writes, without importing PyYAML.

``dump(data)`` returns exactly
``yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)``
for trees of dicts, lists, str, int, float, bool and None, except for a string
holding a NEL (U+0085), which PyYAML writes so that it does not read back (see
``_SPECIAL``): that one is double-quoted. It is a port of the
parts of PyYAML's representer, resolver and emitter (6.0) that such data goes
through: block mappings and sequences, ``{}`` and ``[]`` for empty ones, and
scalars plain, single-quoted or double-quoted as PyYAML chooses, folded at the
same column. Anything else (another type, or a container that occurs twice,
which PyYAML writes with an anchor) is handed to PyYAML itself, so the result
is always PyYAML's.

PyYAML builds events and nodes for every value; for the three small config
files of a project that costs about 2 ms, this about a tenth of it.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

WIDTH = 80  # PyYAML's best_width
INDENT = 2  # PyYAML's best_indent
BREAKS = "\n\x85\u2028\u2029"

# PyYAML's implicit resolvers (yaml/resolver.py): a string one of them matches would read
# back as another type (bool, null, int, float, timestamp, merge, value), so it is never
# written plain. Only single-line strings are looked up here, so the words are a set. The
# number and timestamp patterns are PyYAML's; they are compiled (2 ms) only for a string
# that could match: one that starts with a character PyYAML tries them for and holds no
# character they cannot match.
_WORDS = frozenset(("yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                    "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", "<<", "=", "!", "&", "*"))
_NUMBER_START = "-+.0123456789"
_NUMBER_CHARS = frozenset("0123456789_.:+-eEbxabcdefABCDEFiInNfFaAtTZ \t")  # all those patterns match
_NUMBER = r"""^(?:
    (?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$
  | (?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$
  | (?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$
)"""

# Emitter.analyze_scalar (allow_unicode=True), with one deliberate difference: PyYAML
# single-quotes a string holding a NEL (U+0085), and its own reader turns that NEL into a
# space or a newline; here a NEL is special, so such a string is double-quoted ("\N").
_SPECIAL = "[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010fffe]|\ufeff"  # for non-ASCII text
_FIRST_INDICATORS = "#,[]{}&*!|>'\"%@`"


@cache
def _pattern(source: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(source, flags)


def _has_break(text: str) -> bool:
    return "\n" in text or (not text.isascii() and ("\x85" in text or "\u2028" in text or "\u2029" in text))


def _special(text: str) -> bool:
    """Has the text a character that only a double-quoted scalar can hold?"""
    if text.isascii():
        return not text.isprintable() and not text.replace("\n", "").isprintable()
    return _pattern(_SPECIAL).search(text) is not None


def _break_space(text: str) -> bool:
    """Has the text a space before or after a line break (which rules out single quotes)?"""
    return any(b + " " in text or " " + b in text for b in BREAKS)


def _implicit(text: str) -> bool:
    """Would a plain single-line ``text`` read back as something other than a string?"""
    if text in _WORDS:
        return True
    return (text[0] in _NUMBER_START and _NUMBER_CHARS.issuperset(text)
            and _pattern(_NUMBER, re.VERBOSE).match(text) is not None)


def _plain_ok(text: str) -> bool:
    """May a non-empty single-line string without special characters be written plain in block context?

    Its only whitespace is the space, so an indicator is ": " or a final ":" or " #"."""
    first = text[0]
    if first == " " or text[-1] == " " or first in _FIRST_INDICATORS or text.startswith(("---", "...")):
        return False
    if first in "?:-" and (len(text) == 1 or text[1] == " "):
        return False
    return text.find(": ", 1) < 0 and not (text.endswith(":") and len(text) > 1) and " #" not in text


_ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\x09": "t", "\x0a": "n", "\x0b": "v", "\x0c": "f",
            "\x0d": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L",
            "\u2029": "P"}


_TAG_LENGTH = {str: 5, int: 5, bool: 6, type(None): 6, float: 7}


class _Unsupported(Exception):
    """Data this module does not write the way PyYAML would: PyYAML writes it instead."""


def dump(data: Any) -> str:
    """``yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)``."""
    try:
        return _Emitter().document(data)
    except (_Unsupported, RecursionError):
        import yaml

        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _scalar_text(value: Any) -> str | None:
    """The text SafeRepresenter gives a non-string scalar; None for a string."""
    t = type(value)
    if t is str:
        return None
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value)
    if t is float:
        if math.isnan(value):
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value).lower()
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text
    raise _Unsupported(t)


class _Emitter:
    """The state of PyYAML's Emitter that block output needs, and its writers."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.indent: int | None = None
        self.open_ended = False
        self.seen: set[int] = set()

    # ---------------------------------------------------------------- structure

    def document(self, data: Any) -> str:
        self.node(data, root=True)
        self.indent = None
        self.write_indent()
        if self.open_ended:
            self.write_indicator("...", True)
            self.write_indent()
        return "".join(self.out)

    def node(self, data: Any, root: bool = False, mapping: bool = False, simple_key: bool = False) -> None:
        t = type(data)
        if t is dict or t is list:
            if id(data) in self.seen:  # PyYAML would write an anchor and an alias
                raise _Unsupported("shared")
            self.seen.add(id(data))
            if not data:
                self.write_indicator("{" if t is dict else "[", True, whitespace=True)
                self.write_indicator("}" if t is dict else "]", False)
            elif t is dict:
                self.block_mapping(data)
            else:
                self.block_sequence(data, indentless=mapping and not self.indention)
            return
        text = _scalar_text(data)
        saved = self.indent
        self.indent = INDENT if saved is None else saved + INDENT
        if text is not None:
            self.write_plain(text, not simple_key, root)
        else:
            self.write_str(data, simple_key, root)
        self.indent = saved

    def block_mapping(self, data: dict) -> None:
        saved = self.indent
        self.indent = 0 if saved is None else saved + INDENT
        for key, value in data.items():
            self.write_indent()
            key_text = _scalar_text(key)
            if key_text is None:
                key_text = key
            # Emitter.check_simple_key counts the tag too ("!!str", "!!int", ...), though it is not written.
            if (len(key_text) + _TAG_LENGTH[type(key)] < 128 and key_text
                    and not _has_break(key_text)):
                self.node(key, mapping=True, simple_key=True)
                self.write_indicator(":", False)
            else:
                self.write_indicator("?", True, indention=True)
                self.node(key, mapping=True)
                self.write_indent()
                self.write_indicator(":", True, indention=True)
            self.node(value, mapping=True)
        self.indent = saved

    def block_sequence(self, data: list, indentless: bool) -> None:
        saved = self.indent
        if saved is None:
            self.indent = 0
        elif not indentless:
            self.indent = saved + INDENT
        for item in data:
            self.write_indent()
            self.write_indicator("-", True, indention=True)
            self.node(item)
        self.indent = saved

    # ---------------------------------------------------------------- scalars

    def write_str(self, text: str, simple_key: bool, root: bool) -> None:
        """Emitter.choose_scalar_style and process_scalar for a string."""
        if not text:
            self.write_single_quoted(text, not simple_key)  # '' would read back as null
            return
        multiline = _has_break(text)
        special = _special(text)
        if not multiline and not special and not _implicit(text) and _plain_ok(text):
            self.write_plain(text, not simple_key, root)
        elif not special and not (multiline and (simple_key or _break_space(text))):
            self.write_single_quoted(text, not simple_key)
        else:
            self.write_double_quoted(text, not simple_key)

    def write_indicator(self, indicator: str, need_whitespace: bool, whitespace: bool = False,
                        indention: bool = False) -> None:
        data = indicator if self.whitespace or not need_whitespace else " " + indicator
        self.whitespace = whitespace
        self.indention = self.indention and indention
        self.column += len(data)
        self.open_ended = False
        self.out.append(data)

    def write_indent(self) -> None:
        indent = self.indent or 0
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.write_line_break()
        if self.column < indent:
            self.whitespace = True
            self.out.append(" " * (indent - self.column))
            self.column = indent

    def write_line_break(self, data: str = "\n") -> None:
        self.whitespace = True
        self.indention = True
        self.column = 0
        self.out.append(data)

    def _write(self, data: str) -> None:
        self.column += len(data)
        self.out.append(data)

    def write_plain(self, text: str, split: bool, root: bool) -> None:
        """A plain scalar (never holds a line break here), folded at single spaces past the width."""
        if root:
            self.open_ended = True
        if not self.whitespace:
            self._write(" ")
        self.whitespace = False
        self.indention = False
        if not split or self.column + len(text) <= WIDTH or " " not in text:
            self._write(text)
            return
        for i, part in enumerate(re.split("( +)", text)):
            if i % 2 == 0:
                self._write(part)
            elif part == " " and self.column > WIDTH:
                self.write_indent()
                self.whitespace = False
                self.indention = False
            else:
                self._write(part)

    def write_single_quoted(self, text: str, split: bool) -> None:
        self.write_indicator("'", True)
        if _has_break(text):
            self._single_quoted_lines(text, split)
        elif not split or self.column + len(text) + text.count("'") <= WIDTH or " " not in text:
            self._write(text.replace("'", "''"))
        else:
            parts = re.split("( +)", text)
            last = len(parts) - 2  # the last run of spaces
            for i, part in enumerate(parts):
                if i % 2 == 0:
                    self._write(part.replace("'", "''"))
                elif (part == " " and self.column > WIDTH and (i > 1 or parts[0])
                      and (i < last or parts[-1])):  # never at the very start or end
                    self.write_indent()
                else:
                    self._write(part)
        self.write_indicator("'", False)

    def _single_quoted_lines(self, text: str, split: bool) -> None:
        """Emitter.write_single_quoted as it is, for text with line breaks."""
        spaces = breaks = False
        start = end = 0
        while end <= len(text):
            ch = text[end] if end < len(text) else None
            if spaces:
                if ch is None or ch != " ":
                    if start + 1 == end and self.column > WIDTH and split and start != 0 and end != len(text):
                        self.write_indent()
                    else:
                        self._write(text[start:end])
                    start = end
            elif breaks:
                if ch is None or ch not in BREAKS:
                    if text[start] == "\n":
                        self.write_line_break()
                    for br in text[start:end]:
                        self.write_line_break(br)
                    self.write_indent()
                    start = end
            elif (ch is None or ch in " " + BREAKS or ch == "'") and start < end:
                self._write(text[start:end])
                start = end
            if ch == "'":
                self._write("''")
                start = end + 1
            if ch is not None:
                spaces = ch == " "
                breaks = ch in BREAKS
            end += 1

    def write_double_quoted(self, text: str, split: bool) -> None:
        """Emitter.write_double_quoted (allow_unicode=True) as it is."""
        self.write_indicator('"', True)
        start = end = 0
        while end <= len(text):
            ch = text[end] if end < len(text) else None
            if ch is None or ch in '"\\\x85\u2028\u2029\ufeff' or not (
                    "\x20" <= ch <= "\x7e" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"):
                if start < end:
                    self._write(text[start:end])
                    start = end
                if ch is not None:
                    if ch in _ESCAPES:
                        data = "\\" + _ESCAPES[ch]
                    elif ch <= "\xff":
                        data = f"\\x{ord(ch):02X}"
                    elif ch <= "\uffff":
                        data = f"\\u{ord(ch):04X}"
                    else:
                        data = f"\\U{ord(ch):08X}"
                    self._write(data)
                    start = end + 1
            if 0 < end < len(text) - 1 and (ch == " " or start >= end) and self.column + (end - start) > WIDTH \
                    and split:
                data = text[start:end] + "\\"
                start = max(start, end)
                self._write(data)
                self.write_indent()
                self.whitespace = False
                self.indention = False
                if text[start] == " ":
                    self._write("\\")
            end += 1
        self.write_indicator('"', False)
