"""`coderd eval` end to end: a tiny repository, a tiny real GGUF model, JSON out; bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_client import scratch_env

REPO = {
    "shapes/area.py": (
        "from shapes.units import scale\n\n\n"
        "def area(width, height):\n    result = width * height\n    return scale(result)\n\n\n"
        "def perimeter(width, height):\n    total = 2 * (width + height)\n    return scale(total)\n"
    ),
    "shapes/units.py": "FACTOR = 2\n\n\ndef scale(value):\n    return value * FACTOR\n",
    "web/box.ts": (
        "export function volume(w: number, h: number, d: number): number {\n"
        "  const base = w * h;\n  return base * d;\n}\n"
    ),
    "vendor/big.py": "def vendored(a, b):\n    return a + b\n",
}


def coderd(home: Path, *args: str) -> subprocess.CompletedProcess:
    beside_python = Path(sys.executable).parent / "coderd"
    exe = str(beside_python) if beside_python.exists() else shutil.which("coderd")
    assert exe, "the coderd console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=600, env=scratch_env(home)
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in REPO.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_eval_runs_every_configuration_and_reports_every_sample(tmp_path, repo, tiny_model_path):
    result = coderd(
        tmp_path, "eval", "--workspace", str(repo), "--samples", "4", "--model",
        str(tiny_model_path), "--budget", "128/16/64", "--context", "both", "--syntax-check",
        "both", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # What a person reads goes to stderr beside the JSON: the table, then the recommendation.
    assert "| exact |" in result.stderr and "recommended (" in result.stderr
    assert report["threads"] == 0  # model.threads' default: the engine's automatic count
    configurations = report["configurations"]
    assert {(c["context"], c["syntax_check"]) for c in configurations} == {
        (True, True), (True, False), (False, True), (False, False),
    }  # fmt: skip
    for configuration in configurations:
        assert configuration["budget"] == {"prefix": 128, "suffix": 16, "context": 64}
        assert configuration["samples"] == len(configuration["results"]) == 4
        for sample in configuration["results"]:
            assert not sample["file"].startswith("vendor/")
            assert sample["status"] == "ok"
            assert "<CURSOR>" in sample["prompt"] and sample["prompt_tokens"] > 0
            assert set(sample["scores"]) >= {"exact_match", "edit_similarity", "identifier_match"}
            assert isinstance(sample["suggestion"], str)
            # The engine's own figures: what was evaluated, reused and generated.
            assert sample["request"]["prompt_tokens"] == sample["prompt_tokens"]
    with_context = next(c for c in configurations if c["context"])
    # Context on: the other file's definitions go in front of the prefix.
    assert any("# shapes/units.py" in s["prompt"] for s in with_context["results"])
    assert report["recommendation"]["toml"].startswith("[model]")


def test_by_default_one_configuration_runs_the_configured_context(tmp_path, repo, tiny_model_path):
    """Each configuration is another pass over every sample: the default is what the server
    runs (context.enabled), and `--threads` is applied and recommended with the rest."""
    table = coderd(
        tmp_path, "eval", "--workspace", str(repo), "--samples", "2", "--model",
        str(tiny_model_path), "--threads", "1",
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "| exact |" in table.stdout and "recommended (" in table.stdout
    assert "; 1 thread; " in table.stdout
    lines = table.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|---")) + 1
    rows = [line for line in lines[first:] if line.startswith("|")]
    assert len(rows) == 1 and "| on |" in rows[0], rows
    assert "threads = 1" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workspace", "{tmp}/nowhere"], "not a directory"),
        (["--workspace", "{tmp}/empty"], "no source files"),
        (["--workspace", "{repo}", "--files", "docs/**/*.md"], "no source files matching"),
        (["--workspace", "{repo}", "--model", "{tmp}/missing.gguf"], "no such file"),
        (["--workspace", "{repo}", "--budget", "lots"], "--budget 'lots'"),
        (["--workspace", "{repo}", "--files", "!"], "--files: "),
        (["--workspace", "{repo}", "--threads", "0"], "--threads must be at least 1"),
    ],
)
def test_bad_input_gets_one_line_and_no_traceback(tmp_path, repo, args, message):
    (tmp_path / "empty").mkdir()
    args = [a.format(tmp=tmp_path, repo=repo) for a in args]
    result = coderd(tmp_path, "eval", *args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr, lines
