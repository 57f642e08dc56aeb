"""The trace replay harness (bench/trace_replay.py) against the real server with the scripted engine.

No model and no timing assertions: the checks are on what was counted. A 5-key trace retypes
`x + 1` at the end of a line; the scripted suggestion after `return x` is exactly what follows,
so every later key types through it and must be answered from the completion cache.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.replay_stats import KeyResult, classify, summarize  # noqa: E402
from bench.trace_replay import Editor, ServerSpec, replay, scratch_env, typing_through  # noqa: E402
from bench.traces import Segment, Trace  # noqa: E402

SOURCE = "def inc(x):\n    return x + 1\n"


def five_keys(gap_ms: int = 0) -> Trace:
    return Trace(name="t", file="pkg/mod.py", segments=[Segment(1, 11, "x + 1", [gap_ms] * 5)])


def workspace(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text(SOURCE)
    return root, root / "pkg" / "mod.py"


async def start(tmp_path: Path, root: Path, script: dict) -> Editor:
    env = scratch_env(tmp_path / "home", CODERD_FAKE_SCRIPT=json.dumps(script))
    spec = ServerSpec([sys.executable, str(ROOT / "tests" / "fake_server.py")], env)
    editor = await Editor(spec, root).start()
    status = await editor.wait_ready(30)
    assert status["state"] == "ready"
    return editor


async def test_sequential_replay_counts_keys_and_cache_hits(tmp_path):
    root, path = workspace(tmp_path)
    editor = await start(tmp_path, root, {"rules": [{"after": "return x", "reply": " + 1  # inc"}]})
    try:
        results = await replay(editor, five_keys(), SOURCE, path.as_uri())
    finally:
        await editor.close()
    assert [(r.segment, r.index) for r in results] == [(0, i) for i in range(5)]
    assert [r.outcome for r in results] == ["shown"] * 5
    # Typing through " + 1  # inc": each key leaves the rest of it on screen.
    assert [r.text for r in results] == [
        " + 1  # inc",
        "+ 1  # inc",
        " 1  # inc",
        "1  # inc",
        "  # inc",
    ]
    assert [r.stats["from_cache"] for r in results] == [False, True, True, True, True]
    assert results[0].stats["evaluated"] > 0 and results[0].stats["generated"] > 0
    summary = summarize("fake", 5, results)
    assert summary["requests"] == 5 and summary["shown"] == 4  # the first request is excluded
    assert summary["answered_current"] == 4 and summary["from_cache"] == 4
    assert summary["first_ms"] is not None and summary["p50_ms"] <= summary["p95_ms"]
    assert summary["evaluated_per_model_call"] is None  # no model call after the first


async def test_typing_through_types_the_suggestion(tmp_path):
    root, path = workspace(tmp_path)
    editor = await start(tmp_path, root, {"rules": [{"after": "return x", "reply": "*2 + 7"}]})
    try:
        results = await typing_through(editor, five_keys(), SOURCE, path.as_uri())
        document = await editor.client.protocol.send_request_async(
            "coderd/document", {"uri": path.as_uri()}
        )
    finally:
        await editor.close()
    # Key 1 types the file's "x"; keys 2-5 type "*2 +" from the suggestion, each a cache hit.
    assert [r.text for r in results] == ["*2 + 7", "2 + 7", " + 7", "+ 7", " 7"]
    assert [r.stats["from_cache"] for r in results] == [False, True, True, True, True]
    assert document.text == SOURCE  # the line is put back after the segment


async def test_gaps_cancel_stale_requests(tmp_path):
    root, path = workspace(tmp_path)
    # Every request takes 0.4 s; keys come every 50 ms: only the last one can be answered in time.
    editor = await start(tmp_path, root, {"delay_s": 0.4, "rules": [{"after": "", "reply": "zz"}]})
    try:
        results = await replay(editor, five_keys(gap_ms=50), SOURCE, path.as_uri(), gaps=True)
    finally:
        await editor.close()
    assert len(results) == 5
    assert results[-1].outcome == "shown" and results[-1].text == "zz"
    assert all(r.outcome in ("cancelled", "stale") for r in results[:-1]), [
        r.outcome for r in results
    ]
    assert summarize("fake", 5, results)["answered_current"] == 1


def test_classify_marks_answers_after_the_next_key_stale():
    results = [
        KeyResult(0, 0, 0.0, 0.0, 0.5, "shown"),
        KeyResult(0, 1, 0.3, 0.3, 0.4, "shown"),
        KeyResult(1, 2, 1.0, 1.0, 2.0, "empty"),
    ]
    classify(results)
    assert [r.outcome for r in results] == ["stale", "shown", "empty"]
