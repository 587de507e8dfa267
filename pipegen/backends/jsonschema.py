"""Rewrite the IR's JSON Schema (pydantic v2 output) for providers that only take part of JSON Schema.

Pure functions, no I/O, never mutate their argument:

* :func:`inline_refs` -- every ``$ref`` inlined, no ``$defs`` left. Ollama turns ``format`` into a grammar
  and mishandles ``$ref``. The IR is recursive (an expression holds expressions, a record type holds
  fields that hold types), so full inlining is infinite: it is cut at a depth limit, see below.
* :func:`strict_schema` -- the subset OpenAI's strict structured outputs accept: every object closed
  (``additionalProperties: false``) with all its properties ``required``, ``oneOf`` turned into
  ``anyOf``, unsupported keywords (``discriminator``, ``default``, ``title``, ...) dropped. ``$defs`` and
  ``$ref`` are kept: strict mode allows recursion through ``$ref``.

Both also rewrite regex ``pattern`` escapes (``\\.`` -> ``[.]``, see :func:`grammar_safe_pattern`): llama.cpp's
schema-to-grammar converters turn them into grammars the GBNF parser rejects. And both make a union's
tag property (``kind``, a ``const``) required and first in its object: pydantic needs the tag anyway,
and a grammar that sees it first settles the union at once instead of tracking all its members.

How the recursion is cut (``inline_refs``)
------------------------------------------
A definition is *recursive* when it can reach itself through ``$ref`` (``Binary``, ``Case``, ``Call``,
``RecordType``, ``ArrayType`` ...); the others are *leaves* (``NumberLit``, ``StringLit``, ``BoolLit``,
``NullLit``, ``Column``, ``IntervalLit``, ``PrimitiveType``, ``DecimalType`` ...). A *recursive union*
is an ``anyOf``/``oneOf`` with at least one member that is a ``$ref`` to a recursive definition, i.e.
one expression position, or one field-type position. Each recursive union on the way down from the
root is one level of nesting. At ``max_depth`` levels, a recursive union keeps only its leaf members:
the deepest expression position accepts only literals, columns and intervals; the deepest type
position only scalar types (primitive, decimal, timestamp, enum). So ``max_depth=0`` allows no nested
expression at all (``a``, ``5``), ``max_depth=1`` one operator over leaves (``a > 5``),
``max_depth=2`` e.g. ``a > 5 and b < 3``. The cut schema accepts a subset of what the full schema
accepts, never more. A ``$ref`` cycle that goes through no union (nothing to cut) raises ValueError.

Size grows roughly as (number of expression positions per level) ** max_depth; see
``schema_size`` in the tests for the IR's numbers.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# Keywords whose value is a mapping name -> schema.
_MAP_OF_SCHEMAS = {"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"}
# Keywords whose value is a schema.
_SCHEMA = {"items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
           "unevaluatedItems", "unevaluatedProperties", "additionalItems"}
# Keywords whose value is a list of schemas.
_LIST_OF_SCHEMAS = {"anyOf", "oneOf", "allOf", "prefixItems"}

# What OpenAI strict structured outputs accept; everything else is dropped by strict_schema.
_STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "$ref", "$defs",
    "description", "pattern", "format", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "minItems", "maxItems",
}


def _ref_name(ref: str) -> str:
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            return ref[len(prefix):].replace("~1", "/").replace("~0", "~")
    raise ValueError(f"unsupported $ref {ref!r}: only local '#/$defs/...' references are handled")


def _defs(schema: dict) -> dict[str, Any]:
    return {**schema.get("definitions", {}), **schema.get("$defs", {})}


def _refs_in(node: Any) -> set[str]:
    """Names of every definition a schema fragment refers to directly."""
    out: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.add(_ref_name(v))
            elif k in _MAP_OF_SCHEMAS and isinstance(v, dict):
                for sub in v.values():
                    out |= _refs_in(sub)
            elif k in _SCHEMA or k in _LIST_OF_SCHEMAS:
                out |= _refs_in(v)
    elif isinstance(node, list):
        for sub in node:
            out |= _refs_in(sub)
    return out


def recursive_defs(schema: dict) -> set[str]:
    """Names of the definitions that can reach themselves through ``$ref``."""
    defs = _defs(schema)
    edges = {name: _refs_in(body) for name, body in defs.items()}
    result = set()
    for start in defs:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            n = todo.pop()
            if n == start:
                result.add(start)
                break
            if n in seen or n not in edges:
                continue
            seen.add(n)
            todo.extend(edges[n])
    return result


def grammar_safe_pattern(pattern: str) -> str:
    """``pattern`` with each escaped metacharacter outside a class written as a one-character class.

    ``\\.`` becomes ``[.]``, ``\\+`` ``[+]``, ``\\d`` ``[0-9]`` ... -- the same language. llama.cpp's JSON
    Schema -> GBNF converters (Ollama's, llama.cpp server's, llama-cpp-python's) copy such escapes into
    GBNF string literals, which the GBNF parser rejects ("unknown escape"): Ollama then silently drops
    the schema, and llama-cpp-python crashes.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if not in_class and nxt == "d":
                out.append("[0-9]")
            elif not in_class and nxt in ".+*?{}()|$/-[":
                out.append(f"[{nxt}]")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


def _each_schema(node: Any, fn) -> Any:
    """``node`` rebuilt bottom-up with ``fn`` applied to every (sub)schema object."""
    if isinstance(node, list):
        return [_each_schema(x, fn) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in _MAP_OF_SCHEMAS and isinstance(v, dict):
            out[k] = {name: _each_schema(sub, fn) for name, sub in v.items()}
        elif k in _SCHEMA or k in _LIST_OF_SCHEMAS:
            out[k] = _each_schema(v, fn)
        else:
            out[k] = v
    return fn(out)


def _tag_value(prop: Any) -> bool:
    return isinstance(prop, dict) and ("const" in prop
                                       or (isinstance(prop.get("enum"), list) and len(prop["enum"]) == 1))


def _fix_schema(node: dict) -> dict:
    """Grammar-safe ``pattern``; union tags (one-value properties like ``kind``) required and first.

    Pydantic needs the tag of a discriminated union in its input, so requiring it narrows nothing
    that would validate; putting it first lets a grammar (and a model) settle the union at once.
    """
    if isinstance(node.get("pattern"), str):
        node = {**node, "pattern": grammar_safe_pattern(node["pattern"])}
    props = node.get("properties")
    if isinstance(props, dict) and any(_tag_value(p) for p in props.values()):
        tags = [k for k, p in props.items() if _tag_value(p)]
        node = {**node, "properties": {**{k: props[k] for k in tags},
                                       **{k: p for k, p in props.items() if k not in tags}}}
        required = list(node.get("required", []))
        node["required"] = tags + [k for k in required if k not in tags]
    return node


def inline_refs(schema: dict, max_depth: int = 2) -> dict:
    """``schema`` with every ``$ref`` inlined and no ``$defs``; recursion cut after ``max_depth`` levels.

    See the module docstring for what a level is and what the cut keeps. ``discriminator`` is dropped
    (its mapping points into the removed ``$defs``); union tags become required and first, and
    ``pattern`` escapes are rewritten (module docstring); everything else is kept as it is.
    """
    if max_depth < 0:
        raise ValueError("max_depth must be >= 0")
    return _each_schema(_Inliner(_defs(schema), recursive_defs(schema), max_depth).walk(schema, 0, ()), _fix_schema)


class _Inliner:
    """The walk of :func:`inline_refs`: ``level`` counts the recursive unions above a node, ``stack`` the
    definitions being inlined."""

    def __init__(self, defs: dict[str, Any], recursive: set[str], max_depth: int):
        self.defs = defs
        self.recursive = recursive
        self.max_depth = max_depth

    def is_recursive_member(self, member: Any) -> bool:
        return isinstance(member, dict) and "$ref" in member and _ref_name(member["$ref"]) in self.recursive

    def walk(self, node: Any, level: int, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self.walk(x, level, stack) for x in node]
        if not isinstance(node, dict):
            return copy.deepcopy(node)
        if "$ref" in node:
            return self.ref(node, level, stack)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("$defs", "definitions", "discriminator"):
                continue
            if key in ("anyOf", "oneOf") and isinstance(value, list):
                walked = self.union(value, level, stack)
                if len(walked) == 1 and len(node) == 1 + ("discriminator" in node):
                    return walked[0]
                out[key] = walked
            elif key in _MAP_OF_SCHEMAS and isinstance(value, dict):
                out[key] = {k: self.walk(v, level, stack) for k, v in value.items()}
            elif key in _SCHEMA or key in _LIST_OF_SCHEMAS:
                out[key] = self.walk(value, level, stack)
            else:
                out[key] = copy.deepcopy(value)
        return out

    def ref(self, node: dict, level: int, stack: tuple[str, ...]) -> Any:
        """A ``$ref`` (and its siblings) with the definition inlined."""
        name = _ref_name(node["$ref"])
        if name not in self.defs:
            raise ValueError(f"$ref to unknown definition {name!r}")
        if stack.count(name) > self.max_depth + 1:
            raise ValueError(f"cannot cut the recursion through {name!r}: it goes through no union")
        body = self.walk(self.defs[name], level, stack + (name,))
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**body, **self.walk(siblings, level, stack)}

    def union(self, members: list, level: int, stack: tuple[str, ...]) -> list:
        """The members of an ``anyOf``/``oneOf``, walked; a recursive union one level deeper, or at the depth
        limit, with only its leaf members."""
        sub_level = level
        if any(self.is_recursive_member(m) for m in members):
            if level >= self.max_depth:
                members = [m for m in members if not self.is_recursive_member(m)]
                if not members:
                    raise ValueError("cannot cut the recursion: a union has only recursive members")
            else:
                sub_level = level + 1
        return [self.walk(m, sub_level, stack) for m in members]


def _admits_null(node: dict) -> bool:
    t = node.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    if "enum" in node and None in node["enum"]:
        return True
    return any(isinstance(m, dict) and _admits_null(m) for m in node.get("anyOf", []))


def strict_schema(schema: dict) -> dict:
    """``schema`` rewritten for OpenAI strict structured outputs (``"strict": true``).

    * every object gets ``additionalProperties: false`` and lists all its properties in ``required``;
      a property that was optional keeps accepting what it accepted: one that already admits null
      (pydantic's ``X | None = None``) is simply required; one with a non-null default (``key: list = []``,
      ``nullable: bool = False``, the union tag ``kind``) is required as it is -- the model writes the
      value out, since pydantic would reject a null there; any other optional one becomes
      ``anyOf: [..., {"type": "null"}]``;
    * ``oneOf`` -> ``anyOf`` (nested ``anyOf`` flattened), ``const`` -> one-value ``enum``,
      ``allOf`` of one schema merged into its parent;
    * every keyword outside the strict subset is dropped (``discriminator``, ``default``, ``title``,
      ``examples``, ``minLength`` ...); a ``$ref`` keeps no siblings;
    * ``$defs``/``$ref`` are kept (recursion through ``$ref`` is allowed).
    """
    return _each_schema(_strict(schema), _fix_schema)


def _strict(node: Any) -> Any:
    """One (sub)schema of :func:`strict_schema`, rewritten."""
    if isinstance(node, list):
        return [_strict(x) for x in node]
    if not isinstance(node, dict):
        return copy.deepcopy(node)
    node = dict(node)
    all_of = node.pop("allOf", None)
    if all_of is not None:
        if len(all_of) != 1:
            raise ValueError("allOf with more than one schema is not supported")
        node = {**all_of[0], **node}
    if "$ref" in node:
        return {"$ref": node["$ref"]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        _strict_keyword(out, key, value)
    if "properties" in node or node.get("type") == "object":
        _close_object(node, out)
    if set(out) == {"anyOf"} and len(out["anyOf"]) == 1:
        return out["anyOf"][0]
    return out


def _strict_keyword(out: dict[str, Any], key: str, value: Any) -> None:
    """``key: value`` of a schema object, as strict mode takes it, into ``out`` (nothing for a keyword it
    does not take)."""
    if key == "const":
        out["enum"] = [copy.deepcopy(value)]
    elif key in ("anyOf", "oneOf"):
        members: list = []
        for m in _strict(value):
            if isinstance(m, dict) and set(m) == {"anyOf"}:
                members.extend(m["anyOf"])
            else:
                members.append(m)
        out["anyOf"] = members
    elif key not in _STRICT_KEYWORDS:
        return
    elif key in ("properties", "$defs") and isinstance(value, dict):
        out[key] = {k: _strict(v) for k, v in value.items()}
    elif key == "items" and isinstance(value, dict):
        out[key] = _strict(value)
    elif key == "additionalProperties":
        if isinstance(value, dict) and value:
            raise ValueError("an object with schema-typed additionalProperties (a map) has no strict form")
        return  # set by _close_object for objects
    else:
        out[key] = copy.deepcopy(value)


def _close_object(node: dict, out: dict[str, Any]) -> None:
    """An object schema (``node``, rewritten into ``out``) closed: every property required, the optional ones
    that did not admit null (and have no non-null default) now admitting it."""
    props = out.setdefault("properties", {})
    was_required = set(node.get("required", []))
    for name, sub in node.get("properties", {}).items():
        if name in was_required or not isinstance(sub, dict):
            continue
        if _admits_null(sub) or ("default" in sub and sub["default"] is not None):
            continue
        sub_out = props[name]
        members = sub_out["anyOf"] if set(sub_out) == {"anyOf"} else [sub_out]
        props[name] = {"anyOf": [*members, {"type": "null"}]}
    out["type"] = "object"
    out["required"] = list(props)
    out["additionalProperties"] = False


def schema_size(schema: dict) -> int:
    """Length of the compact JSON text of ``schema`` (what goes over the wire)."""
    return len(json.dumps(schema, separators=(",", ":")))


def ollama_schema(schema: dict) -> dict:
    """The schema as pydantic writes it, local ``$defs`` and recursion kept, for Ollama's ``format`` (which goes
    through llama.cpp's JSON-Schema converter, as llama-cpp-python's ``LlamaGrammar.from_json_schema`` does):
    only the regex escapes that converter mishandles are rewritten, and union tags are made required and first.
    Measured here with llama-cpp-python 0.3.36: the full IR schema (47 KB) converts in under 10 ms."""
    return _each_schema(schema, _fix_schema)
