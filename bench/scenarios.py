"""The typing scenarios of issue #12 item 5, key for key the same for coderd and llama-server.

* **open-wait-type**: the very first request after start-up goes to another file of the
  workspace (a warm-up, excluded from every figure but `first ms`); then, per segment, the
  trace's file is opened as the user sees it before typing (the segment's tail already gone),
  left idle for `wait_s` (coderd's prewarm runs), and the segment is typed key by key, waiting
  for each answer. Every key counts, the first after the open included. Between segments the
  file is closed, so each segment is a fresh open.
* **bursts**: each segment cut into bursts of a few keys (`bursts()`): keys at the trace's
  gaps, then a pause: the user waits for the burst's suggestion and 0.5 s more. The figure is
  the time from the last key of a burst to its suggestion (`trace_replay.replay` with gaps,
  `infill_baseline.replay_infill_gaps`: the same split trace).
* **switch**: a few keys in file A (the trace's first segment), then in B and C (other files of
  the workspace, `switch_places()`), round after round, and back in A at the end; every file
  opened at its first visit. The figure is the first request after a switch back to a file
  used before (all within a minute on any machine).

On an open, on a switch back, and where the cursor moves to another line of the file (a new
segment of a trace replayed in one file, bursts included: before the pause between segments),
the client says where the cursor is (coderd/didMoveCursor, as coderd's editor clients do;
`lsp_trace.py --generic-client`: it says nothing, as a plain LSP client, and the server can
only guess where the user will type).

Results are `KeyResult`s (replay_stats.py); `tag` marks what a result's key was in the
scenario: "switch-back", "first-visit" or "" (a key typed in place), "open" (the first key
after an open).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from pathlib import Path

from . import infill_baseline as infill
from .replay_stats import KeyResult, classify, coderd_stats
from .trace_replay import Editor, _record
from .traces import Document, Segment, Trace

BURST_KEYS = 4  # keys per burst
SWITCH_KEYS = 3  # keys typed per visit of a file
SWITCH_ROUNDS = 2  # A, B, C per round; then A once more


@dataclass
class Place:
    """Where keys are typed in one file: the tail of `line` from `character`, retyped."""

    file: str  # relative to the workspace root
    line: int
    character: int
    typed: str


@dataclass
class Step:
    place: int  # index into the scenario's places
    key: int  # which character of the place's typed tail
    segment: int  # staleness boundary (replay_stats.classify): one per visit
    tag: str = ""


def bursts(trace: Trace, size: int = BURST_KEYS) -> Trace:
    """The trace with every segment cut into segments of `size` keys on the same line."""
    segments = []
    for seg in trace.segments:
        for start in range(0, len(seg.typed), size):
            end = start + size
            segments.append(
                Segment(
                    seg.line,
                    seg.character + start,
                    seg.typed[start:end],
                    [0, *seg.gaps_ms[start + 1 : end]],
                )
            )
    return replace(trace, segments=segments)


def burst_last(trace: Trace) -> set[int]:
    """Key indices (as replay numbers them) of the last key of each segment."""
    ends, index = set(), 0
    for seg in trace.segments:
        index += len(seg.typed)
        ends.add(index - 1)
    return ends


def switch_places(trace: Trace, root: Path, keys: int) -> list[Place]:
    """A: the trace's first segment; B and C: the longest line of the first two other files of
    the trace's llama.vim chunks (within the chunk), its last `keys` characters retyped."""
    seg = trace.segments[0]
    places = [Place(trace.file, seg.line, seg.character, seg.typed)]
    for chunk in trace.extra:
        if len(places) == 3:
            break
        if chunk["filename"] in {p.file for p in places}:
            continue
        lines = (root / chunk["filename"]).read_text(encoding="utf-8").split("\n")
        span = range(chunk["start"], min(chunk["end"], len(lines)))
        line = max(span, key=lambda i: (len(lines[i].rstrip()), -i))
        text = lines[line].rstrip()
        indent = len(text) - len(text.lstrip())
        start = max(indent, len(text) - keys)
        places.append(Place(chunk["filename"], line, start, text[start:]))
    if len(places) < 3:
        raise ValueError(f"{trace.name}: the switch needs two other files in the trace's extra")
    return places


def switch_steps(places: list[Place], keys: int, rounds: int) -> list[Step]:
    visits = [i for _ in range(rounds) for i in range(len(places))] + [0]
    steps, typed, seen = [], [0] * len(places), set()
    for v, p in enumerate(visits):
        n = min(keys, len(places[p].typed) - typed[p])
        for k in range(n):
            tag = "" if k else ("switch-back" if p in seen else "first-visit")
            steps.append(Step(p, typed[p] + k, v, tag))
        typed[p] += n
        seen.add(p)
    return steps


def _without_tail(text: str, place: Place) -> Document:
    doc = Document(text)
    doc.replace(place.line, place.character, len(doc.lines[place.line]), "")
    return doc


