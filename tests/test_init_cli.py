"""`pipegen init` and `pipegen check` through the installed command, with the real embedded model."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("pipegen", path=str(Path(sys.executable).parent)) or "pipegen"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIPEGEN_")}


def run(*args: str, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, env=env or CLEAN_ENV,
                          timeout=timeout)


def test_init_without_describe_writes_the_domain_template(tmp_path: Path) -> None:
    p = run("init", "plant", "--domain", "manufacturing", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    spec = (tmp_path / "plant" / "pipeline.pgl").read_text()
    assert "domain iot" in spec and "source sensor_readings" in spec
    assert (tmp_path / "plant" / "sql" / "local" / "pipeline.sql").is_file()
    assert api.check(spec).ok


def test_init_refuses_to_overwrite_a_spec(tmp_path: Path) -> None:
    assert run("init", "p", "--domain", "iot", cwd=tmp_path).returncode == 0
    p = run("init", "p", "--domain", "iot", cwd=tmp_path)
    assert p.returncode == 2 and "--force" in p.stderr


def test_init_unknown_domain_warns_and_goes_on(tmp_path: Path) -> None:
    p = run("init", "x", "--domain", "agriculture", cwd=tmp_path)
    assert p.returncode == 0
    assert "unknown domain 'agriculture'" in p.stderr


def test_init_from_csv_uses_its_columns(tmp_path: Path) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text("Order ID,amount,country,created_at\nA1,10.5,DE,2024-05-01T12:00:00Z\n"
                   "A2,,FR,2024-05-01T12:00:05Z\n")
    p = run("init", "shop", "--input-csv", str(csv), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    spec = (tmp_path / "shop" / "pipeline.pgl").read_text()
    assert "order_id" in spec and re.search(r"amount +double\?", spec) and "event_time created_at watermark" in spec


def test_init_describe_with_the_embedded_model(tmp_path: Path) -> None:
    p = run("init", "fraud", "--domain", "fintech", "--spec-only", "--describe",
            "Alert when a card makes more than 5 payments within 30 seconds", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    spec = (tmp_path / "fraud" / "pipeline.pgl").read_text()
    result = api.check(spec)
    assert result.ok
    assert re.search(r"window (tumble|hop)\(`event_time`, .*30 s", spec), spec
    assert re.search(r"(\w+) += count\(\*\)", spec) and re.search(r"having \w+ > 5\n", spec), spec
    assert "generated with llamacpp" in p.stderr or "without a call to llamacpp" in p.stderr
    assert not (tmp_path / "fraud" / "sql").exists()


def test_init_timeout_is_one_clear_line(tmp_path: Path) -> None:
    from pipegen.generate import checked_candidates, plan_request

    request = "Average temperature every minute"  # no key named: the model chooses among readings
    assert len(checked_candidates(plan_request(request, None))) > 1
    p = run("init", "slow", "--timeout", "1", "--describe", request, cwd=tmp_path)
    assert p.returncode == 2
    assert "AI generation timed out" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "slow").exists()


def test_init_missing_model_file(tmp_path: Path) -> None:
    env = {**CLEAN_ENV, "PIPEGEN_LLAMACPP_MODEL": str(tmp_path / "nope.gguf")}
    p = run("init", "m", "--describe", "count events per minute", cwd=tmp_path, env=env)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    # the model the user named is missing: that is what is said, not that no provider is configured
    assert f"model file {tmp_path / 'nope.gguf'} not found" in p.stderr and "No AI provider" not in p.stderr


def test_init_unreachable_ollama(tmp_path: Path) -> None:
    env = {**CLEAN_ENV, "PIPEGEN_OLLAMA_URL": "http://127.0.0.1:9", "PIPEGEN_OLLAMA_MODEL": "llama3.1"}
    p = run("init", "o", "--describe", "count events per minute", cwd=tmp_path, env=env)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) <= 3


def test_check_reports_providers(tmp_path: Path) -> None:
    p = run("check", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "llamacpp" in p.stdout and "Status: Available" in p.stdout
    assert "will use: llamacpp" in p.stdout
    assert "ollama" in p.stdout and "openai" in p.stdout


def test_ctrl_c_leaves_nothing_half_written(tmp_path: Path) -> None:
    """SIGINT while the model works: exit 130, one line, no project folder."""
    import signal
    import time

    proc = subprocess.Popen([EXE, "init", "stopped", "--describe", "Average temperature every minute",
                             "--domain", "iot"], cwd=tmp_path, env=CLEAN_ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # loading the model and reading the prompt take longer than this
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        # The machine was fast enough to finish first: then the project is whole.
        assert (tmp_path / "stopped" / "sql" / "local" / "pipeline.sql").is_file()
        return
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not (tmp_path / "stopped").exists()
