"""The daemon-restart scenario of issue #12 ("a daemon restart: the first suggestion in a file
that was hot before costs ≤ 1.5× the floor"), for `lsp_trace.py --scenario restart`.

coderd: a first daemon gets the usual warm-up request in another file, then each segment's
file is opened, left idle for `wait_s`, and the first half of the segment's keys is typed.
The editor closes and the daemon is stopped (SIGTERM, as `coderd` does at log-out or a user's
`kill`): it keeps its completion cache and its hottest KV states under $XDG_CACHE_HOME
(completion/warm.py). A second daemon is started in the same home, and each segment's file is
opened again as the first editor left it, left idle for `wait_s`, and the second half typed.
The figure is the first key after the restart in each file (tag "restart"). What the second
daemon takes back shows in its keys' `restored` tokens.

llama-server: the same keys, with the server stopped and started again between the halves
(llama.vim keeps nothing across a restart: its first request evaluates the whole prompt).
"""

from __future__ import annotations

import asyncio
import time

import psutil

from . import infill_baseline as infill
from .replay_stats import KeyResult, classify
from .scenarios import Place, _ask, _type, _warmup_place, _without_tail
from .trace_replay import Editor
from .traces import Document, Trace

EXIT_WAIT_S = 60.0  # how long the stopped daemon may take to write its warm state


def halves(trace: Trace) -> list[tuple[int, int]]:
    """(segment, keys typed before the restart) per segment with at least two keys."""
    return [
        (si, len(seg.typed) // 2) for si, seg in enumerate(trace.segments) if len(seg.typed) > 1
    ]


async def coderd_restart(bench, wait_s: float) -> tuple[list[KeyResult], dict]:
    trace, root, spec = bench.trace, bench.root, bench.spec()  # one home for both daemons
    text = (root / trace.file).read_text(encoding="utf-8")
    uri = (root / trace.file).as_uri()
    docs: dict[int, Document] = {}
    results: list[KeyResult] = []

    async def type_keys(editor: Editor, si: int, keys: range, first_tag: str) -> None:
        seg = trace.segments[si]
        if si not in docs:
            docs[si] = _without_tail(text, Place(trace.file, seg.line, seg.character, seg.typed))
        cursor = docs[si].cursor(seg.line, seg.character + keys.start)
        editor.open(uri, docs[si].text, trace.language_id, cursor)
        await asyncio.sleep(wait_s)
        for k in keys:
            r = KeyResult(si, len(results), 0.0, 0.0, tag=first_tag if k == keys.start else "")
            await _type(editor, uri, docs[si], seg.line, seg.character + k, seg.typed[k], r)
            results.append(r)
        editor.close_document(uri)
        await asyncio.sleep(0.2)

    first = (await bench.editors(spec, 1))[0]
    wfile, wline, wcol = _warmup_place(trace, root)
    wtext = (root / wfile).read_text(encoding="utf-8")
    first.open((root / wfile).as_uri(), wtext, trace.language_id)
    warm = KeyResult(-1, 0, time.perf_counter(), time.perf_counter(), tag="warm-up")
    await _ask(first, (root / wfile).as_uri(), Document(wtext), wline, wcol, warm)
    results.append(warm)
    plan = halves(trace)
    for si, half in plan:
        await type_keys(first, si, range(0, half), "open")
    await _stop_daemon(bench, first)

    second = (await bench.editors(spec, 1))[0]
    for si, half in plan:
        await type_keys(second, si, range(half, len(trace.segments[si].typed)), "restart")
    status = await second.status()
    await bench.close([second], {status.get("pid")} - {None})
    classify(results)
    return results, status


async def _stop_daemon(bench, editor: Editor) -> None:
    """Close the editor, stop the daemon it used, and wait until it has exited (its warm
    state written)."""
    pid = (await editor.status()).get("pid")
    await bench.close([editor], set())
    if pid is None or pid == editor.pid:
        return
    try:
        process = psutil.Process(pid)
        process.terminate()
        await asyncio.to_thread(process.wait, EXIT_WAIT_S)
    except psutil.NoSuchProcess:
        pass


def infill_restart(bench, **kw) -> list[KeyResult]:
    """The same keys through /infill, the server started again between the halves."""
    args, trace, root = bench.args, bench.trace, bench.root
    extra = infill.extra_chunks(trace, root)
    text = (root / trace.file).read_text(encoding="utf-8")
    docs = {
        si: Document(_without_tail(text, Place(trace.file, s.line, s.character, s.typed)).text)
        for si, s in enumerate(trace.segments)
    }
    results: list[KeyResult] = []
    plan = halves(trace)
    for run in (0, 1):
        with infill.server_for(args) as (port, _proc):
            if run == 0:
                wfile, wline, wcol = _warmup_place(trace, root)
                wdoc = Document((root / wfile).read_text(encoding="utf-8"))
                warm = infill.infill_key(port, wdoc, -1, 0, wline, wcol, extra, **kw)
                warm.tag = "warm-up"
                results.append(warm)
            for si, half in plan:
                seg, doc = trace.segments[si], docs[si]
                time.sleep(bench.args.open_wait)
                keys = range(0, half) if run == 0 else range(half, len(seg.typed))
                for k in keys:
                    col = seg.character + k
                    doc.replace(seg.line, col, col, seg.typed[k])
                    r = infill.infill_key(
                        port, doc, si, len(results), seg.line, col + 1, extra, **kw
                    )
                    r.tag = ("open" if run == 0 else "restart") if k == keys.start else ""
                    results.append(r)
    classify(results)
    return results


def restart_subset(results: list[KeyResult]) -> list[KeyResult]:
    """The scenario's figure: the first key after the restart in each file (and the warm-up,
    index 0, which only `first ms` reads)."""
    return [r for r in results if r.index == 0 or r.tag == "restart"]
