"""Columns Flink's planner knows to hold one value: it folds them to literals, and a top-N ordered by nothing else
is then refused ("The window rank function requires order by clause with non-constant fields", Flink 2.3).

Calcite folds an expression of literals (``1``, ``upper("a")``), a test it can decide from the types alone (``x is
null`` of a column that is never null), and a column a filter fixes (``where n = 3``, ``having m is null``). It does
not fold aggregates or a pattern's measures (each measured with Flink 2.3 on 2026-12-01), so those stages start
afresh.
"""

from __future__ import annotations

from .. import ir
from ..functions import FUNCTIONS
from ..printer import expr
from .model import Relation, children

LITERALS = (ir.NumberLit, ir.StringLit, ir.BoolLit)


def constant(e: ir.Expr, inp: Relation, fixed: frozenset[str]) -> bool:
    """Whether Flink folds ``e``, read over ``inp`` whose columns ``fixed`` hold one value, to a literal."""
    if isinstance(e, ir.Column):
        return len(e.path) == 1 and e.path[0] in fixed
    if isinstance(e, ir.IsNull) and isinstance(e.operand, ir.Column) and len(e.operand.path) == 1:
        col = inp.column(e.operand.path[0])
        if col is not None and not col.type.nullable:
            return True  # never null: the test is decided by the type
    if isinstance(e, ir.Call) and e.name == "nullif" and len(e.args) == 2 and expr(e.args[0]) == expr(e.args[1]) \
            and _never_null(e.args[0], inp):
        return True  # nullif(x, x) of an x never null is null (Flink 2.3 folds it; of a nullable x it does not)
    if isinstance(e, ir.Call):
        fn = FUNCTIONS.get(e.name)
        # now() changes, an aggregate is not folded, and a function of the user's own is not known to be pure
        if fn is None or fn.kind != "scalar" or not e.args or e.star:
            return False
    return all(constant(c, inp, fixed) for c in children(e))


def _never_null(e: ir.Expr, inp: Relation) -> bool:
    """Whether ``e`` is never null by its form: literals, and arithmetic of them and of columns never null."""
    if isinstance(e, LITERALS):
        return True
    if isinstance(e, ir.Column):
        col = inp.column(e.path[0]) if len(e.path) == 1 else None
        return col is not None and not col.type.nullable
    if isinstance(e, ir.Binary) and e.op in ("+", "-", "*"):
        return _never_null(e.left, inp) and _never_null(e.right, inp)
    return isinstance(e, ir.Neg) and _never_null(e.operand, inp)


def _null_test(e: ir.Expr) -> tuple[str, bool] | None:
    """(column, True) for a condition that holds exactly when the column is null, (column, False) when it is not
    null: ``x is null``, ``not (x is not null)``, ``(x is not null) != true``, ``(x is null) = true`` and so on."""
    if isinstance(e, ir.IsNull) and isinstance(e.operand, ir.Column) and len(e.operand.path) == 1:
        return e.operand.path[0], not e.negated
    if isinstance(e, ir.Not):
        inner = _null_test(e.operand)
        return (inner[0], not inner[1]) if inner else None
    if isinstance(e, ir.Binary) and e.op in ("=", "!="):
        for test, lit in ((e.left, e.right), (e.right, e.left)):
            inner = _null_test(test) if isinstance(lit, ir.BoolLit) else None
            if inner is not None:
                return inner[0], inner[1] == (lit.value == (e.op == "="))  # type: ignore[union-attr]
    return None


def fixed_by(condition: ir.Expr | None, rel: Relation) -> frozenset[str]:
    """The columns of ``rel`` a filter fixes to one value: each of its top-level conjuncts ``x is null`` (in any of
    the forms of ``_null_test``) of a column that may be null, or ``x = <literal>`` of one that is never null (Flink
    does not fix a column that may be null by an equality: ``where coupon = "c"`` of a ``string?`` plans)."""
    if condition is None:
        return frozenset()
    if isinstance(condition, ir.Binary) and condition.op == "and":
        return fixed_by(condition.left, rel) | fixed_by(condition.right, rel)
    test = _null_test(condition)
    if test is not None:
        col = rel.column(test[0])
        return frozenset({test[0]}) if test[1] and col is not None and col.type.nullable else frozenset()
    pairs: tuple[tuple[ir.Expr, ir.Expr], ...] = ()
    if isinstance(condition, ir.Binary) and condition.op == "=":
        pairs = ((condition.left, condition.right), (condition.right, condition.left))
    elif isinstance(condition, ir.Between) and not condition.negated and expr(condition.low) == expr(
            condition.high):
        pairs = ((condition.operand, condition.low),)  # `between 1 and 1`, and `in (1)`, are `= 1` to Calcite
    elif isinstance(condition, ir.InList) and not condition.negated and len({expr(i) for i in condition.items}) == 1:
        pairs = ((condition.operand, condition.items[0]),)
    for c, lit in pairs:
        col = rel.column(c.path[0]) if isinstance(c, ir.Column) and len(c.path) == 1 else None
        if col is not None and isinstance(lit, LITERALS) and not col.type.nullable:
            return frozenset({col.name})
    return frozenset()


def same_measures(st: ir.Aggregate, fixed: frozenset[str], inp: Relation) -> frozenset[str]:
    """The measures of ``st`` that Calcite computes as one call with a measure of ``fixed``, so they hold one value
    too: the same aggregate written twice, and `count(x)` of an x never null, which is `count(*)` (Flink 2.3
    folds `having count(x) = 1` into every `count(*)` of the window; measured 2026-12-02)."""
    forms = {m.name: _form(m.expr, inp) for m in st.measures}
    held = {forms[n] for n in fixed if n in forms}
    return frozenset(n for n, f in forms.items() if f in held)


def _form(e: ir.Expr, inp: Relation) -> str:
    if isinstance(e, ir.Call) and e.name == "count" and not e.distinct and len(e.args) == 1 and _never_null(
            e.args[0], inp):
        return "count(*)"
    return expr(e)
