"""KV states kept across a restart (kv_persist.py) on the tiny synthetic model: the first
request on a document that was hot before evaluates only what changed; another model file,
another text or a damaged file restores nothing, and nothing fails."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama import kv_persist
from coderd.engine.llama.engine import EngineOptions, LlamaEngine

FILES = {
    "os": ("import os\n\n" + "def read(path):\n    return open(path).read()\n" * 4, "\n"),
    "re": (
        "import re\n\n" + "class Parser:\n    def parse(self, t):\n        return t\n" * 4,
        "\n",
    ),
    "io": ("import io\n\n" + "async def fetch(url):\n    return await get(url)\n" * 4, "\n"),
}


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def mine(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == kv_persist.__name__]


def start(path: Path) -> LlamaEngine:
    return LlamaEngine(path, EngineOptions(threads=2))


def complete(engine: LlamaEngine, name: str, typed: str = ""):
    prefix, suffix = FILES[name]
    prompt = FimPrompt(engine.tokenize(prefix + typed), engine.tokenize(suffix))
    return engine.complete(prompt, GenerationLimits(max_tokens=1), CancelToken()).stats


def hot_daemon(path: Path, *names: str) -> int:
    """A daemon that served `names` (the last the hottest), then exited."""
    engine = start(path)
    try:
        for name in names:
            complete(engine, name)
        return engine.save_warm()
    finally:
        engine.close()


def test_the_first_request_after_a_restart_evaluates_only_what_changed(tiny_model_path):
    assert hot_daemon(tiny_model_path, "re", "os") == 2  # one in the slot, one saved aside
    engine = start(tiny_model_path)
    try:
        assert engine.restore_warm() == 2
        back = complete(engine, "os", typed="x")
        assert back.restored_tokens > back.prompt_tokens // 2
        assert back.evaluated_tokens <= 4
        other = complete(engine, "re", typed="y")  # the other hot one too
        assert other.restored_tokens > 0 and other.evaluated_tokens <= 4
        cold = complete(engine, "io")  # another text: nothing to take (beyond the few tokens
        # every file here starts with, `import `, which a cached sequence may share)
        assert cold.restored_tokens == 0 and cold.evaluated_tokens > cold.prompt_tokens - 8
    finally:
        engine.close()


def test_another_model_file_restores_nothing(tiny_model_path, tmp_path, caplog):
    hot_daemon(tiny_model_path, "os")
    copy = tmp_path / "other.gguf"
    shutil.copyfile(tiny_model_path, copy)
    ident = kv_persist.identity(str(copy), "f16")
    # As if the same file had been replaced: the kept file names the old one.
    kept = kv_persist.file_for(kv_persist.identity(str(tiny_model_path), "f16"))
    shutil.copyfile(kept, kv_persist.file_for(ident))
    engine = start(copy)
    try:
        with caplog.at_level(logging.INFO, logger="coderd.engine.llama.kv_persist"):
            assert engine.restore_warm() == 0
        assert [r.message for r in mine(caplog)] == [
            f"warm start: {kv_persist.file_for(ident)} was kept for another model file; "
            "not restored"
        ]
        stats = complete(engine, "os", typed="x")
        assert stats.restored_tokens == 0 and stats.evaluated_tokens == stats.prompt_tokens
    finally:
        engine.close()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip"])
def test_a_damaged_file_is_ignored_with_one_line(tiny_model_path, caplog, damage):
    hot_daemon(tiny_model_path, "re", "os")
    kept = kv_persist.file_for(kv_persist.identity(str(tiny_model_path), "f16"))
    data = bytearray(kept.read_bytes())
    if damage == "truncate":
        data = data[: len(data) - 100]
    elif damage == "garbage":
        data = bytearray(b"\x00" * 64)
    else:  # a flipped byte in the last state's cells
        data[-10] ^= 0xFF
    kept.write_bytes(bytes(data))
    engine = start(tiny_model_path)
    try:
        with caplog.at_level(logging.INFO, logger="coderd.engine.llama.kv_persist"):
            assert engine.restore_warm() == 0
        (line,) = mine(caplog)
        assert "ignored" in line.message and line.levelno == logging.INFO
        stats = complete(engine, "os", typed="x")
        assert stats.restored_tokens == 0 and stats.evaluated_tokens == stats.prompt_tokens
    finally:
        engine.close()


def test_the_bound_keeps_the_hottest(tiny_model_path, monkeypatch):
    engine = start(tiny_model_path)
    try:
        complete(engine, "re")
        complete(engine, "os")
        sizes = [s.size for s in engine.kv.hottest()]
    finally:
        engine.close()
    monkeypatch.setattr(kv_persist, "MAX_BYTES", max(sizes))  # room for one
    assert hot_daemon(tiny_model_path, "re", "os") == 1
    engine = start(tiny_model_path)
    try:
        assert engine.restore_warm() == 1
        assert complete(engine, "os", typed="x").evaluated_tokens <= 4  # the hottest
    finally:
        engine.close()
