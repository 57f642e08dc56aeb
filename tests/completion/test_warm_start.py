"""Warm across restarts (completion/warm.py): a daemon's completion cache and hottest KV states
are back after a restart where the model and the text still match, and never hurt otherwise."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from coderd.completion import warm
from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.testing.fake_engine import Rule, ScriptedEngine

URI = "file:///work/app.py"
TEXT = "def total(items):\n    return "


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "coderd" / "warm"


def settings(**environ: str):
    return load_settings(
        config_path=Path("/nonexistent"),
        environ={"CODERD_COMPLETION_LATENCY_TARGET_MS": "0", **environ},
        init_options={"completion": {"speculate": False}, "context": {"enabled": False}},
    ).settings


def daemon(engine, keep_warm: bool = True, **environ: str) -> CompletionService:
    service = CompletionService(settings(**environ), lambda _s: engine, keep_warm=keep_warm)
    service.start()
    service.model_ready.result(timeout=60)
    return service


def stop(service: CompletionService) -> None:
    service.shutdown()
    service.join(30)


def ask(service: CompletionService, key: str, text: str = TEXT):
    return service.submit(DocumentSnapshot(key, text, len(text))).future.result(timeout=60)


def scripted() -> ScriptedEngine:
    return ScriptedEngine(rules=[Rule("", ("sum(items)",))])


def served_then_stopped(key: str = "s1|" + URI, keep_warm: bool = True) -> None:
    first = daemon(scripted(), keep_warm)
    assert ask(first, key).text == "sum(items)"
    stop(first)


def test_a_suggestion_is_answered_from_the_cache_after_a_restart():
    served_then_stopped()
    engine = scripted()
    second = daemon(engine)
    try:
        again = ask(second, "s2|" + URI)  # a new daemon numbers its sessions afresh
        assert again.stats.stop_reason == "cache" and again.text == "sum(items)"
        typed = ask(second, "s2|" + URI, TEXT + "su")
        assert typed.stats.stop_reason == "cache" and typed.text == "m(items)"
        assert not engine.calls
        changed = ask(second, "s2|" + URI, "def total(values):\n    return ")
        assert changed.stats.stop_reason == "stop" and len(engine.calls) == 1
    finally:
        stop(second)


def test_another_model_or_a_cold_service_restores_nothing(cache_home):
    served_then_stopped(keep_warm=False)  # tests and the CLI: nothing kept
    assert not cache_home.exists()
    served_then_stopped()
    other = scripted()
    other.info = replace(other.info, name="another-model")
    # Even under the other model's file name (a model file replaced in place): its identity.
    (kept,) = cache_home.glob("completions-*.json")
    kept.rename(warm.cache_file(warm.model_identity(other)))
    second = daemon(other)
    try:
        assert ask(second, "s1|" + URI).stats.stop_reason == "stop"
    finally:
        stop(second)


@pytest.mark.parametrize("content", ["", "{not json", '{"identity": 3}', '{"entries": 1}'])
def test_a_damaged_file_is_ignored_with_one_line(cache_home, caplog, content):
    served_then_stopped()
    (kept,) = cache_home.glob("completions-*.json")
    kept.write_text(content)
    with caplog.at_level(logging.INFO, logger=warm.__name__):
        second = daemon(scripted())
    try:
        # restore()'s lines: a service of an earlier test may still be saving as it ends.
        lines = [r for r in caplog.records if r.name == warm.__name__ and r.funcName == "restore"]
        assert len(lines) == 1 and lines[0].levelno == logging.INFO
        assert ask(second, "s1|" + URI).stats.stop_reason == "stop"
    finally:
        stop(second)


def test_secret_looking_files_are_not_written(cache_home):
    served_then_stopped(key="s1|file:///work/.env")
    (kept,) = cache_home.glob("completions-*.json")
    assert ".env" not in kept.read_text()


def test_the_real_engine_comes_back_warm(tiny_model_path):
    from coderd.models.loader import load_engine

    environ = {"CODERD_MODEL_PATH": str(tiny_model_path)}
    text = "import os\n\n" + "def read(path):\n    return open(path).read()\n" * 6
    first = CompletionService(settings(**environ), load_engine, keep_warm=True)
    first.start()
    try:
        assert ask(first, "s1|" + URI, text).stats.evaluated_tokens > 20
    finally:
        stop(first)
    second = CompletionService(settings(**environ), load_engine, keep_warm=True)
    second.start()
    try:
        stats = ask(second, "s1|" + URI, text + "x").stats  # typed on: not a cache hit
        assert stats.restored_tokens > stats.prompt_tokens // 2
        assert stats.evaluated_tokens <= 4
    finally:
        stop(second)
