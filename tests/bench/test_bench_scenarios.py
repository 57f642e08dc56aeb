"""Issue #12's typing scenarios (bench/scenarios.py, bench/scenario_bench.py), smoke-tested.

coderd's side runs against the real server with the scripted engine, whose reply
`{prefix_tail}` shows which text each request saw; llama-server's side against a stub /infill
that records the bodies. No model and no timing assertions.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

from bench import scenario_bench  # noqa: E402
from bench import scenarios as sc  # noqa: E402
from bench.replay_stats import KeyResult  # noqa: E402
from bench.trace_replay import Editor, ServerSpec, replay, scratch_env  # noqa: E402
from bench.traces import Segment, Trace  # noqa: E402

FILES = {
    "pkg/mod.py": "def inc(x):\n    return x_value_plus + 1\n\n\ndef dec(x):\n    return x_value_less - 1\n",
    "pkg/b.py": "import os\n\nPATH = os.path.join('a', 'b')\n",
    "pkg/c.py": "def f():\n    return print('hello')\n",
}


def trace() -> Trace:
    return Trace(
        name="t",
        file="pkg/mod.py",
        segments=[Segment(1, 19, "plus + 1", [0] * 8), Segment(5, 19, "less - 1", [0] * 8)],
        extra=[
            {"filename": "pkg/b.py", "start": 0, "end": 3},
            {"filename": "pkg/c.py", "start": 0, "end": 2},
        ],
    )


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


async def start(tmp_path: Path, root: Path, script: dict) -> Editor:
    env = scratch_env(tmp_path / "home", CODERD_FAKE_SCRIPT=json.dumps(script))
    spec = ServerSpec([sys.executable, str(ROOT / "tests" / "fake_server.py")], env)
    editor = await Editor(spec, root).start()
    assert (await editor.wait_ready(30))["state"] == "ready"
    return editor


TAIL = {"rules": [{"after": "", "reply": "<{prefix_tail}>"}]}


def tails(results: list[KeyResult]) -> list[str]:
    """The last 20 characters of the prefix each request saw (the scripted reply echoes them)."""
    return [r.text.strip("<>") for r in results]


def typed(line: str, start: int, keys: int) -> list[str]:
    """What `tails` gives for each key typed at `start` of `line` (the cursor after it)."""
    return [line[: start + k][-20:] for k in range(1, keys + 1)]


MOD = FILES["pkg/mod.py"].split("\n")


async def test_open_wait_type_warms_up_elsewhere_then_counts_every_key(tmp_path):
    root = workspace(tmp_path)
    editor = await start(tmp_path, root, TAIL)
    try:
        results = await sc.coderd_open_wait_type(editor, trace(), root, wait_s=0.05)
    finally:
        await editor.close()
    assert [r.tag for r in results] == ["warm-up"] + (["open"] + [""] * 7) * 2
    assert [r.index for r in results] == list(range(17))
    assert all(r.outcome == "shown" for r in results), [r.outcome for r in results]
    # The warm-up is in b.py (end of its first line); then each key of mod.py at its cursor.
    assert tails(results)[0] == "import os"
    assert tails(results)[1:] == typed(MOD[1], 19, 8) + typed(MOD[5], 19, 8)
    summary = scenario_bench.summarize("s", 16, results)
    assert summary["requests"] == 17 and summary["answered_current"] == 16
    opened = dict(scenario_bench.subsets("open-wait-type", results))["first key after the open"]
    assert [r.index for r in opened] == [0, 1, 9]


async def test_bursts_time_the_last_key_and_keep_its_stats(tmp_path):
    root = workspace(tmp_path)
    split = sc.bursts(trace(), 3)
    assert [(s.line, s.character, s.typed) for s in split.segments] == [
        (1, 19, "plu"),
        (1, 22, "s +"),
        (1, 25, " 1"),
        (5, 19, "les"),
        (5, 22, "s -"),
        (5, 25, " 1"),
    ]
    assert sc.burst_last(split) == {2, 5, 7, 10, 13, 15}
    editor = await start(tmp_path, root, {"delay_s": 0.3, **TAIL})
    try:
        results = await replay(
            editor,
            split,
            FILES["pkg/mod.py"],
            (root / "pkg/mod.py").as_uri(),
            gaps=True,
            segment_stats=True,
        )
        document = await editor.client.protocol.send_request_async(
            "coderd/document", {"uri": (root / "pkg/mod.py").as_uri()}
        )
    finally:
        await editor.close()
    assert document.text == FILES["pkg/mod.py"]  # no edit beyond the keys: the line is whole
    last = [r for r in results if r.index in sc.burst_last(split)]
    assert [r.outcome for r in last] == ["shown"] * 6
    assert tails(last) == [MOD[1][: 19 + k][-20:] for k in (3, 6, 8)] + [
        MOD[5][: 19 + k][-20:] for k in (3, 6, 8)
    ]
    assert all(r.stats.get("prompt_tokens") for r in last)
    bench = SimpleNamespace(trace=trace(), args=SimpleNamespace(burst_keys=3))
    assert scenario_bench.measured(bench, "bursts", results) == [results[0], *last]


async def test_switch_visits_three_files_and_tags_the_switch_backs(tmp_path):
    root = workspace(tmp_path)
    places = sc.switch_places(trace(), root, 4)
    assert [(p.file, p.line, p.typed) for p in places] == [
        ("pkg/mod.py", 1, "plus + 1"),
        ("pkg/b.py", 2, "'b')"),
        ("pkg/c.py", 1, "lo')"),
    ]
    steps = sc.switch_steps(places, 2, 2)
    assert [(s.place, s.key, s.tag) for s in steps] == [
        (0, 0, "first-visit"), (0, 1, ""), (1, 0, "first-visit"), (1, 1, ""),
        (2, 0, "first-visit"), (2, 1, ""), (0, 2, "switch-back"), (0, 3, ""),
        (1, 2, "switch-back"), (1, 3, ""), (2, 2, "switch-back"), (2, 3, ""),
        (0, 4, "switch-back"), (0, 5, ""),
    ]  # fmt: skip
    editor = await start(tmp_path, root, TAIL)
    try:
        results = await sc.coderd_switch(editor, trace(), root, places, steps)
    finally:
        await editor.close()
    assert [r.outcome for r in results] == ["shown"] * 14
    b, c = "PATH = os.path.join('a', 'b')", "    return print('hello')"
    a_keys, b_keys, c_keys = typed(MOD[1], 19, 6), typed(b, 25, 4), typed(c, 21, 4)
    assert tails(results) == [
        *a_keys[:2],
        *b_keys[:2],
        *c_keys[:2],
        *a_keys[2:4],
        *b_keys[2:],
        *c_keys[2:],
        *a_keys[4:],
    ]
    back = dict(scenario_bench.subsets("switch", results))["first key after a switch back"]
    assert [r.index for r in back] == [0, 6, 8, 10, 12]


class StubInfill(BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_GET(self):
        self._answer({"status": "ok"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.bodies.append(body)
        self._answer({"content": "zz", "timings/prompt_n": 3, "timings/predicted_n": 2})

    def _answer(self, obj):
        raw = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


def test_llama_server_side_gets_the_same_keys(tmp_path):
    root = workspace(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubInfill)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port, kw = server.server_address[1], {"n_predict": 4, "force_tokens": True}
    try:
        StubInfill.bodies = []
        opened = sc.infill_open_wait_type(port, trace(), root, 0.0, **kw)
        bodies_open, StubInfill.bodies = StubInfill.bodies, []
        places = sc.switch_places(trace(), root, 4)
        switched = sc.infill_switch(
            port, trace(), root, places, sc.switch_steps(places, 2, 2), **kw
        )
        bodies_switch = StubInfill.bodies
    finally:
        server.shutdown()
    assert [r.tag for r in opened] == ["warm-up"] + (["open"] + [""] * 7) * 2
    assert bodies_open[0]["prompt"] == "import os"
    assert [b["prompt"] for b in bodies_open[1:9]] == [MOD[1][: 19 + k] for k in range(1, 9)]
    assert [b["prompt"] for b in bodies_open[9:]] == [MOD[5][: 19 + k] for k in range(1, 9)]
    assert [r.tag for r in switched].count("switch-back") == 4
    assert [b["prompt"] for b in bodies_switch][-1] == MOD[1][:25]
    assert [b["prompt"] for b in bodies_switch][2] == "PATH = os.path.join('a', '"


def test_report_names_whole_prompts_and_targets():
    def key(index, tag, latency, evaluated):
        r = KeyResult(0, index, 0.0, 0.0, latency / 1000, "shown", tag=tag)
        r.stats = {"evaluated": evaluated, "prompt_tokens": 100, "reused": 100 - evaluated,
                   "context_tokens": 0, "generated": 16, "prompt_ms": 1.0, "generate_ms": 10.0,
                   "total_ms": 11.0, "from_cache": False}  # fmt: skip
        return r

    ours = [key(0, "warm-up", 900, 100), key(1, "open", 800, 95)] + [
        key(i, "", 100, 2) for i in range(2, 6)
    ]
    theirs = [key(i, r.tag, 1000, 100) for i, r in enumerate(ours)]
    args = SimpleNamespace(llama_bench=None, segments=1, max_tokens=16)
    bench = SimpleNamespace(args=args, trace=trace())
    lines = scenario_bench.report(
        bench, "open-wait-type", ours, {"prewarm": {"done": 1}}, theirs, {}
    )
    text = "\n".join(lines)
    assert "whole-prompt evaluations after the first request: 1" in text
    assert "key 1 (segment 0, open): evaluated 95 of 100 prompt tokens" in text
    assert "whole-prompt evaluations after the prewarm: 1 (target 0): NOT met" in text
    assert "p50 / llama-server p50: 0.10 (target ≤ 0.5): met" in text
    assert "p95 / llama-server p95: 0.80 (target ≤ 0.5): NOT met" in text
    assert "p50 / floor: – (not measured)" in text


async def test_restart_types_half_of_each_segment_before_and_half_after(tmp_path):
    from bench.restart_scenario import coderd_restart, halves, restart_subset

    root = workspace(tmp_path)
    env = scratch_env(tmp_path / "home", CODERD_FAKE_SCRIPT=json.dumps(TAIL))
    spec = ServerSpec([sys.executable, str(ROOT / "tests" / "fake_server.py")], env)
    started: list[Editor] = []

    async def editors(spec: ServerSpec, n: int) -> list[Editor]:
        editor = await Editor(spec, root).start()
        assert (await editor.wait_ready(30))["state"] == "ready"
        started.append(editor)
        return [editor]

    async def close(editors: list[Editor], pids: set[int]) -> None:
        for editor in editors:
            await editor.close()

    bench = SimpleNamespace(
        trace=trace(), root=root, spec=lambda: spec, editors=editors, close=close
    )
    assert halves(trace()) == [(0, 4), (1, 4)]
    results, status = await coderd_restart(bench, wait_s=0.05)
    assert len(started) == 2  # one server before the restart, one after
    assert [r.tag for r in results] == ["warm-up"] + (["open"] + [""] * 3) * 2 + (
        ["restart"] + [""] * 3
    ) * 2
    assert all(r.outcome == "shown" for r in results), [r.outcome for r in results]
    # The second server is sent the text as the first left it: its keys go on from there.
    assert tails(results)[1:] == (
        typed(MOD[1], 19, 4)
        + typed(MOD[5], 19, 4)
        + typed(MOD[1], 19, 8)[4:]
        + typed(MOD[5], 19, 8)[4:]
    )
    assert [r.index for r in restart_subset(results)] == [0, 9, 13]
    assert status.get("state") == "ready"
