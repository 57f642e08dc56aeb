"""Every engine implements the whole Engine protocol (base.py), so the service calls its members
directly: the local one, the remote one and the scripted one."""

from __future__ import annotations

import inspect

import pytest

from coderd.engine.base import CancelToken, Engine, EngineError, FimPrompt, GenerationLimits

MEMBERS = {
    name: value
    for name, value in vars(Engine).items()
    if not name.startswith("_") and inspect.isfunction(value)
}
CAPABILITIES = [name for name, kind in Engine.__annotations__.items() if kind == "bool"]


@pytest.fixture(params=["llama", "remote", "scripted"])
def engine(request, tiny_model_path):
    if request.param == "llama":
        from coderd.engine.llama.engine import EngineOptions, LlamaEngine

        made: Engine = LlamaEngine(tiny_model_path, EngineOptions(threads=2))
    elif request.param == "remote":
        from coderd.engine.remote.client import RemoteEngine, RemoteOptions

        made = RemoteEngine(RemoteOptions(url="http://127.0.0.1:1", api_key_env=""))
    else:
        from coderd.testing.fake_engine import ScriptedEngine

        made = ScriptedEngine()
    yield made
    made.close()


def test_every_member_is_there_with_the_protocols_signature(engine):
    assert isinstance(engine, Engine)
    assert {"complete", "forget_slot", "speed_profile"} <= set(MEMBERS)
    for name, declared in MEMBERS.items():
        ours = inspect.signature(getattr(type(engine), name)).parameters
        theirs = inspect.signature(declared).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()
        ], name
    assert set(CAPABILITIES) == {
        "supports_slots",
        "supports_speculation",
        "measures_speed",
        "prewarms",
    }
    for name in CAPABILITIES:
        assert isinstance(getattr(engine, name), bool), name
    assert engine.last_error is None


def test_what_an_engine_cannot_do_is_harmless(engine):
    engine.forget_slot(3)  # a slot never used: nothing to drop, whatever the engine
    if not engine.measures_speed:
        assert engine.speed_profile() is None
    if not engine.supports_speculation:
        prompt = FimPrompt(engine.tokenize("x = "), engine.tokenize("\n"))
        result = engine.complete(prompt, GenerationLimits(), CancelToken(), speculative=True)
        assert result.cancelled and result.text == ""


def test_the_local_engines_last_error_is_the_failure_it_raised(tiny_model_path):
    from coderd.engine.llama.engine import EngineOptions, LlamaEngine

    engine = LlamaEngine(tiny_model_path, EngineOptions(threads=2))
    prompt = FimPrompt(engine.tokenize("x = "), engine.tokenize("\n"))
    ctx = engine.kv.ctx
    real = ctx.decode
    ctx.decode = lambda *args, **kwargs: -1  # llama.cpp failing
    with pytest.raises(EngineError, match="llama_decode failed") as raised:
        engine.complete(prompt, GenerationLimits(max_tokens=2), CancelToken())
    assert engine.last_error is raised.value
    ctx.decode = real
    assert engine.complete(prompt, GenerationLimits(max_tokens=2), CancelToken()).text is not None
    assert engine.last_error is None
    engine.close()
