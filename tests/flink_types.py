"""Whether the column types PipeGen's checks give each stage are the ones Flink's planner gives it.

Shared by the differential test and the regression and example tests: call ``type_disagreements`` right after
``api.validate_with_flink(compiled, planner=planner, targets=(target,))`` planned the target without a failure.
"""

from __future__ import annotations

import re
from typing import Any

from pipegen import api

_VIEW = re.compile(r"^CREATE TEMPORARY VIEW `((?:[^`]|``)+)`", re.M)
_COLUMN = re.compile(r"^`((?:[^`]|``)*)` (.*)$", re.DOTALL)


def _flink_text(t: str) -> str:
    """A Flink type's text without what PipeGen's types do not say: time attributes, the length of a CHAR or
    VARCHAR (Flink's MD5 is a CHAR(32), its JSON functions a VARCHAR(2000); PipeGen calls them strings, and
    a string column takes them as they are), NOT NULL."""
    t = t.replace(" *ROWTIME*", "").replace(" *PROCTIME*", "")
    t = re.sub(r"\b(?:VAR)?CHAR\(\d+\)", "STRING", t)
    return t.replace(" NOT NULL", "")


def type_disagreements(planner: Any, compiled: api.Compiled, target: str) -> list[tuple[str, str]]:
    """(file, what differs) for each column of a planned view whose type PipeGen's checks give otherwise than
    Flink does: the types PipeGen writes into the sinks' tables and Avro schemas, so a sink would get a value
    cast to another type (DECIMAL(1, 0) written as DECIMAL(5, 5), an INT mean as a DOUBLE) and lose its upsert
    key on the way. A column PipeGen calls nullable that Flink knows never is null agrees (the schema is only
    wider); one PipeGen calls NOT NULL that Flink may give null for does not (the sink would refuse the row)."""
    analysis = compiled.check.analysis
    db = f"default_catalog.pipegen_spec_{api._DATABASES}_{target}"  # the database validate_with_flink just used
    out = []
    for st in compiled.statements[target]:
        m = _VIEW.match(st.sql) if st.phase == "view" else None
        rel = analysis.relations.get(st.origin) if m else None
        if rel is None:
            continue
        view = m.group(1).replace("``", "`")
        theirs = {}
        for c in planner.table_env.from_path(f"{db}.`{view}`").get_resolved_schema().get_columns():
            cm = _COLUMN.match(str(c))
            theirs[cm.group(1).replace("``", "`")] = cm.group(2)
        for col in rel.columns:
            flink = theirs.get(col.name)
            if flink is None:
                continue
            mine = col.type.sql(lambda n: f"`{n}`").replace(" NOT NULL", "")
            what = f"PipeGen types column `{col.name}` of `{rel.name}` as"
            if mine != _flink_text(flink):
                out.append((st.file, f"{what} {mine}, Flink as {_flink_text(flink)}."))
            elif not col.type.nullable and not flink.replace(" *ROWTIME*", "").endswith("NOT NULL"):
                out.append((st.file, f"{what} NOT NULL, Flink as nullable."))
    return out
