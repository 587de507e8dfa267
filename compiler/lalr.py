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
  the parser state accepts it, as in Lark's contextual lexer;
* children: anonymous tokens are dropped unless the rule keeps them (``!rule``), helper rules (``_x``,
  Lark's own ``__x_star_0``) are spliced into their parent, and a ``?rule`` with one child is that child;
* positions: a node spans from the start of its first child to the end of its last one, where a child
  that was inlined counts with its container (so ``(a + b) * c`` starts at the parenthesis).

Anything else (a syntax error, a value the IR refuses, a tree deeper than the limit) raises ``NotFast``,
and the caller runs Lark's own parser, which reports it with all its detail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Self

from lark import Lark, Token
from lark.parsers.lalr_analysis import Shift


class NotFast(Exception):
    """The fast path cannot parse this text; Lark's parser will (and will explain what is wrong)."""


class Meta:
    """The ``meta`` a ``ToIR`` method receives: where its node starts and ends."""

    __slots__ = ("column", "end_column", "end_line", "line")
    empty = False

    def __init__(self, pos: tuple[int, int, int, int]) -> None:
        self.line, self.column, self.end_line, self.end_column = pos


@dataclass
class Rule:
    name: str  # the ToIR method (the alias, else the rule's name)
    origin: str  # the rule's name (the parser's goto)
    size: int  # symbols on the right-hand side
    keep: tuple[tuple[int, bool], ...]  # (child index, splice it) for each child kept
    inline_single: bool  # `?rule` without an alias: one kept child is the result
    helper: bool  # a rule whose name starts with "_": spliced into its parent
    chain: bool  # `?a: b`: one symbol, kept and passed up as it is
    callback: Callable[[Any, list[Any]], Any] | None = None  # builds the node (not for helpers and inlined rules)


class _Actions(dict):
    """The parse table with Lark's rules replaced by ours, converted state by state as the parser meets them:
    ``{state: {symbol: (shift?, next state or Rule)}}``."""

    def __init__(self, states: dict[int, dict[str, tuple[Any, Any]]], rules: dict[Any, Rule]) -> None:
        super().__init__()
        self.raw, self.rules = states, rules

    def __missing__(self, state: int) -> dict[str, tuple[bool, Any]]:
        converted = {sym: (True, arg) if action is Shift else (False, self.rules[arg])
                     for sym, (action, arg) in self.raw[state].items()}
        self[state] = converted
        return converted


class _Token(Token):
    """A Lark token made in one step (Lark's constructor goes through two Python calls)."""

    __slots__ = ()

    def __new__(cls, typ: str, value: str, start: int, line: int, column: int, end_column: int, end: int) -> Self:
        self = str.__new__(cls, value)
        self.type, self.value, self.start_pos, self.end_pos = typ, value, start, end
        self.line, self.column, self.end_line, self.end_column = line, column, line, end_column
        return self


class Splice(list):
    """The children of a helper rule, waiting to be spliced into the parent."""


@dataclass(frozen=True)
class Tables:
    states: dict[int, dict[str, tuple[Any, Any]]]
    start_states: dict[str, int]
    end_states: dict[str, int]
    rules: dict[Any, Rule]
    lexeme: re.Pattern[str]  # blanks, then one group per terminal (Lark's order), named after it
    ignore: frozenset[str]
    strings: dict[str, str]  # text of a string terminal -> its name
    regexps: tuple[tuple[str, re.Pattern[str]], ...]  # regular-expression terminals, Lark's order


def _lark_order(term: Any) -> tuple:
    """The order in which Lark's lexer tries terminals (lark.lexer.BasicLexer)."""
    return (-term.priority, -term.pattern.max_width, -len(term.pattern.value), term.name)


def tables(lark: Lark) -> Tables:
    """The fast path's view of a Lark LALR parser (built once per process)."""
    table = lark.parser.parser.parser.parse_table
    conf = lark.lexer_conf
    terms = sorted(conf.terminals, key=_lark_order)
    regexps = [t for t in terms if t.pattern.type == "re"]
    compiled = {t.name: re.compile(t.pattern.to_regexp()) for t in regexps}
    # Strings a regular expression matches whole are found through that expression (as in Lark).
    absorbed = {s.name for s in terms if s.pattern.type == "str"
                for r in regexps if compiled[r.name].fullmatch(s.pattern.value)}
    alternatives = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terms if t.name not in absorbed]
    rules = {}
    for rule in lark.rules:
        keep_all = rule.options.keep_all_tokens
        keep = tuple((i, not sym.is_term and sym.name.startswith("_")) for i, sym in enumerate(rule.expansion)
                     if keep_all or not (sym.is_term and sym.filter_out))
        rules[rule] = Rule(rule.alias or rule.origin.name, rule.origin.name, len(rule.expansion), keep,
                           bool(rule.options.expand1 and not rule.alias), rule.origin.name.startswith("_"),
                           len(rule.expansion) == 1 and bool(keep) and bool(rule.options.expand1 and not rule.alias))
    return Tables(
        states=table.states, start_states=table.start_states, end_states=table.end_states, rules=rules,
        # Blanks within a line are skipped by the same match as the lexeme after them (half the matches).
        lexeme=re.compile("[ \t\r]*(?:" + "|".join(alternatives) + ")"), ignore=frozenset(conf.ignore),
        strings={t.pattern.value: t.name for t in terms if t.pattern.type == "str"},
        regexps=tuple((t.name, compiled[t.name]) for t in regexps),
    )


