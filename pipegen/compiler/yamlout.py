"""The YAML files of a project, written by PyYAML's own (pure-Python) emitter.

``dump(data)`` is ``yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)``
except for a string holding a NEL (U+0085): PyYAML may write that one plain or single-quoted, and its own
reader then turns the NEL into a space or a line break, so it is double-quoted (``"\\N"``) instead.

Not ``yaml.CSafeDumper``: libyaml's emitter writes some strings differently from PyYAML's (any character
beyond U+FFFF, an emoji say, as a ``\\U`` escape; an empty key as ``''`` instead of ``? ''``; other folds of a
long double-quoted string), so the files would depend on whether PyYAML was built with libyaml. They are the
same bytes on every machine. ``yaml`` is imported on the first call, not with this module.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _dumper(literal: bool = False) -> type:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
        if "\x85" in text:
            return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
        # a text of several lines as a block (``|``), where PyYAML can write it as one; else its own choice
        style = "|" if literal and "\n" in text.rstrip("\n") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    Dumper.add_representer(str, represent_str)
    return Dumper


def dump(data: Any, literal: bool = False) -> str:
    """``yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)``, a NEL aside;
    ``literal``: strings of several lines as literal blocks (``|``), e.g. a SQL script in a ConfigMap."""
    import yaml

    return yaml.dump(data, Dumper=_dumper(literal), sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=10_000 if literal else None)
