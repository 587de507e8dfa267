"""compiler.yamlout is yaml.safe_dump (PyYAML's own emitter, a NEL aside); what it writes reads back as the data."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipegen import api
from pipegen.compiler import yamlout

ROOT = Path(__file__).resolve().parent.parent


def pyyaml(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


TRICKY = [
    "", " ", "  ", "a", "yes", "no", "Yes", "NO", "on", "off", "true", "False", "null", "Null", "~", "1", "-1",
    "+1", "1.0", "1.", ".5", "1e5", "1.0e+5", "0x1f", "0o17", "017", "0b101", "1_000", "1:20", "1:20.5",
    ".inf", "-.Inf", ".nan", "2024-01-02", "2024-1-2 3:04:05", "<<", "=", "!", "&", "*", "-", "--", "---",
    "--- a", "...", "... a", "?", "? a", ":", ": a", "a:", "a: b", "a:b", "a #b", "a#b", "#a", "a,b", "[a]",
    "{a}", "a]", "'", "''", "a'b", '"', 'a"b', "%a", "@a", "`a", "|", ">", "a\\b", "\\", " a", "a ", "a  b",
    "a\nb", "a\n", "\na", "a\n\nb", "a \nb", "a\n b", "a\tb", "\t", "a\rb", "\x00", "\x07", "\x1b", "\x7f",
    "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\ufffe", "é", "日本語", "😀", "a😀b", "\U0010ffff",
    "${CONFLUENT_ORGANIZATION_ID}", "http://localhost:8081", "kafka:29092", "30s", "0.8", "customer''s",
    "x" * 79, "x" * 81, "x" * 127, "x" * 128, "x" * 200,
]

words = st.text(alphabet=st.sampled_from("ab:#'\"-?,[]{}!&*|>%@` \\é😀"), min_size=1, max_size=12)
sentences = st.lists(st.one_of(words, st.sampled_from(["a", "bb", "ccc", "dddddddd", "it's", "x:", "#y"])),
                     min_size=1, max_size=40).map(" ".join)
strings = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
    st.text(alphabet=st.sampled_from(" \n'\"ab:#-"), max_size=30),
    sentences,
    st.lists(sentences, min_size=1, max_size=3).map("\n".join),
)
scalars = st.one_of(strings, st.integers(), st.floats(), st.booleans(), st.none(),
                    st.sampled_from([1e17, 1e-5, -0.0, 0.1, 1.5e300, float("inf"), float("-inf")]))
trees = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.one_of(strings, st.integers(), st.booleans()), inner, max_size=5)),
    max_leaves=40)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_same_text_as_pyyaml(data: object) -> None:
    if _has_nel(data):  # PyYAML writes a NEL so that it reads back as a space or newline
        assert _same(yaml.safe_load(yamlout.dump(data)), data)
    else:
        assert yamlout.dump(data) == pyyaml(data)


def _has_nel(data: object) -> bool:
    if isinstance(data, dict):
        return any(_has_nel(k) or _has_nel(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_nel(x) for x in data)
    return isinstance(data, str) and "\x85" in data


def test_nel_is_double_quoted() -> None:
    for text in ("\x85", "a\x85b", "a\nb\x85c"):
        assert yamlout.dump({"k": text}) == 'k: "' + text.replace("\n", "\\n").replace("\x85", "\\N") + '"\n'
        assert yaml.safe_load(yamlout.dump({text: [text]})) == {text: [text]}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(strings, trees, max_size=3))
def test_reads_back(data: dict) -> None:
    text = yamlout.dump(data)
    back = yaml.safe_load(text)
    assert _same(back, data)


def _same(a: object, b: object) -> bool:
    """Equality, with NaN equal to itself."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=1000)
@given(st.text(alphabet="0123456789_.:+-eEbxXoaAfFiInNtTzZ ~<=!&*ylsuYLSU", min_size=1, max_size=12))
def test_implicit_types_stay_strings(text: str) -> None:
    """A string PyYAML's resolver would read as a bool, null, number or date is quoted; any other may be plain."""
    tag = yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False))
    out = yamlout.dump({"k": text})
    assert yaml.safe_load(out) == {"k": text}
    if tag != "tag:yaml.org,2002:str":
        assert out[3] in "'\"", out