class Parser:
    """Parse text to IR with ``build(rule name, meta, children)`` called at each reduction."""

    def __init__(self, lark: Lark, build: Callable[[str], Callable[[Any, list[Any]], Any]], max_depth: int):
        self.t = tables(lark)
        self.max_depth = max_depth
        for r in self.t.rules.values():
            if not r.helper:
                r.callback = build(r.name)
        self.actions = _Actions(self.t.states, self.t.rules)
        self.chains: dict[tuple[int, int, str], int] = {}

    def _after_chain(self, below: int, state: int, lookahead: str) -> int:
        """The state after every chain reduction from ``state`` with ``lookahead`` (``below`` stays under it)."""
        while True:
            action = self.actions[state].get(lookahead)
            if action is None or action[0] or not action[1].chain:
                return state
            state = self.actions[below][action[1].origin][1]

    @lru_cache(maxsize=4096)  # noqa: B019 - one Parser per process; the cache holds lexemes, not texts
    def candidates(self, text: str) -> tuple[str, ...]:
        """The terminals ``text`` could be, in the order they are preferred."""
        out = [self.t.strings[text]] if text in self.t.strings else []
        out += [name for name, rx in self.t.regexps if rx.fullmatch(text)]
        return tuple(out)

    def parse(self, text: str, start: str) -> Any:
        t = self.t
        states, chains = self.actions, self.chains
        match, ignore, candidates = t.lexeme.match, t.ignore, self.candidates
        max_depth = self.max_depth
        end_state = t.end_states[start]
        # One entry per symbol on the stack: (state, value, (line, column, end line, end column), depth).
        # Every symbol covers at least one token (the grammar has no empty rules), so each has a position.
        stack: list[tuple[int, Any, tuple[int, int, int, int], int]] = [(t.start_states[start], None, (0, 0, 0, 0), 0)]
        line, line_start, pos, n = 1, 0, 0, len(text)
        while True:
            if pos < n:
                m = match(text, pos)
                if m is None:
                    raise NotFast
                kind = m.lastgroup
                value = m.group(kind)
                end = m.end()
                pos = end - len(value)
                if kind in ignore:
                    newlines = value.count("\n")
                    if newlines:
                        line += newlines
                        line_start = pos + value.rindex("\n") + 1
                    pos = end
                    continue
                if "\n" in value:  # no terminal but the ignored ones spans lines today; be exact if one does
                    raise NotFast
                column = pos - line_start + 1
                actions = states[stack[-1][0]]
                for typ in candidates(value):
                    if typ in actions:
                        break
                else:
                    raise NotFast
                token: Any = _Token(typ, value, pos, line, column, column + len(value), end)
                here = (line, column, line, column + len(value))
                pos = end
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
                r = arg
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
                children: list[Any] = []
                depth = 0
                for i, splice in r.keep:
                    kid = kids[i]
                    if splice:
                        children.extend(kid[1])
                    else:
                        children.append(kid[1])
                    depth = max(depth, kid[3])
                if r.helper:
                    value = Splice(children)
                elif r.inline_single and len(children) == 1:
                    value = children[0]
                else:
                    depth += 1
                    if depth > max_depth:
                        raise NotFast
                    value = r.callback(Meta(cont), children)
                state = states[stack[-1][0]][r.origin][1]
                stack.append((state, value, cont, depth))
                if token is None and state == end_state:
                    return value
                actions = states[state]
                if typ not in actions:
                    raise NotFast
