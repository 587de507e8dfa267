"""The ``k8s/`` folder of a project, checked against the Apache Flink Kubernetes Operator's published CRD.

No Kubernetes cluster runs here. What is checked:

- the FlinkDeployment's ``spec`` against the ``openAPIV3Schema`` of the operator's FlinkDeployment CRD
  (``tests/data/k8s/``, with its provenance), strictly: a field the schema does not name is an error, as for
  ``kubectl apply --validate=strict``. The CRD stored there predates Flink 2 (its ``flinkVersion`` enum ends
  at ``v1_20``), so ``flinkVersion: v2_2`` (the value of the operator's own SQL runner example, for a Flink
  2 image) is the one error it reports, and the test says so; every other field validates;
- its pod template and the ConfigMap against Kubernetes' own schemas (kubernetes-validate, strict);
- the ConfigMap holds the project's ``sql/local/pipeline.sql`` byte for byte, and the operator's SQL runner
  would execute exactly the project's statements from it: its parsing (``SqlRunner.parseStatements`` of
  ``examples/flink-sql-runner-example``) is transcribed below and run on the file;
- parallelism, checkpoint interval, state TTL, upgrade mode, names and the connector jars of the image come
  from the spec.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from pipegen import api
from pipegen.compiler import k8s

ROOT = Path(__file__).resolve().parent.parent
CRD = ROOT / "tests" / "data" / "k8s" / "flinkdeployments.flink.apache.org-v1.yml"
SPECS = sorted((ROOT / "specs").glob("*.pgl"))
KUBERNETES = "1.33.0"  # the Kubernetes schemas the pod template and the ConfigMap are checked with


def compiled(spec: Path, targets: tuple[str, ...] = ("local", "cloud")) -> dict[str, str]:
    result = api.compile_text(spec.read_text(encoding="utf-8"), spec.name, targets=targets)
    assert result.ok, result.diagnostics
    return result.files


def crd_version() -> dict:
    crd = yaml.safe_load(CRD.read_text(encoding="utf-8"))
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta1"]
    return {"group": crd["spec"]["group"], "kind": crd["spec"]["names"]["kind"], "version": version}


def strict(schema: dict) -> dict:
    """The schema with ``additionalProperties: false`` on every object that lists its properties (and does not
    keep unknown fields): an unknown field is an error, as the API server's strict field validation has it."""
    schema = copy.deepcopy(schema)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if ("properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def spec_errors(spec: dict) -> list[jsonschema.ValidationError]:
    schema = strict(crd_version()["version"]["schema"]["openAPIV3Schema"]["properties"]["spec"])
    return sorted(jsonschema.Draft7Validator(schema).iter_errors(spec), key=lambda e: list(e.path))


def parse_statements(script: str) -> list[str]:
    """``SqlRunner.parseStatements`` of the operator's SQL runner example, transcribed: comments removed
    (``--`` to the end of a line, ``/* ... */``), blank lines dropped, each line trimmed, a statement ends at a
    line ending in ``;``, and an ``EXECUTE STATEMENT SET`` only at ``END;``."""
    trimmed = script.strip()
    formatted = trimmed + ("" if trimmed.endswith(";") else ";") + "\n"
    formatted = re.sub(r"(--.*)|(((\/\*)+?[\w\W]+?(\*\/)+))", "", formatted)
    statements, current, statement_set = [], None, False
    for line in formatted.split("\n"):
        t = line.strip()
        if not t:
            continue
        current = current if current is not None else []
        if t.startswith("EXECUTE STATEMENT SET"):
            statement_set = True
        current.append(t)
        if t.endswith(";") and (not statement_set or t == "END;"):
            statements.append("\n".join(current) + "\n")
            current, statement_set = None, False
    return statements


@pytest.fixture(scope="module", params=SPECS, ids=[s.stem for s in SPECS])
def project(request: pytest.FixtureRequest) -> tuple[Path, dict[str, str]]:
    return request.param, compiled(request.param)


# ------------------------------------------------------------------------------------------- the schema
def test_the_deployment_validates_against_the_operators_crd(project: tuple[Path, dict[str, str]]) -> None:
    _, files = project
    deployment = yaml.safe_load(files["k8s/flinkdeployment.yaml"])
    crd = crd_version()
    assert deployment["apiVersion"] == f"{crd['group']}/{crd['version']['name']}" == "flink.apache.org/v1beta1"
    assert deployment["kind"] == crd["kind"] == "FlinkDeployment"
    errors = spec_errors(deployment["spec"])
    # the one field the stored CRD (before Flink 2) cannot say: every other one validates
    assert [(list(e.path), e.validator) for e in errors] == [(["flinkVersion"], "enum")], [e.message for e in errors]
    assert deployment["spec"]["flinkVersion"] == k8s.FLINK_VERSION == "v2_2"
    assert "v1_20" in errors[0].validator_value


def test_the_strict_check_has_teeth() -> None:
    """A misspelled field, a wrong type and an unknown upgrade mode are each an error."""
    files = compiled(SPECS[0])
    spec = yaml.safe_load(files["k8s/flinkdeployment.yaml"])["spec"]
    spec["flinkVersion"] = "v1_20"
    assert spec_errors(spec) == []
    for path, value in ((("jobManager", "resources"), {"memory": "1g"}), (("job", "parallelism"), "4"),
                        (("job", "upgradeMode"), "last_state"), (("taskManager", "resource", "memory"), 2048)):
        broken = copy.deepcopy(spec)
        node = broken
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert [list(e.path) for e in spec_errors(broken)] in ([list(path)], [list(path[:-1])]), path


def test_pod_template_and_config_map_are_valid_kubernetes(project: tuple[Path, dict[str, str]]) -> None:
    _, files = project
    deployment = yaml.safe_load(files["k8s/flinkdeployment.yaml"])
    config_map = yaml.safe_load(files["k8s/pipeline-sql.yaml"])
    pod_template = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "check"},
                    "template": deployment["spec"]["podTemplate"]}
    kubernetes_validate.validate(pod_template, KUBERNETES, strict=True)
    kubernetes_validate.validate(config_map, KUBERNETES, strict=True)
    # the pod mounts that ConfigMap where the job's argument reads the script, in the main container
    (volume,) = deployment["spec"]["podTemplate"]["spec"]["volumes"]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    (container,) = deployment["spec"]["podTemplate"]["spec"]["containers"]
    assert container["name"] == "flink-main-container"  # the operator's name for Flink's own container
    (mount,) = container["volumeMounts"]
    assert mount["name"] == volume["name"]
    assert deployment["spec"]["job"]["args"] == [f"{mount['mountPath']}/pipeline.sql"]
    assert deployment["spec"]["job"]["jarURI"] == "local:///opt/flink/usrlib/sql-runner.jar"
    # DNS-1035 names of at most 45 characters (the operator adds suffixes to them)
    for name in (deployment["metadata"]["name"], config_map["metadata"]["name"]):
        assert re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 49, name


