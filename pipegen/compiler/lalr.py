"""The fast path of the parser: Lark's LALR(1) tables, driven by a small loop that builds the IR directly.

Lark reads ``grammar/pgl.lark`` and builds the parse table; nothing here restates the grammar. What this
module replaces is Lark's *runtime* for the common case of a spec that parses: its contextual lexer (one
regular expression per parser state, compiled on first use, 60 ms at start-up) and its tree building with
position propagation, followed by a second walk to turn the tree into IR. Here one regular expression
finds each lexeme, the parser state decides which terminal it is, and each reduction calls the matching
``ToIR`` method at once. The result is the same IR, positions included (``tests/test_lalr.py`` compares
both paths on every example, regression and thousands of fuzzed specs).

It follows Lark's rules exactly:

* a lexeme is the longest match of the terminals, tried in Lark's order (priority, width, length, name);
  a string terminal that a regular expression also matches (a keyword and NAME, ``*`` and MUL_OP) wins when
  the parser state accepts it, as in Lark's contextual lexer (which also splits a word at a keyword where
  no name may stand, reading `group bydevice` as `group by device`: such text is left to Lark);
* children: anonymous tokens are dropped unless the rule keeps them (``!rule``), helper rules (``_x``,
  Lark's own ``__x_star_0``) are spliced into their parent, and a ``?rule`` with one child is that child;
* positions: a node spans from the start of its first child to the end of its last one, where a child
  that was inlined counts with its container (so ``(a + b) * c`` starts at the parenthesis).

Anything else (a syntax error, a value the IR refuses, a tree deeper than the limit) raises ``NotFast``,
and the caller runs Lark's own parser, which reports it with all its detail.

The tables are plain data, kept in the user's cache folder (``PIPEGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/pipegen`` or ``~/.cache/pipegen``) under a key made of the grammar, Lark's version and
this module's text: a compile then neither imports Lark nor builds a parser (Lark's own cache still
compiles 88 regular expressions, 70 ms). The file is written atomically and read with ``marshal`` (data
only, nothing in it runs); a missing, stale or damaged file is rebuilt from the grammar.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import astuple, dataclass
from importlib.util import find_spec
from itertools import chain
from pathlib import Path
from typing import Any, Self

# The layout of the cached tables (``Tables.data``); the cache key also holds this module's text.
FORMAT = 2


OTHER = "__OTHER"  # the lexer's group for a character that begins no lexeme


class NotFast(Exception):
    """The fast path cannot parse this text; Lark's parser will (and will explain what is wrong)."""


