"""What `coderd models add` and the engine refuse, each in one line and at once: files
llama.cpp's loader refuses (a tensor missing, zero attention heads), special files, unreadable
files; and the structure check keeps no weights in memory."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from gguf_rewrite import rewrite, widen_ffn
from model_helpers import cli


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    from coderd.testing.synthetic import cached_model

    return cached_model("tiny", cache_dir=tmp_path_factory.mktemp("checks"))


def one_line(err: str) -> str:
    """stderr of a failed command: exactly one line, no traceback."""
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("coderd: "), err
    return err


def add_in_a_process(path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`coderd models add PATH` as a real process: a check that opens a FIFO blocks it for good,
    so the time bound is part of the test."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from lsp.entry import main; sys.exit(main())"]
        + ["models", "add", "--link", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (
            {"drop": frozenset({"blk.1.ffn_down.weight"})},
            "tensor 'blk.1.ffn_down.weight' not found",
        ),
        (
            {"values": {"llama.attention.head_count": 0}},
            "tensor 'blk.0.attn_q.weight' has wrong shape; expected 64, 0, got 64, 64, 1, 1",
        ),
    ],
    ids=["missing-tensor", "zero-heads"],
)
def test_add_refuses_what_llama_cpp_refuses(home, good, broken, reason, capsys):
    bad = rewrite(good, home / "broken.gguf", **broken)
    assert cli("models", "add", str(bad)) == 1
    err = one_line(capsys.readouterr().err)
    assert f"not added: {bad}: llama.cpp refuses it: check_tensor_dims: {reason}" in err
    assert not (home / "data" / "coderd" / "models" / "manifest.json").exists()


def test_an_unchanged_rewrite_is_accepted(home, good, capsys):
    # The rewrite itself breaks nothing: what the tests above refuse is what they changed.
    assert cli("models", "add", "--link", str(rewrite(good, home / "same.gguf"))) == 0, (
        capsys.readouterr().err
    )


@pytest.fixture
def specials(home):
    fifo = home / "fifo.gguf"
    os.mkfifo(fifo)
    folder = home / "folder.gguf"
    folder.mkdir()
    short = Path(tempfile.mkdtemp(prefix="cdr-sock-"))  # a socket's path fits in 107 bytes
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(short / "model.gguf"))
    yield {
        "a FIFO": fifo,
        "a folder": folder,
        "a character device": Path("/dev/zero"),
        "a socket": short / "model.gguf",
    }
    sock.close()
    (short / "model.gguf").unlink()
    short.rmdir()


def test_special_files_are_refused_by_name(home, specials):
    for kind, path in specials.items():
        done = add_in_a_process(path)
        assert done.returncode == 1
        assert one_line(done.stderr) == f"coderd: not added: {path} is {kind}, not a model file\n"


@pytest.mark.parametrize("refused", ["open", "stat"])
def test_an_unreadable_file_is_one_line(home, good, refused, monkeypatch, capsys):
    """ "open": the file is mode 000; "stat": a folder on its way cannot be searched (stat
    fails with EACCES: `Path.is_file()` raised it, a traceback)."""
    locked = home / "locked"
    locked.mkdir()
    src = locked / "model.gguf"
    src.write_bytes(good.read_bytes())
    if os.geteuid() != 0:
        (src if refused == "open" else locked).chmod(0)
    else:  # root reads and searches whatever the mode: refuse as the kernel would for a user
        for module, name in ((os, refused), *([(io, "open")] if refused == "open" else [])):
            monkeypatch.setattr(module, name, refusing(getattr(module, name), src))
    try:
        assert cli("models", "add", str(src)) == 1
    finally:
        locked.chmod(0o755)
    err = one_line(capsys.readouterr().err)
    assert err == f"coderd: not added: cannot read the model file {src}: permission denied\n"


def refusing(real, path: Path):
    def call(target, *args, **kwargs):
        if str(target) == str(path):
            raise PermissionError(13, "Permission denied", str(target))
        return real(target, *args, **kwargs)

    return call


def test_the_engine_refuses_a_fifo_at_once(home, monkeypatch):
    """A FIFO configured as the model: an EngineError at once, never a load that waits for a
    writer (the state would stay "loading" and `coderd complete` would hang)."""
    from coderd.config.settings import load_settings
    from coderd.engine.base import EngineError
    from coderd.models.loader import load_engine

    fifo = home / "model.gguf"
    os.mkfifo(fifo)
    monkeypatch.setenv("CODERD_MODEL_PATH", str(fifo))
    outcome: list[BaseException | object] = []

    def attempt() -> None:
        try:
            outcome.append(load_engine(load_settings().settings))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # release the blocked reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("loading a FIFO as the model blocked")
    assert isinstance(outcome[0], EngineError), outcome
    assert f"{fifo} is a FIFO, not a model file" in str(outcome[0])


def test_the_structure_check_keeps_no_weights_in_memory(good, tmp_path):
    """The check's peak RSS does not grow with the weights: the same model with 64 MiB more of
    them costs it under 8 MiB more (a real load, mmap'd or read, costs the 64 MiB)."""
    from coderd.models.structure import check_structure

    heavy = widen_ffn(good, tmp_path / "heavy.gguf", n_ff=45_056)
    assert heavy.stat().st_size - good.stat().st_size > 64 * 2**20
    light_peak = check_structure(good).peak_rss_kib
    heavy_peak = check_structure(heavy).peak_rss_kib
    assert heavy_peak - light_peak < 8 * 1024, (light_peak, heavy_peak)
