"""A canary API key set in the environment appears in no file, log line, error or report of init, check or eval."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import FaultServer

EXE = shutil.which("pipegen", path=str(Path(sys.executable).parent)) or "pipegen"
CANARY = "sk-canary-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"


@pytest.fixture(scope="module")
def server():
    with FaultServer() as s:
        yield s


def env_for(server: FaultServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEGEN_")}
    env.update(PIPEGEN_OPENAI_API_KEY=CANARY, PIPEGEN_OPENAI_BASE_URL=f"{server.url}/v1", PIPEGEN_LLM_MODEL="gpt-4")
    return env


def everything_written(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def leaks(text: str) -> bool:
    return CANARY in text or CANARY[-12:] in text or CANARY[3:15] in text


@pytest.mark.parametrize("fault", ["ok", "401", "500", "notjson"])
def test_init_never_shows_the_key(tmp_path: Path, server: FaultServer, fault: str) -> None:
    server.reset(default=fault)
    p = subprocess.run([EXE, "init", "proj", "--describe", "Count orders per customer every minute"],
                       capture_output=True, text=True, cwd=tmp_path, env=env_for(server), timeout=300)
    assert "Traceback" not in p.stderr
    assert not leaks(p.stdout + p.stderr)
    assert not leaks(everything_written(tmp_path))
    # The key really went to the server (the server echoes it in its 401 and 500 answers).
    assert any(CANARY in (r["headers"].get("authorization") or "") for r in server.requests)
    if fault == "ok":
        assert p.returncode == 0, p.stderr
        assert (tmp_path / "proj" / "pipeline.pgl").is_file()
    else:
        assert p.returncode != 0


def test_check_never_shows_the_key(tmp_path: Path, server: FaultServer) -> None:
    server.reset(default="401")
    p = subprocess.run([EXE, "check"], capture_output=True, text=True, cwd=tmp_path, env=env_for(server), timeout=300)
    assert p.returncode == 0
    assert "openai" in p.stdout
    assert not leaks(p.stdout + p.stderr)


def test_eval_report_never_shows_the_key(tmp_path: Path, server: FaultServer) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "c1", "description": "Count orders per customer every minute",
                                 "domain": "ecommerce", "expect": {"window": "tumble"}}) + "\n"
                     + json.dumps({"id": "c2", "description": "Sum amounts per card every 5 minutes",
                                   "domain": "fintech", "expect": {"window": "tumble"}}) + "\n")
    server.reset(default="ok")
    server.script("500", "500", "500", "500")
    p = subprocess.run([EXE, "eval", str(cases), "--report", str(tmp_path / "r.json"), "--markdown",
                        str(tmp_path / "r.md")], capture_output=True, text=True, cwd=tmp_path, env=env_for(server),
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert not leaks(p.stdout + p.stderr)
    assert not leaks(everything_written(tmp_path))
    assert (tmp_path / "r.json").is_file()


def test_a_provider_that_sends_megabytes_is_cut_off(server: FaultServer) -> None:
    """A hostile provider streaming a huge answer ends in one clear error, in bounded time and memory."""
    from pipegen.backends import base
    from pipegen.backends.base import BackendError, GenerationRequest
    from pipegen.backends.openai_backend import OpenAIBackend

    server.reset(default="ok")
    backend = OpenAIBackend(model="gpt-4", api_key=CANARY, base_url=f"{server.url}/v1", schema_in_prompt=False)
    old = base.MAX_ANSWER_CHARS
    base.MAX_ANSWER_CHARS = 50  # the fault server's answer is a few hundred characters
    try:
        with pytest.raises(BackendError) as e:
            backend.generate(GenerationRequest(system="s", user="u", json_schema={"type": "object"}, timeout_s=30))
    finally:
        base.MAX_ANSWER_CHARS = old
    assert e.value.kind == "malformed" and "longer than 50 characters" in e.value.message
