"""CompletionService on its own, with the scripted engine: its worker, supersession, the
adaptive debounce, per-session settings and the one forget of per-document state."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.testing.fake_engine import Rule, ScriptedEngine

KEY = "file:///a.py"


def options_with(**completion) -> dict[str, object]:
    return {"completion": {"latency_target_ms": 0, **completion}, "context": {"enabled": False}}


def settings_with(**completion):
    return load_settings(
        config_path=Path("/nonexistent"), environ={}, init_options=options_with(**completion)
    ).settings


@pytest.fixture
def running(start_service):
    return lambda engine, **completion: start_service(engine, options_with(**completion))


def snap(text: str, key: str = KEY, session: str = "") -> DocumentSnapshot:
    return DocumentSnapshot(key, text, len(text), "python", session=session)


def burst(service: CompletionService, keys: int, gap_s: float) -> list:
    """Keys `gap_s` apart, a request after each (none awaited), as an editor sends them."""
    tickets = []
    for k in range(keys):
        service.edited(KEY)
        tickets.append(service.submit(snap("x = " + "a" * (k + 1))))
        time.sleep(gap_s)
    return [t.future.result(timeout=10) for t in tickets]


def warm(service: CompletionService) -> None:
    """One request decoded, so the service knows what a decode costs."""
    service.edited(KEY)
    assert service.submit(snap("x = ")).future.result(timeout=10).status == "ok"


def test_a_fast_engine_decodes_every_key_at_once(running):
    engine = ScriptedEngine(rules=[Rule("", ("1",))])
    service = running(engine, speculate=False)
    warm(service)
    outcomes = burst(service, keys=6, gap_s=0.05)
    assert sum(o.status == "ok" for o in outcomes) >= 5  # none held back for the next key
    assert engine.decodes >= 6


def test_a_slow_engine_waits_for_the_next_key_before_decoding(running):
    engine = ScriptedEngine(rules=[Rule("", ("1",))], decode_s=0.4)
    service = running(engine, speculate=False)
    warm(service)  # a decode costs 0.4 s here, far more than the 50 ms between keys
    before = engine.decodes
    outcomes = burst(service, keys=6, gap_s=0.05)
    # The middle requests were superseded while waiting: no decode started for them (one may
    # start on a loaded machine that stalls this loop past the wait); the last one decodes.
    assert outcomes[-1].status == "ok"
    assert engine.decodes - before <= 3
    assert all(o.status == "cancelled" for o in outcomes[1:-1])


def test_without_the_debounce_the_slow_engine_starts_every_decode(running):
    engine = ScriptedEngine(rules=[Rule("", ("1",))], decode_s=0.4)
    service = running(engine, speculate=False, debounce_ms_max=0)
    warm(service)
    before = engine.decodes
    burst(service, keys=6, gap_s=0.05)
    assert engine.decodes - before >= 5  # the comparison the test above relies on


def test_a_newer_request_supersedes_the_older(running):
    engine = ScriptedEngine(rules=[Rule("", ("1",))], delay_s=0.5)
    service = running(engine, speculate=False)
    first = service.submit(snap("x = 1"))
    second = service.submit(snap("x = 12"))
    assert first.future.result(timeout=10).status == "cancelled"
    assert second.future.result(timeout=10).text == "1"


def test_forget_drops_every_holder_of_the_document(running):
    service = running(ScriptedEngine(rules=[Rule("", ("1",))]), speculate=False)
    for n in range(20):
        key = f"file:///doc{n}.py"
        service.edited(key)
        assert service.submit(snap("x = ", key=key)).future.result(timeout=10).status == "ok"
    counts = service.document_counts()
    assert counts["cache"] == counts["debounce"] == counts["prompt"] == 20
    for n in range(20):
        service.forget(f"file:///doc{n}.py")
    assert set(service.document_counts().values()) == {0}


def test_sessions_use_their_own_completion_settings(running):
    engine = ScriptedEngine(rules=[Rule("", ("abcdefgh",))])
    service = running(engine, speculate=False, max_tokens=8)
    service.attach("s1", None, settings_with(max_tokens=3, speculate=False))
    service.attach("s2", None, None)  # the daemon's own settings
    one = service.submit(snap("x = ", key="s1|file:///a.py", session="s1"))
    two = service.submit(snap("x = ", key="s2|file:///a.py", session="s2"))
    assert one.future.result(timeout=10).text == "abc"
    assert two.future.result(timeout=10).text == "abcdefgh"
    assert service.documents.keys_of("s1") == {"s1|file:///a.py"}
    service.detach("s1")
    assert service.documents.keys_of("s1") == set()  # its documents went with the session
    assert service.documents.keys_of("s2") == {"s2|file:///a.py"}


def test_stats_say_where_the_time_outside_the_engine_went(running) -> None:
    # #12's overhead outside the engine, split: a request that waits behind another one's
    # decode shows that wait as queued_ms; building the prompt and finishing have their own.
    engine = ScriptedEngine(rules=[Rule("", ("y",))], delay_s=0.2)
    service = running(engine, speculate=False)
    first = service.submit(snap("a = ", key="file:///one.py"))
    second = service.submit(snap("b = ", key="file:///two.py"))
    one, two = first.future.result(timeout=10), second.future.result(timeout=10)
    assert one.status == two.status == "ok"
    # The worker takes the newest request first: the other one waited for its engine.
    ran_first, waited = sorted((one.stats, two.stats), key=lambda s: s.queued_ms)
    assert waited.queued_ms >= ran_first.total_ms
    assert ran_first.queued_ms < ran_first.total_ms
    for stats in (one.stats, two.stats):
        assert stats.assemble_ms > 0 and stats.finish_ms > 0
        assert "queued_ms" in stats.as_dict()  # coderd/status shows them
