"""Prewarms with the scripted engine: the prompt evaluated with no decode, the lowest
priority, cancelled by any request, one per session; and when an edit is a move worth one."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from coderd.completion.prewarm import Prewarms
from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.engine.base import CancelToken, Completion, FimPrompt, GenerationLimits
from coderd.testing.fake_engine import Rule, ScriptedEngine


@dataclass
class Recording(ScriptedEngine):
    """The scripted engine, also recording each call's max_tokens (0: a prewarm)."""

    max_tokens: list[int] = field(default_factory=list)

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        self.max_tokens.append(limits.max_tokens)
        return super().complete(prompt, limits, cancel, speculative, slot)


def settings_options() -> dict[str, object]:
    return {
        "completion": {"latency_target_ms": 0, "speculate": False},
        "context": {"enabled": False},
    }


@pytest.fixture
def running(start_service):
    return lambda engine: start_service(engine, settings_options())


def snap(text: str, key: str = "file:///a.py", session: str = "") -> DocumentSnapshot:
    return DocumentSnapshot(key, text, len(text), "python", session=session)


def wait_for_calls(engine: ScriptedEngine, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(engine.calls) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(engine.calls) >= n


def test_a_prewarm_evaluates_the_prompt_and_decodes_nothing(running):
    engine = Recording(rules=[Rule("", ("1",))])
    service = running(engine)
    outcome = service.prewarm(snap("x = 1\ny = ")).future.result(timeout=10)
    assert outcome.status == "ok" and outcome.stats is not None and outcome.stats.prewarm
    assert outcome.suggestions == () and outcome.text == ""
    assert engine.max_tokens == [0] and engine.calls[0][0].endswith("y = ")
    assert service.status()["prewarm"]["done"] == 1
    assert service.last_stats is None  # not a request: `last` stays the last request's
    assert service.cache.lookup("file:///a.py", "x = 1\ny = ", 10) is None


@dataclass
class Billed(Recording):
    """An engine whose prewarm would be a paid request (the hosted API's remote engine)."""

    prewarms: bool = False


def test_an_engine_that_does_not_prewarm_is_sent_no_prewarm_and_still_serves_requests(
    running,
):
    engine = Billed(rules=[Rule("", ("1",))])
    service = running(engine)
    outcome = service.prewarm(snap("x = 1\ny = ")).future.result(timeout=10)
    assert outcome.status == "skipped" and engine.max_tokens == []  # nothing sent
    assert service.status()["prewarm"]["skipped"] == 1
    answer = service.submit(snap("x = 1\ny = ")).future.result(timeout=10)
    assert answer.status == "ok" and engine.max_tokens == [service.settings.completion.max_tokens]


def test_a_request_cancels_the_running_prewarm(running):
    engine = Recording(rules=[Rule("", ("1",))], delay_s=5.0)
    service = running(engine)
    warming = service.prewarm(snap("b = ", key="file:///b.py"))
    wait_for_calls(engine, 1)  # the prewarm is evaluating its prompt
    engine.delay_s = 0.0
    request = service.submit(snap("a = "))
    assert warming.future.result(timeout=10).status == "cancelled"
    assert warming.cancel.reason == "a new request"
    # Its chunk is of no use to a request in another document: stopped inside it too.
    assert warming.cancel.interrupting
    assert request.future.result(timeout=10).text == "1"
    assert engine.max_tokens == [0, engine.max_tokens[1]] and engine.max_tokens[1] > 0
    assert service.status()["prewarm"]["cancelled"] == 1


def test_a_request_in_the_prewarmed_document_lets_its_chunk_finish(running):
    engine = Recording(rules=[Rule("", ("1",))], delay_s=5.0)
    service = running(engine)
    warming = service.prewarm(snap("a = "))
    wait_for_calls(engine, 1)
    engine.delay_s = 0.0
    service.submit(snap("a = 1"))
    assert warming.future.result(timeout=10).status == "cancelled"
    assert not warming.cancel.interrupting  # the chunk it evaluates is the request's too


def test_prewarms_wait_until_no_request_is_queued(running):
    engine = Recording(rules=[Rule("", ("1",))], delay_s=0.3)
    service = running(engine)
    first = service.submit(snap("a = ", key="file:///a.py"))
    wait_for_calls(engine, 1)
    second = service.submit(snap("c = ", key="file:///c.py"))
    warming = service.prewarm(snap("b = ", key="file:///b.py"))  # newer, yet after the request
    for ticket in (first, second, warming):
        assert ticket.future.result(timeout=10).status == "ok"
    assert [prefix for prefix, _ in engine.calls] == ["a = ", "c = ", "b = "]
    assert engine.max_tokens[-1] == 0


def test_a_request_for_the_document_drops_its_queued_prewarm(running):
    engine = Recording(rules=[Rule("", ("1",))], delay_s=0.3)
    service = running(engine)
    busy = service.submit(snap("other = ", key="file:///o.py"))
    wait_for_calls(engine, 1)
    warming = service.prewarm(snap("a = "))
    request = service.submit(snap("a = 1"))  # evaluates the same prompt: the prewarm goes
    assert warming.future.result(timeout=10).status == "cancelled"
    assert busy.future.result(timeout=10).status == request.future.result(timeout=10).status
    assert "a = " not in [prefix for prefix, _ in engine.calls] and 0 not in engine.max_tokens


def test_a_request_answered_from_the_cache_leaves_the_documents_prewarm(running):
    """Asked again in place, the completion cache answers: the engine is not needed, and the
    document's prewarm (a new context block evaluated in the background) must go on."""
    engine = Recording(rules=[Rule("", ("1",))], delay_s=0.3)
    service = running(engine)
    assert service.submit(snap("a = ")).future.result(timeout=10).status == "ok"
    busy = service.submit(snap("other = ", key="file:///o.py"))
    wait_for_calls(engine, 2)
    warming = service.prewarm(snap("a = "), switch=True)
    again = service.submit(snap("a = "))
    assert again.future.result(timeout=10).stats.stop_reason == "cache"
    assert busy.future.result(timeout=10).status == "ok"
    assert warming.future.result(timeout=10).status == "ok"
    assert engine.max_tokens[-1] == 0  # it ran


def test_a_request_leaves_the_documents_queued_context_switch(running):
    """A request keeps the block in the cache: only the switch's prewarm evaluates the new
    one, so a request does not cancel it (the open's or a jump's, it does: above)."""
    engine = Recording(rules=[Rule("", ("1",))], delay_s=0.3)
    service = running(engine)
    busy = service.submit(snap("other = ", key="file:///o.py"))
    wait_for_calls(engine, 1)
    switch = service.prewarm(snap("a = "), switch=True)
    request = service.submit(snap("a = 1"))
    assert busy.future.result(timeout=10).status == request.future.result(timeout=10).status
    assert switch.future.result(timeout=10).status == "ok"
    assert engine.max_tokens[-1] == 0  # it ran, after the request


def test_one_prewarm_per_session(running):
    engine = Recording(rules=[Rule("", ("1",))], delay_s=0.3)
    service = running(engine)
    busy = service.submit(snap("other = ", key="file:///o.py"))
    wait_for_calls(engine, 1)
    tabs = [service.prewarm(snap(f"t{n} = ", key=f"file:///t{n}.py")) for n in range(5)]
    other = service.prewarm(snap("s = ", key="s2|file:///s.py", session="s2"))
    assert busy.future.result(timeout=10).status == "ok"
    outcomes = [t.future.result(timeout=10).status for t in tabs]
    assert outcomes == ["cancelled"] * 4 + ["ok"]  # the last tab restored is warmed
    assert other.future.result(timeout=10).status == "ok"  # another session's is its own


def test_which_edits_are_moves():
    moves = Prewarms()
    assert moves.moved("", "a", None, opened=True) == "opened"
    assert moves.moved("", "a", 10, opened=False) is None  # the first edit in it
    assert moves.moved("", "a", 10, opened=False) is None  # typing on the line
    assert moves.moved("", "a", 11, opened=False) is None  # Enter
    assert moves.moved("", "a", 30, opened=False) == "jump"
    assert moves.moved("", "b", 30, opened=False) == "focus"
    assert moves.moved("s2", "c", 1, opened=False) == "focus"  # sessions move on their own
    assert moves.moved("", "b", 31, opened=False) is None
    moves.requested("", "a")  # a request in another document is a focus too
    assert moves.moved("", "b", 31, opened=False) == "focus"


@dataclass
class SlowSpeculation(ScriptedEngine):
    """Speculative runs take `speculation_s` (as a CPU takes seconds) unless cancelled; each
    says how it ended in `speculations`."""

    speculation_s: float = 5.0
    speculations: list[str] = field(default_factory=list)

    def complete(
        self,
        prompt: FimPrompt,
        limits: GenerationLimits,
        cancel: CancelToken,
        speculative: bool = False,
        slot: int = 0,
    ) -> Completion:
        if speculative:
            self.speculations.append("running")
            ended = "cancelled" if cancel.wait(self.speculation_s) else "finished"
            self.speculations[-1] = ended
        return super().complete(prompt, limits, cancel, speculative, slot)


def speculating(engine: ScriptedEngine) -> CompletionService:
    """A started service that speculates after its answers (no context, no latency target)."""
    options = {"completion": {"latency_target_ms": 0, "speculate": True}}
    options["context"] = {"enabled": False}
    loaded = load_settings(config_path=Path("/nonexistent"), environ={}, init_options=options)
    service = CompletionService(loaded.settings, lambda _settings: engine)
    service.start()
    return service


def speculation_running(service: CompletionService, engine) -> None:
    """A request answered "1 + 2", and the speculation on accepting it has started."""
    service.model_ready.result(timeout=10)
    assert service.submit(snap("x = ")).future.result(timeout=10).text == "1 + 2"
    deadline = time.monotonic() + 10
    while not engine.speculations and time.monotonic() < deadline:
        time.sleep(0.005)
    assert engine.speculations == ["running"]


def test_a_move_stops_the_speculation_for_where_the_user_was():
    """The user opened another file (or jumped) while the engine speculated on the last
    suggestion: the prompt there goes first, the speculation goes."""
    engine = SlowSpeculation(rules=[Rule("", ("1 + 2",))])
    service = speculating(engine)
    try:
        speculation_running(service, engine)
        warming = service.prewarm(snap("b = ", key="file:///b.py"), user_moved=True)
        assert warming.future.result(timeout=10).status == "ok"
        assert engine.speculations == ["cancelled"]
    finally:
        service.shutdown()
        service.join(5)


def test_no_speculation_before_the_users_rhythm_is_known():
    """After the open and one key nothing tells a pause from the next key: speculating then
    cost the second key of an open a 16-token chunk (0.7 s, session 9). Once keys came at a
    rhythm, the speculation runs when the user pauses."""
    engine = SlowSpeculation(rules=[Rule("", ("1 + 2",))], speculation_s=0.0)
    service = speculating(engine)
    try:
        service.model_ready.result(timeout=10)
        service.edited("file:///a.py")  # didOpen
        service.edited("file:///a.py")  # the first key
        assert service.submit(snap("x = ")).future.result(timeout=10).text == "1 + 2"
        time.sleep(0.3)
        assert engine.speculations == []
        for typed in ("x = 1", "x = 12"):  # keys 50 ms apart: a rhythm
            time.sleep(0.05)
            service.edited("file:///a.py")
            service.submit(snap(typed)).future.result(timeout=10)
        deadline = time.monotonic() + 10
        while not engine.speculations and time.monotonic() < deadline:
            time.sleep(0.005)
        assert engine.speculations[:1] == ["finished"]
    finally:
        service.shutdown()
        service.join(5)


def test_shutdown_stops_the_speculation_running():
    """`coderd complete` exits right after its answer: a speculation left decoding kept
    llama.cpp busy in the worker while the process exited (a SIGSEGV at exit, now and then)."""
    engine = SlowSpeculation(rules=[Rule("", ("1 + 2",))], speculation_s=30.0)
    service = speculating(engine)
    try:
        speculation_running(service, engine)
    finally:
        service.shutdown()
    service.join(10)
    assert engine.speculations == ["cancelled"]  # join(10) would have come back first
