import sys
from pipegen.compiler.parser import parse_spec
from pipegen.compiler.analyze import analyze
from pipegen.compiler.diagnostics import render_all
from pipegen.compiler.targets.local import LocalTarget
from pipegen.compiler.targets.cloud import CloudTarget
text = open(sys.argv[1]).read()
spec, d = parse_spec(text, sys.argv[1])
if d: print(render_all(d, text)); sys.exit(1)
a = analyze(spec, sys.argv[1])
print(render_all(a.diagnostics, text))
if not a.ok: sys.exit(1)
sts = LocalTarget(a).statements()
for s in sts: print('--', s.file); print(s.sql + ';')
if len(sys.argv) > 2:
    from pipegen.engine.flink import FlinkPlanner
    with FlinkPlanner(jars=['.cache/flink-jars']) as p:
        for s, r in zip(sts, p.plan([s.sql for s in sts])):
            print(s.file, r.ok, r.message, r.line, r.column)
