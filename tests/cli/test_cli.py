"""The `coderd` command line, run as a real subprocess in a scratch home."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_client import scratch_env

from coderd import __version__

SAMPLE = Path(__file__).parents[1] / "data" / "fibonacci.py"


def coderd(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    beside_python = Path(sys.executable).parent / "coderd"
    exe = str(beside_python) if beside_python.exists() else shutil.which("coderd")
    assert exe, "the coderd console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=300, env=scratch_env(home, **env)
    )


def test_version_and_help(tmp_path):
    assert coderd(tmp_path, "--version").stdout.strip() == f"coderd {__version__}"
    for command in ("lsp", "complete", "doctor", "bench"):
        result = coderd(tmp_path, command, "--help")
        assert result.returncode == 0 and "usage: coderd " + command in result.stdout


def test_complete_prints_a_completion_and_json_shows_each_phase(tmp_path, tiny_model_path):
    # No time budget in play (a loaded machine would cut the two runs at different tokens):
    # greedy decoding is then reproducible and both runs must print the same completion.
    limits = {"CODERD_COMPLETION_TIME_BUDGET_MS": "600000", "CODERD_COMPLETION_MAX_TOKENS": "12"}
    plain = coderd(
        tmp_path, "complete", f"{SAMPLE}:8:12", "--model", str(tiny_model_path), **limits
    )
    assert plain.returncode == 0, plain.stderr
    result = coderd(
        tmp_path, "complete", f"{SAMPLE}:8:12", "--model", str(tiny_model_path), "--json", **limits
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["completion"] == plain.stdout.rstrip("\n")
    assert report["mode"] == "single-line"
    assert report["prompt"]["prefix_text"].endswith("    return ")
    assert report["prompt"]["suffix_text"].startswith("\n\n\ndef main():")
    names = [p["name"] for p in report["prompt"]["pieces"]]
    assert names == ["bos", "fim_pre", "context", "prefix", "fim_suf", "suffix", "fim_mid"]
    stats = report["stats"]
    assert stats["prompt_tokens"] == sum(len(p["ids"]) for p in report["prompt"]["pieces"])
    assert stats["evaluated_tokens"] + stats["reused_tokens"] == stats["prompt_tokens"]
    assert stats["evaluated_tokens"] == stats["prompt_tokens"]  # a fresh process: cold cache
    assert stats["generated_tokens"] >= 1 and stats["prompt_ms"] > 0
    assert "\n" not in report["completion"]
    # Nothing but the completion on stdout: logs go to the XDG state folder.
    assert (tmp_path / "state" / "coderd" / "coderd.log").exists()


def test_complete_with_a_missing_model_says_how_to_fix_it(tmp_path):
    result = coderd(tmp_path, "complete", f"{SAMPLE}:8:12", "--model", str(tmp_path / "none.gguf"))
    assert result.returncode == 1
    assert "model file not found" in result.stderr and "CODERD_MODEL_PATH" in result.stderr
    assert result.stdout == ""


def test_complete_with_a_fifo_as_the_model_answers_at_once(tmp_path):
    # Opening a FIFO waits for a writer: the model stayed "loading" and the command hung.
    fifo = tmp_path / "model.gguf"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from lsp.entry import main; sys.exit(main())"]
        + ["complete", f"{SAMPLE}:8:12", "--model", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        env=scratch_env(tmp_path),
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"cannot load the model: {fifo} is a FIFO, not a model file" in result.stderr


@pytest.mark.parametrize("location", ["nocolons", f"{SAMPLE}:999:1", f"{SAMPLE}:x:1"])
def test_complete_rejects_bad_locations(tmp_path, location, tiny_model_path):
    result = coderd(tmp_path, "complete", location, "--model", str(tiny_model_path))
    assert result.returncode != 0 and "coderd:" in result.stderr


def test_doctor_reports_build_model_and_settings(tmp_path, tiny_model_path):
    result = coderd(tmp_path, "doctor", "--json", "--model", str(tiny_model_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (
        "AVX" in report["llama_cpp"]["system_info"] or "NEON" in report["llama_cpp"]["system_info"]
    )
    assert report["machine"]["physical_cores"] >= 1
    assert report["model"]["ok"] and report["model"]["mode"] == "fill-in-the-middle"
    assert report["settings"]["model"]["path"] == str(tiny_model_path)
    assert report["paths"]["log_file"].startswith(str(tmp_path))
    text = coderd(tmp_path, "doctor", "--model", str(tiny_model_path)).stdout
    assert "model: OK" in text and "GPU offload" in text


def test_doctor_flags_a_broken_config_and_a_bad_model(tmp_path):
    config = tmp_path / "config" / "coderd" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[completion]\nmax_tokens = 'lots'\n")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 100)
    result = coderd(tmp_path, "doctor", "--model", str(bad))
    assert result.returncode == 1
    assert "config.toml:2: completion.max_tokens" in result.stdout
    assert "model: PROBLEM" in result.stdout


def test_locations_count_lines_as_the_lsp_does():
    from coderd.cli.common import offset_of

    # A form feed, \v and U+2028 sit inside a line for an editor; only \n, \r\n and \r end one.
    text = "a = 1\x0c\v\u2028 # same line\r\nb = 2\rc = 3\n"
    assert offset_of(text, 2, 1) == text.index("b")
    assert offset_of(text, 3, 5) == text.index("3")
    assert offset_of(text, 1, 999) == text.index("\r\n")  # past the end: the end of the line
    with pytest.raises(SystemExit, match="outside the file"):
        offset_of(text, 6, 1)


def test_complete_counts_lines_as_the_lsp_does_end_to_end(tmp_path):
    """`coderd complete` itself (not only offset_of): a form feed, \\v and U+2028 stay inside
    their line. Through the remote backend, so the prompt sent shows where the cursor was."""
    from remote_recorder import Recorder

    src = tmp_path / "lines.py"
    src.write_text("a = 1\x0c\v\u2028 # same line\nb = 2\nc = \n", "utf-8")
    recorder = Recorder()
    try:
        result = coderd(
            tmp_path,
            "complete",
            f"{src}:3:5",
            "--json",
            CODERD_REMOTE_ENABLED="1",
            CODERD_REMOTE_URL=recorder.url,
            CODERD_REMOTE_FORMAT="suffix",  # no probe of the server first (format auto)
            CODERD_CONTEXT_ENABLED="0",
            NO_PROXY="127.0.0.1",
            no_proxy="127.0.0.1",
        )
    finally:
        recorder.shutdown()
        recorder.server_close()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["prompt"]["prefix_text"].endswith("\nb = 2\nc = ")
    [(_, _, _, body)] = recorder.requests
    assert body["prompt"].endswith("\nb = 2\nc = ") and body["suffix"] == "\n"