@given(st.sampled_from(TRICKY), st.integers(0, 90))
def test_folding_at_every_column(text: str, depth: int) -> None:
    data: object = {"k": text + " " + " ".join(["word"] * 30)}
    for _ in range(depth // 10):
        data = {"nested": data, "list": [data.copy()]}
    assert yamlout.dump(data) == pyyaml(data)


def test_project_configs() -> None:
    project = {
        "project_name": "fraud_detection",
        "description": "Monitors card payments and alerts within 30 seconds on suspicious bursts: many payments, "
                       "a high total or many merchants per card in a 30-second window. The customer's own "
                       "pattern.",
        "domain": "",
        "producer_config": {"batch_size": 1000, "linger_ms": 100, "message_rate": 200},
        "consumer_config": {"auto_offset_reset": "earliest", "enable_auto_commit": True},
        "flink_config": {"parallelism": 1, "checkpoint_interval": "30s", "state_backend": "rocksdb",
                         "state_ttl": "1h"},
        "domain_config": {},
        "generators": {"payments": {"rate_per_second": 200, "ranges": {"amount": [1, 5000.5]},
                                    "weights": {"currency": {"USD": 0.6, "EUR": 0.25, "yes": 1}}},
                       "empty": {}},
    }
    cloud = {"confluent": {"organization_id": "${CONFLUENT_ORGANIZATION_ID}"},
             "schema_registry": {"url": "${CONFLUENT_SCHEMA_REGISTRY_URL}"}}
    local = {"kafka": {"bootstrap_servers": "kafka:29092,other:9092"},
             "schema_registry": {"url": "http://schema-registry:8081"}}
    for data in (project, cloud, local):
        assert yamlout.dump(data) == pyyaml(data)


def test_golden_configs_are_pyyaml_output() -> None:
    """Every YAML file of the golden projects is what PyYAML writes for the data it holds."""
    files = sorted((ROOT / "tests" / "golden").glob("*/config/*.yaml")) + sorted(
        (ROOT / "tests" / "golden").glob("*/.pipegen.yaml"))
    assert len(files) >= 36
    for path in files:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        body = yamlout.dump(data)
        assert body == pyyaml(data)
        assert text.endswith(body), path
        assert all(line.startswith("# ") for line in text[: -len(body)].splitlines()), path


def test_compiled_configs_match_pyyaml() -> None:
    result = api.compile_text((ROOT / "specs" / "fraud_detection.pgl").read_text(encoding="utf-8"), "x.pgl")
    for rel in ("config/local.yaml", "config/cloud.yaml", ".pipegen.yaml"):
        data = yaml.safe_load(result.files[rel])
        assert result.files[rel].endswith(pyyaml(data))


def test_shared_containers_as_pyyaml() -> None:
    """A container that occurs twice is written with an anchor and an alias, as PyYAML writes it."""
    shared = {"a": [1]}
    for data in ({"x": shared, "y": shared}, [shared["a"], shared["a"]]):
        assert yamlout.dump(data) == pyyaml(data)
        assert "&id001" in yamlout.dump(data)
        assert yaml.safe_load(yamlout.dump(data)) == data


def test_same_bytes_with_or_without_libyaml() -> None:
    """The pure-Python emitter, not libyaml's: libyaml escapes characters beyond U+FFFF and writes an empty key
    and some folds otherwise, so CSafeDumper's files would depend on how PyYAML was built."""
    for data, text in (({"description": "Alerts 🚨 on fraud"}, "description: Alerts 🚨 on fraud\n"),
                       ({"": 1}, "? ''\n: 1\n")):
        assert yamlout.dump(data) == text == pyyaml(data)
        assert yaml.safe_load(text) == data


def test_yaml_imported_on_first_dump_only() -> None:
    probe = ("import sys; from pipegen.compiler import yamlout; a = 'yaml' in sys.modules; "
             "yamlout.dump({'k': 1}); print(a, 'yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "True"], out.stdout + out.stderr