class Token(str):
    """A token: its text, its terminal's name and where it is. The parts of a Lark token that ``ToIR`` reads
    (``type``, ``line``, ``column``, ``end_line``, ``end_column``, ``value``); a token never spans lines."""

    __slots__ = ("column", "end_column", "line", "type")

    def __new__(cls, typ: str, value: str, line: int, column: int, end_column: int) -> Self:
        self = str.__new__(cls, value)
        self.type, self.line, self.column, self.end_column = typ, line, column, end_column
        return self

    @property
    def end_line(self) -> int:
        return self.line

    @property
    def value(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Rule:
    name: str  # the ToIR method (the alias, else the rule's name)
    origin: str  # the rule's name (the parser's goto)
    size: int  # symbols on the right-hand side
    keep: tuple[tuple[int, bool], ...]  # (child index, splice it) for each child kept
    inline_single: bool  # `?rule` without an alias: one kept child is the result
    helper: bool  # a rule whose name starts with "_": spliced into its parent
    chain: bool  # `?a: b`: one symbol, kept and passed up as it is


@dataclass(frozen=True)
class Tables:
    """What the fast path needs of Lark's parser, as plain data."""

    states: dict[int, dict[str, tuple[bool, int]]]  # state -> symbol -> (shift?, next state or rule index)
    start_states: dict[str, int]
    end_states: dict[str, int]
    rules: tuple[Rule, ...]
    lexeme: str  # blanks, then one group per terminal (Lark's order), named after it
    ignore: frozenset[str]
    strings: dict[str, str]  # text of a string terminal -> its name
    regexps: tuple[tuple[str, str], ...]  # regular-expression terminals, Lark's order
    dropped: frozenset[str]  # anonymous terminals (`"{"`, keywords): dropped from children but in `!rule`s

    def data(self) -> tuple:
        return (FORMAT, self.states, self.start_states, self.end_states, tuple(astuple(r) for r in self.rules),
                self.lexeme, self.ignore, self.strings, self.regexps, self.dropped)

    @classmethod
    def from_data(cls, data: tuple) -> Tables:
        if data[0] != FORMAT:
            raise ValueError("another format")
        _, states, start, end, rules, lexeme, ignore, strings, regexps, dropped = data
        return cls(states, start, end, tuple(Rule(*r) for r in rules), lexeme, ignore, strings, regexps, dropped)

    def keywords(self) -> frozenset[str]:
        """Every word the grammar reserves somewhere."""
        return frozenset(w for w in self.strings if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", w))


def _lark_order(term: Any) -> tuple:
    """The order in which Lark's lexer tries terminals (lark.lexer.BasicLexer)."""
    return (-term.priority, -term.pattern.max_width, -len(term.pattern.value), term.name)


def from_lark(lark: Any) -> Tables:
    """The tables of a Lark LALR parser."""
    from lark.parsers.lalr_analysis import Shift

    table = lark.parser.parser.parser.parse_table
    conf = lark.lexer_conf
    terms = sorted(conf.terminals, key=_lark_order)
    regexps = [t for t in terms if t.pattern.type == "re"]
    compiled = {t.name: re.compile(t.pattern.to_regexp()) for t in regexps}
    # Strings a regular expression matches whole are found through that expression (as in Lark).
    absorbed = {s.name for s in terms if s.pattern.type == "str"
                for r in regexps if compiled[r.name].fullmatch(s.pattern.value)}
    alternatives = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terms if t.name not in absorbed]
    rules, index = [], {}
    for rule in lark.rules:
        keep_all = rule.options.keep_all_tokens
        keep = tuple((i, not sym.is_term and sym.name.startswith("_")) for i, sym in enumerate(rule.expansion)
                     if keep_all or not (sym.is_term and sym.filter_out))
        inline = bool(rule.options.expand1 and not rule.alias)
        index[rule] = len(rules)
        rules.append(Rule(rule.alias or rule.origin.name, rule.origin.name, len(rule.expansion), keep, inline,
                          rule.origin.name.startswith("_"), len(rule.expansion) == 1 and bool(keep) and inline))
    # A terminal is dropped from children where it is anonymous (`"*"` in `count(*)`); one that is kept
    # anywhere (STAR in `select { * }`) stays a token everywhere.
    terminals = [sym for rule in lark.rules for sym in rule.expansion if sym.is_term]
    kept_nowhere = {sym.name for sym in terminals} - {sym.name for sym in terminals if not sym.filter_out}
    states = {state: {sym: (True, arg) if action is Shift else (False, index[arg])
                      for sym, (action, arg) in actions.items()}
              for state, actions in table.states.items()}
    tables = Tables(
        states=states, start_states=dict(table.start_states), end_states=dict(table.end_states), rules=tuple(rules),
        # Blanks within a line are skipped by the same match as the lexeme after them (half the matches).
        lexeme="[ \\t\\r]*(?:" + "|".join(alternatives) + ")", ignore=frozenset(conf.ignore),
        strings={t.pattern.value: t.name for t in terms if t.pattern.type == "str"},
        regexps=tuple((t.name, t.pattern.to_regexp()) for t in regexps),
        dropped=frozenset(kept_nowhere),
    )
    # Lark names rules and terminals with its own ``Token`` (a ``str`` subclass) when it builds a grammar, and
    # with plain ``str`` when it loads one from its cache: the tables hold plain data either way.
    return Tables.from_data(plain(tables.data()))


def plain(value: Any) -> Any:
    """``value`` with every ``str`` subclass made a ``str`` (and containers rebuilt): data ``marshal`` takes."""
    kind = type(value)
    if kind in (str, int, bool, float, type(None)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return (tuple if isinstance(value, tuple | list) else frozenset)(plain(v) for v in value)
    raise TypeError(f"not plain data: {kind.__name__}")


def cache_dir() -> Path:
    if os.environ.get("PIPEGEN_CACHE_DIR"):
        return Path(os.environ["PIPEGEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pipegen"


def _lark_version() -> str:
    """Lark's version, read from its package without importing it (an import costs 30 ms)."""
    spec = find_spec("lark")
    try:
        text = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    except OSError:
        text = ""
    m = re.search(r"__version__\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)", text)
    return m.group(1) if m else "unknown"


def load_tables(grammar: str, make_lark: Callable[[], Any]) -> Tables:
    """The tables for ``grammar``: from the cache, else built with ``make_lark()`` and cached."""
    # This module's own text is part of the key: a change to how tables are made can never meet old ones.
    own = Path(__file__).read_bytes()
    key = hashlib.sha256(f"{FORMAT}\n{_lark_version()}\n{grammar}\n".encode() + own).hexdigest()[:20]
    path = cache_dir() / f"pgl-tables-{key}.marshal"
    try:
        return Tables.from_data(marshal.loads(path.read_bytes()))
    except Exception:  # noqa: BLE001 - not there yet, unreadable, damaged or of another layout: build it
        pass
    tables = from_lark(make_lark())
    _write_cache(path, tables)
    return tables


def _write_cache(path: Path, tables: Tables) -> None:
    """Keep ``tables`` at ``path`` for the next run. The cache only saves time: whatever goes wrong here (a
    read-only home, a full disk, data ``marshal`` refuses) leaves the command to run without it."""
    tmp = None
    try:
        data = marshal.dumps(tables.data())
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".pgl-tables-", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        tmp = None
    except Exception as e:  # noqa: BLE001 - every run then builds the tables (a third of a second)
        if os.environ.get("PIPEGEN_DEBUG"):
            print(f"debug: parse tables not cached at {path}: {type(e).__name__}: {e}", file=sys.stderr)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink(missing_ok=True)


class _Rule:
    """A rule as the parser loop uses it, with the callback that builds its node."""

    __slots__ = ("callback", "chain", "helper", "inline_single", "keep", "name", "origin", "plain", "size")

    def __init__(self, rule: Rule, callback: Callable[[Any, list[Any]], Any] | None) -> None:
        self.name, self.origin, self.size, self.keep = rule.name, rule.origin, rule.size, rule.keep
        self.inline_single, self.helper, self.chain = rule.inline_single, rule.helper, rule.chain
        self.callback = callback
        # The kept children's indexes when none is spliced (most rules): one comprehension collects them.
        self.plain = None if any(splice for _, splice in rule.keep) else tuple(i for i, _ in rule.keep)


class Splice(list):
    """The children of a helper rule, waiting to be spliced into the parent."""


class Parser:
    """Parse text to IR with ``build(rule name)(meta, children)`` called at each reduction; ``meta`` is
    ``make_meta((line, column, end line, end column))`` of the node."""

    def __init__(self, tables: Tables, build: Callable[[str], Callable[[Any, list[Any]], Any]], max_depth: int,
                 make_meta: Callable[[tuple[int, int, int, int]], Any]):
        self.t = tables
        self.make_meta = make_meta
        self.max_depth = max_depth
        self.lexemes = re.compile(tables.lexeme + f"|(?P<{OTHER}>[\\s\\S])").finditer
        self.regexps = tuple((name, re.compile(rx)) for name, rx in tables.regexps)
        # Rules by index, as the table's reduce actions name them; the table itself stays plain dicts (as read
        # from the cache), which Python indexes fastest.
        self.rules = [_Rule(r, None if r.helper or r.chain else build(r.name)) for r in tables.rules]
        self.chains: dict[tuple[int, int, str], int] = {}
        self.known: dict[str, tuple[str, ...]] = {}

    def _after_chain(self, below: int, state: int, lookahead: str) -> int:
        """The state after every chain reduction from ``state`` with ``lookahead`` (``below`` stays under it)."""
        while True:
            action = self.t.states[state].get(lookahead)
            if action is None or action[0] or not self.rules[action[1]].chain:
                return state
            state = self.t.states[below][self.rules[action[1]].origin][1]

    def candidates(self, text: str) -> tuple[str, ...]:
        """The terminals ``text`` could be, in the order they are preferred (remembered in ``known``)."""
        out = [self.t.strings[text]] if text in self.t.strings else []
        out += [name for name, rx in self.regexps if rx.fullmatch(text)]
        if len(self.known) < 50_000:  # lexemes repeat (names, keywords); a bound keeps odd inputs in check
            self.known[text] = tuple(out)
        return tuple(out)

    # One loop over tokens and table actions, kept in one function: its local names are what makes the fast
    # path fast, and the steps (lex, shift, reduce, build) only make sense together.
    def parse(self, text: str, start: str, comments: list[Token] | None = None) -> Any:  # noqa: C901
        """The IR of ``text`` (``start`` is a start rule); the comments are added to ``comments``."""
        t = self.t
        states, rules, chains = t.states, self.rules, self.chains
        ignore, make_meta = t.ignore, self.make_meta
        known, candidates, dropped = self.known, self.candidates, t.dropped
        max_depth = self.max_depth
        end_state = t.end_states[start]
        # One entry per symbol on the stack: (state, value, (line, column, end line, end column), depth).
        # Every symbol covers at least one token (the grammar has no empty rules), so each has a position.
        stack: list[tuple[int, Any, tuple[int, int, int, int], int]] = [(t.start_states[start], None, (0, 0, 0, 0), 0)]
        line, line_start = 1, 0
        # Every character is in some match: the last group (OTHER) takes one that begins no lexeme.
        for m in chain(self.lexemes(text), (None,)):
            if m is not None:
                kind = m.lastgroup
                if kind in ignore:
                    value = m.group(kind)
                    if comments is not None and kind == "COMMENT":
                        pos = m.start(kind)
                        column = pos - line_start + 1
                        comments.append(Token(kind, value, line, column, column + len(value)))
                    newlines = value.count("\n")
                    if newlines:
                        line += newlines
                        line_start = m.start(kind) + value.rindex("\n") + 1
                    continue
                if kind == OTHER:
                    raise NotFast
                value = m.group(kind)
                pos = m.start(kind)
                column = pos - line_start + 1
                actions = states[stack[-1][0]]
                for typ in known.get(value) or candidates(value):
                    if typ in actions:
                        break
                else:
                    raise NotFast
                here = (line, column, line, column + len(value))
                # A keyword or a brace is dropped from the children (only a `!rule` keeps its text): no token.
                token: Any = value if typ in dropped else Token(typ, value, line, column, here[3])
            else:
                typ, token, here = "$END", None, (0, 0, 0, 0)
                actions = states[stack[-1][0]]
                if typ not in actions:
                    raise NotFast
            while True:
                shift, arg = actions[typ]
                if shift:
                    if token is None:
                        raise NotFast  # cannot happen: $END is never shifted
                    stack.append((arg, token, here, 0))
                    break
                r = rules[arg]
                if r.chain:
                    # A chain rule (`?sum: product`): the child stays as it is, only the state changes, and as
                    # the state below stays the same, the state after a run of them is remembered.
                    below = stack[-2][0]
                    key = (below, stack[-1][0], typ)
                    state = chains.get(key)
                    if state is None:
                        state = chains[key] = self._after_chain(below, key[1], typ)
                    stack[-1] = (state, *stack[-1][1:])
                    actions = states[state]
                    if typ not in actions:
                        raise NotFast
                    continue
                size = r.size
                kids = stack[-size:]
                del stack[-size:]
                cont = (kids[0][2][0], kids[0][2][1], kids[-1][2][2], kids[-1][2][3])
                plain = r.plain
                if plain is None:
                    children = []
                    for i, splice in r.keep:
                        if splice:
                            children.extend(kids[i][1])
                        else:
                            children.append(kids[i][1])
                elif len(plain) == 1:  # the common shapes, without a comprehension
                    children = [kids[plain[0]][1]]
                elif len(plain) == 2:
                    children = [kids[plain[0]][1], kids[plain[1]][1]]
                else:
                    children = [kids[i][1] for i in plain]
                if size == 1:
                    depth = kids[0][3]
                elif size == 2:
                    depth = kids[0][3] if kids[0][3] > kids[1][3] else kids[1][3]  # noqa: FURB136 - no call
                else:
                    depth = max([kid[3] for kid in kids])
                if r.helper:
                    value = Splice(children)
                elif r.inline_single and len(children) == 1:
                    value = children[0]
                else:
                    depth += 1
                    if depth > max_depth:
                        raise NotFast
                    value = r.callback(make_meta(cont), children)
                state = states[stack[-1][0]][r.origin][1]
                stack.append((state, value, cont, depth))
                if token is None and state == end_state:
                    return value
                actions = states[state]
                if typ not in actions:
                    raise NotFast
        raise NotFast  # cannot happen: $END either ends the parse or is refused above
