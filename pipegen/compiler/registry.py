"""One dispatch convention for every IR node kind.

Each job that walks the IR (check, lower, print, extract eval slots) keeps one
:class:`Dispatch` table per family of nodes (statements, expressions,
windows...), keyed by IR class and filled by decorators next to the code::

    text = Dispatch("print an expression")

    @text.register(ir.Column)
    def _column(e: ir.Column) -> str: ...

A node with no handler fails at once with the name of the table and the
class, never as an ``AttributeError`` deep inside. ``tests/test_node_kinds.py``
holds every table to the IR: each node kind of a family has a grammar rule, a
parser builder and a handler in every table of its family, so a kind cannot be
half-added (the README's Design section lists the steps).

A table used as a class attribute binds like a method: ``self.statement(st)``
calls the handler with ``self`` first.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from functools import partial
from typing import Any

from . import ir


class Dispatch:
    """Handlers keyed by IR class, one per node kind of a family."""

    __slots__ = ("handlers", "what")

    def __init__(self, what: str) -> None:
        self.what = what
        self.handlers: dict[type, Callable[..., Any]] = {}

    def register(self, *classes: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: the function handles nodes of ``classes``."""

        def add(fn: Callable[..., Any]) -> Callable[..., Any]:
            for cls in classes:
                if cls in self.handlers:
                    raise TypeError(f"{self.what}: {cls.__name__} is handled twice")
                self.handlers[cls] = fn
            return fn

        return add

    def handler(self, cls: type) -> Callable[..., Any]:
        try:
            return self.handlers[cls]
        except KeyError:
            raise NotImplementedError(f"{self.what}: no handler for {cls.__name__} (see the README's Design "
                                      "section: adding a node kind)") from None

    def __call__(self, node: Any, *args: Any, **kw: Any) -> Any:
        return self.handler(type(node))(node, *args, **kw)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return partial(_bound, self, obj)

    def __set_name__(self, owner: type, name: str) -> None:
        self.what = f"{owner.__name__}.{name}: {self.what}"


def _bound(table: Dispatch, obj: Any, node: Any, *args: Any, **kw: Any) -> Any:
    return table.handler(type(node))(obj, node, *args, **kw)


def members(union: Any) -> tuple[type, ...]:
    """The IR classes of a union alias (``ir.Statement``, ``ir.Expr``...), ``Annotated`` unwrapped."""
    args = typing.get_args(union)
    if typing.get_origin(union) is typing.Annotated:
        return members(args[0])
    return tuple(a for a in args if isinstance(a, type)) or ((union,) if isinstance(union, type) else ())


# The families of node kinds. Each family's kinds are the members of one union of the IR.
FAMILIES: dict[str, tuple[type, ...]] = {
    "statement": members(ir.Statement),
    "expression": members(ir.Expr),
    "window": members(ir.Window),
    "over": members(ir.Over),
    "type": members(ir.Type),
    "hint": members(ir.Hint),
}
STAGES: tuple[type, ...] = members(ir.Stage)


def kind_of(cls: type) -> str:
    """The ``kind`` tag of an IR class."""
    return cls.__dataclass_fields__["kind"].default  # type: ignore[attr-defined]


# The keywords that open a top-level block: the statement kinds are their keywords.
STATEMENT_KEYWORDS: tuple[str, ...] = ("pipeline", *(kind_of(cls) for cls in FAMILIES["statement"]))
