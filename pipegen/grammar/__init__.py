"""The `.pgl` grammar: the one source of truth for the spec language."""

from functools import lru_cache
from pathlib import Path

GRAMMAR_PATH = Path(__file__).with_name("pgl.lark")


@lru_cache(maxsize=1)
def grammar_text() -> str:
    """The Lark grammar of the spec language."""
    return GRAMMAR_PATH.read_text(encoding="utf-8")