# ------------------------------------------------------------------------------------------- the SQL
def test_the_sql_runner_executes_the_projects_statements(project: tuple[Path, dict[str, str]]) -> None:
    _, files = project
    config_map = yaml.safe_load(files["k8s/pipeline-sql.yaml"])
    script = config_map["data"]["pipeline.sql"]
    assert script == files["sql/local/pipeline.sql"]
    ran = parse_statements(script)
    statement_files = sorted(f for f in files if re.fullmatch(r"sql/local/\d+_.*\.sql", f))
    sets = [s for s in ran if s.startswith("SET ")]
    assert [s.strip() for s in ran[len(sets):]] == [
        "\n".join(ln.strip() for ln in files[f].splitlines() if ln.strip()) for f in statement_files]
    # the SET lines are read as settings by the runner's own pattern
    pattern = re.compile(r"SET\s+'(\S+)'\s+=\s+'(.*)';", re.IGNORECASE)
    assert sets and all(pattern.fullmatch(s.strip()) for s in sets)


def test_settings_come_from_the_spec(project: tuple[Path, dict[str, str]]) -> None:
    spec_path, files = project
    p = api.check(spec_path.read_text(encoding="utf-8"), spec_path.name).spec.pipeline
    d = yaml.safe_load(files["k8s/flinkdeployment.yaml"])["spec"]
    conf = d["flinkConfiguration"]
    assert d["job"]["parallelism"] == (p.parallelism or 1)
    assert d["job"]["upgradeMode"] == "savepoint" and d["job"]["state"] == "running"
    assert conf["pipeline.name"] == p.name
    assert conf.get("execution.checkpointing.interval") == (f"{p.checkpoint.millis} ms" if p.checkpoint else None)
    assert conf.get("table.exec.state.ttl") == (f"{p.state_ttl.millis} ms" if p.state_ttl else None)
    # the operator starts ceil(parallelism / slots) task managers of up to 4 slots
    assert int(conf["taskmanager.numberOfTaskSlots"]) == min(d["job"]["parallelism"], 4)
    # upgradeMode savepoint needs a savepoint folder; checkpoints and savepoints under one placeholder
    assert conf["execution.checkpointing.savepoint-dir"].startswith(k8s.STORAGE + "/")
    assert conf["execution.checkpointing.dir"].startswith(k8s.STORAGE + "/")


