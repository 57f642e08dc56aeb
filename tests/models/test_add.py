"""`coderd models add`, `use`, `rm`, `info`, `list` and `doctor` on real (tiny) GGUF files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model_helpers import cli, cli_subprocess


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from coderd.testing.synthetic import cached_model

    cache = tmp_path_factory.mktemp("tiny-models")
    return {
        "fim": cached_model("tiny", cache_dir=cache),
        # DeepSeek name and pre-tokenizer, but the FIM markers renamed away.
        "no_fim": cached_model("tiny", cache_dir=cache, fim=False),
    }


def manifest(home: Path) -> dict:
    return json.loads((home / "data" / "coderd" / "models" / "manifest.json").read_text())


def test_add_copies_a_valid_gguf_and_makes_it_the_default(home, models, capsys):
    src = home / "usb" / "deepseek-coder-1.3b-base.Q4_K_M.gguf"
    src.parent.mkdir()
    src.write_bytes(models["fim"].read_bytes())
    assert cli("models", "add", str(src)) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    key = "deepseek-coder-1.3b-base:Q4_K_M"  # recognised from the catalogue's file name
    assert f"added {key}" in out and "fill-in-the-middle" in out
    copy = home / "data" / "coderd" / "models" / src.name
    assert copy.read_bytes() == src.read_bytes()
    m = manifest(home)
    assert (
        m["default"] == key and m["models"][key]["linked"] is False and m["models"][key]["sha256"]
    )

    from coderd.config.settings import load_settings
    from coderd.models.loader import resolve_model_path

    assert resolve_model_path(load_settings().settings) == copy

    assert cli("models", "info", key) == 0
    info = capsys.readouterr().out
    assert "installed:" in info and "KV 196,608 bytes per position" in info
    assert cli("models", "rm", key) == 0
    assert not copy.exists() and src.exists()


def test_add_link_keeps_the_file_where_it_is(home, models, capsys):
    assert cli("models", "add", str(models["fim"]), "--link", "--name", "mine") == 0, (
        capsys.readouterr().err
    )
    m = manifest(home)
    assert m["models"]["mine:local"] == {
        **m["models"]["mine:local"],
        "linked": True,
        "path": str(models["fim"]),
    }
    assert not list((home / "data" / "coderd" / "models").glob("*.gguf"))
    assert cli("models", "use", "mine") == 0
    assert cli("models", "rm", "mine") == 0
    assert models["fim"].exists()  # a linked file is never deleted


def test_add_rejects_a_truncated_file(home, models, capsys):
    cut = home / "cut.gguf"
    data = models["fim"].read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the synthetic-vocabulary model is under 5 MB
    assert cli("models", "add", str(cut)) == 1
    err = capsys.readouterr().err
    assert "not added:" in err and "is truncated" in err and "interrupted download" in err


def test_add_rejects_a_truncated_header(home, models, capsys):
    cut = home / "head.gguf"
    cut.write_bytes(models["fim"].read_bytes()[:100])
    assert cli("models", "add", str(cut)) == 1
    assert "truncated: its header ends early" in capsys.readouterr().err


def test_add_rejects_a_non_gguf_file(home, capsys):
    bogus = home / "model.gguf"
    bogus.write_bytes(b"<html>404 Not Found</html>")
    assert cli("models", "add", str(bogus)) == 1
    assert "is not a GGUF file (it starts with b'<htm'" in capsys.readouterr().err


def test_add_rejects_a_file_that_claims_fim_without_markers(home, models, capsys):
    assert cli("models", "add", str(models["no_fim"])) == 1
    err = capsys.readouterr().err
    assert "claims fill-in-the-middle (its pre-tokenizer is 'deepseek-coder')" in err
    assert "no FIM markers" in err
    assert not (home / "data" / "coderd" / "models" / "manifest.json").exists()


def test_add_warns_about_instruct_checkpoints(home, models, capsys):
    src = home / "deepseek-coder-1.3b-instruct.Q4_K_M.gguf"
    src.write_bytes(models["fim"].read_bytes())
    assert cli("models", "add", str(src), "--link") == 0
    assert (
        "instruct checkpoints are chat models; the base models are the FIM models"
        in capsys.readouterr().out
    )


def test_list_and_doctor_show_the_recommendation(home, models):
    listing = cli_subprocess("models", "list")
    assert listing.returncode == 0, listing.stderr
    assert "recommended for this machine: deepseek-coder-1.3b-base:" in listing.stdout
    assert "FITS" in listing.stdout and "gemma-3-270m:Q4_K_M" in listing.stdout
    doctor = cli_subprocess("doctor", "--model", str(models["fim"]))
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "recommended model for this machine: deepseek-coder-1.3b-base:" in doctor.stdout
    assert "CPU features:" in doctor.stdout and "run plan: fits" in doctor.stdout
    report = json.loads(cli_subprocess("doctor", "--json", "--model", str(models["fim"])).stdout)
    assert report["fit"]["fits"] and report["recommendation"]["model"]
    assert isinstance(report["build"]["gpu_backends"], list)


def test_loading_refuses_a_model_that_cannot_fit(home, models, monkeypatch):
    from coderd.config.settings import load_settings
    from coderd.engine.base import EngineError
    from coderd.models.loader import load_engine

    monkeypatch.setenv("CODERD_MODEL_PATH", str(models["fim"]))
    monkeypatch.setattr("coderd.system.hardware.available_memory_bytes", lambda: 100 * 2**20)
    with pytest.raises(EngineError, match="will not fit this machine: needs about"):
        load_engine(load_settings().settings)