def _warmup_place(trace: Trace, root: Path) -> tuple[str, int, int]:
    """Another file of the workspace, the end of its first line in the trace's chunks."""
    chunk = next(c for c in trace.extra if c["filename"] != trace.file)
    lines = (root / chunk["filename"]).read_text(encoding="utf-8").split("\n")
    return chunk["filename"], chunk["start"], len(lines[chunk["start"]])


async def _ask(editor: Editor, uri: str, doc: Document, line: int, col: int, result: KeyResult):
    msg_id = f"key-{result.index}"
    future = editor.request(uri, doc.cursor(line, col), msg_id)
    await asyncio.gather(asyncio.wrap_future(future), return_exceptions=True)
    _record(editor, result, future, msg_id)
    result.stats = coderd_stats((await editor.status()).get("last"))


async def _type(editor: Editor, uri: str, doc: Document, line: int, col: int, ch: str, result):
    start, end, _ = doc.replace(line, col, col, ch)
    editor.change(uri, doc.version, start, end, ch)
    result.key_at = result.sent_at = time.perf_counter()
    await _ask(editor, uri, doc, line, col + 1, result)


async def coderd_open_wait_type(
    editor: Editor, trace: Trace, root: Path, wait_s: float
) -> list[KeyResult]:
    wfile, wline, wcol = _warmup_place(trace, root)
    wtext = (root / wfile).read_text(encoding="utf-8")
    wuri = (root / wfile).as_uri()
    editor.open(wuri, wtext, trace.language_id)
    warm = KeyResult(-1, 0, time.perf_counter(), time.perf_counter(), tag="warm-up")
    await _ask(editor, wuri, Document(wtext), wline, wcol, warm)
    results, index = [warm], 1
    text = (root / trace.file).read_text(encoding="utf-8")
    uri = (root / trace.file).as_uri()
    for si, seg in enumerate(trace.segments):
        doc = _without_tail(text, Place(trace.file, seg.line, seg.character, seg.typed))
        editor.open(uri, doc.text, trace.language_id, doc.cursor(seg.line, seg.character))
        await asyncio.sleep(wait_s)
        for k, ch in enumerate(seg.typed):
            r = KeyResult(si, index, 0.0, 0.0, tag="" if k else "open")
            await _type(editor, uri, doc, seg.line, seg.character + k, ch, r)
            results.append(r)
            index += 1
        text = doc.text  # the line is as in the file again
        editor.close_document(uri)
        await asyncio.sleep(0.2)
    classify(results)
    return results


def infill_open_wait_type(port: int, trace: Trace, root: Path, wait_s: float, **kw) -> list:
    """The same keys through /infill (llama.vim does nothing on open: the wait is idle)."""
    extra = infill.extra_chunks(trace, root)
    wfile, wline, wcol = _warmup_place(trace, root)
    wdoc = Document((root / wfile).read_text(encoding="utf-8"))
    results = [infill.infill_key(port, wdoc, -1, 0, wline, wcol, extra, **kw)]
    results[0].tag = "warm-up"
    text, index = (root / trace.file).read_text(encoding="utf-8"), 1
    for si, seg in enumerate(trace.segments):
        doc = _without_tail(text, Place(trace.file, seg.line, seg.character, seg.typed))
        time.sleep(wait_s)
        for k, ch in enumerate(seg.typed):
            col = seg.character + k
            doc.replace(seg.line, col, col, ch)
            r = infill.infill_key(port, doc, si, index, seg.line, col + 1, extra, **kw)
            r.tag = "" if k else "open"
            results.append(r)
            index += 1
        text = doc.text
    classify(results)
    return results


async def coderd_switch(
    editor: Editor, trace: Trace, root: Path, places: list[Place], steps: list[Step]
) -> list[KeyResult]:
    docs: dict[int, Document] = {}
    results = []
    for index, step in enumerate(steps):
        place = places[step.place]
        uri = (root / place.file).as_uri()
        col = place.character + step.key
        if step.place not in docs:
            docs[step.place] = _without_tail((root / place.file).read_text(encoding="utf-8"), place)
            editor.open(
                uri,
                docs[step.place].text,
                trace.language_id,
                docs[step.place].cursor(place.line, col),
            )
        elif step.tag:  # back in a file opened before: the editor shows its tab again
            editor.focus(uri, docs[step.place].cursor(place.line, col))
        r = KeyResult(step.segment, index, 0.0, 0.0, tag=step.tag)
        await _type(editor, uri, docs[step.place], place.line, col, place.typed[step.key], r)
        results.append(r)
    classify(results)
    return results


def infill_switch(
    port: int, trace: Trace, root: Path, places: list[Place], steps: list[Step], **kw
) -> list[KeyResult]:
    extra = infill.extra_chunks(trace, root)
    docs: dict[int, Document] = {}
    results = []
    for index, step in enumerate(steps):
        place = places[step.place]
        if step.place not in docs:
            docs[step.place] = _without_tail((root / place.file).read_text(encoding="utf-8"), place)
        doc, col = docs[step.place], place.character + step.key
        doc.replace(place.line, col, col, place.typed[step.key])
        r = infill.infill_key(port, doc, step.segment, index, place.line, col + 1, extra, **kw)
        r.tag = step.tag
        results.append(r)
    classify(results)
    return results