def test_the_image_has_the_connector_jars_of_the_projects_tables(project: tuple[Path, dict[str, str]]) -> None:
    _, files = project
    sql = files["sql/local/pipeline.sql"]
    dockerfile = files["k8s/Dockerfile"]
    added = re.findall(r"^ADD --chown=flink:flink (\S+) /opt/flink/lib/$", dockerfile, re.M)
    assert dockerfile.splitlines()[2] == "FROM flink:2.3.0-scala_2.12-java17"
    assert ("'connector' = 'kafka'" in sql or "'connector' = 'upsert-kafka'" in sql) == any(
        "flink-connector-kafka" in a for a in added)
    assert ("avro-confluent" in sql) == any("avro-confluent-registry" in a for a in added)
    assert ("'connector' = 'jdbc'" in sql) == any("flink-connector-jdbc" in a for a in added)
    assert "COPY --chown=flink:flink sql-runner.jar /opt/flink/usrlib/sql-runner.jar" in dockerfile
    readme = files["k8s/README.md"]
    assert "No Kubernetes cluster has run these" in readme and "sql-runner.jar" in readme


def test_a_jdbc_source_brings_the_jdbc_jars() -> None:
    spec = ROOT / "tests" / "regressions"
    found = [f for f in sorted(spec.glob("*.pgl")) if 'jdbc "' in f.read_text(encoding="utf-8")]
    assert found, "a regression spec with a jdbc source"
    files = compiled(found[0], ("local",))
    assert "flink-connector-jdbc-core-4.0.0-2.0.jar" in files["k8s/Dockerfile"]
    assert "postgresql-42.7.3.jar" in files["k8s/Dockerfile"]


def test_a_comment_marker_inside_quotes_is_told_in_the_readme(tmp_path: Path) -> None:
    """The runner example removes ``--`` to the end of a line even inside a string: its split of such a
    script is not the project's statements, and k8s/README.md says so."""
    text = (ROOT / "specs" / "order_processing.pgl").read_text(encoding="utf-8")
    assert 'topic "orders"' in text
    spec = tmp_path / "dashes.pgl"
    spec.write_text(text.replace('topic "orders"', 'topic "orders--eu"', 1), encoding="utf-8")
    files = compiled(spec)
    assert "'topic' = 'orders--eu'" in files["sql/local/pipeline.sql"]
    assert k8s.runner_hazard(files["sql/local/pipeline.sql"])
    assert "keeps `--` and `/*` inside quotes" in files["k8s/README.md"]
    ran = parse_statements(files["sql/local/pipeline.sql"])
    assert not any("'orders--eu'" in s for s in ran)  # what the example's runner would have made of it
    for _, clean in (project_files(s) for s in SPECS[:3]):
        assert "inside quotes" not in clean["k8s/README.md"]


def project_files(spec: Path) -> tuple[Path, dict[str, str]]:
    return spec, compiled(spec)


def test_only_projects_with_local_sql_get_k8s() -> None:
    files = compiled(SPECS[0], ("cloud",))
    assert not [f for f in files if f.startswith("k8s/")]


@pytest.mark.parametrize(("pipeline", "name"), [("fraud_detection", "fraud-detection"), ("Crypto.Arb", "crypto-arb"),
                                                 ("9lives", "lives"), ("x" * 80, "x" * 45), ("__", "pipeline")])
def test_kubernetes_names(pipeline: str, name: str) -> None:
    assert k8s.k8s_name(pipeline) == name
