"""Reading a streamed answer: server-sent event lines, and each event's text, end and counts.

Pure functions, no I/O. OpenAI's wire (`choices[0].text`, usage in the last chunk and, asked
for, in every chunk; then `data: [DONE]`) and llama-server's own (`content`, the last event has `"stop": true` and
`timings`), see endpoint.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from coderd.engine.base import EngineError
from coderd.engine.remote.endpoint import LLAMA
from coderd.engine.remote.errors import FIX_URL, server_message

DONE = object()  # the OpenAI stream's `data: [DONE]`


def parse_sse_line(line: str) -> object | None:
    """A stream line's JSON payload, DONE, or None for what carries no data (blank, comment)."""
    if not line.startswith("data:"):
        return None  # "", ": ping", "event: ...", "id: ..."
    payload = line[5:].strip()
    if payload == "[DONE]":
        return DONE
    if not payload:
        return None
    try:
        event: object = json.loads(payload)
    except ValueError:
        raise EngineError(
            f"the server sent a line that is not JSON: {payload[:80]!r}; {FIX_URL}"
        ) from None
    return event


def parse_event(wire: str, event: object) -> tuple[str, str | None, dict[str, int]]:
    """(text, why generation ended or None, token counts the server reported)."""
    if not isinstance(event, Mapping):
        raise EngineError(f"unexpected event from the server: {str(event)[:80]!r}; {FIX_URL}")
    fields: Mapping[str, object] = event
    if fields.get("error"):
        raise EngineError(f"the server reported an error: {server_message(fields)}")
    counts = server_counts(fields)
    if wire == LLAMA:
        finish = None
        if fields.get("stop"):
            stop_type = str(fields.get("stop_type"))
            finish = {"limit": "max_tokens", "word": "stop"}.get(stop_type, "eog")
        return str(fields.get("content") or ""), finish, counts
    choices = fields.get("choices")
    choice = _mapping(choices[0]) if isinstance(choices, Sequence) and choices else {}
    reason = choice.get("finish_reason")
    # "stop" is the model's end of text or a server-side stop string: the same to us.
    finish = None if reason is None else ("max_tokens" if reason == "length" else "eog")
    return str(choice.get("text") or ""), finish, counts


def _mapping(value: object) -> Mapping[str, object]:
    """A JSON object, or an empty one for anything else (a server's missing or odd field)."""
    return value if isinstance(value, Mapping) else {}


def server_counts(event: Mapping[str, object]) -> dict[str, int]:
    """Server-side token counts as RequestStats names them: "reused" is what the server's
    prefix cache held (OpenAI/vLLM/SGLang `usage.prompt_tokens_details.cached_tokens`,
    DeepSeek `usage.prompt_cache_hit_tokens`, llama-server `timings.cache_n`), "evaluated"
    the prompt tokens it computed, "generated" the completion's; "prompt" the whole prompt
    where the split is not said, and "cache_reported" (1) where a cached count was."""
    found: dict[str, int] = {}
    usage = _mapping(event.get("usage"))
    timings = _mapping(event.get("timings"))
    details = _mapping(usage.get("prompt_tokens_details"))
    cached = usage.get("prompt_cache_hit_tokens", details.get("cached_tokens"))
    generated, prompt = usage.get("completion_tokens"), usage.get("prompt_tokens")
    if isinstance(generated, int):
        found["generated"] = generated
    if isinstance(cached, int):
        found["cache_reported"] = 1
    if isinstance(prompt, int):
        found["prompt"] = prompt
        # A chunk with text and usage is continuous usage (vLLM, SGLang): the prompt counted,
        # never its cached part. The last usage chunk (no choices) is the whole report, and
        # vLLM leaves the cached field out there when nothing was cached.
        if isinstance(cached, int) or not event.get("choices"):
            hit = cached if isinstance(cached, int) else 0
            found["evaluated"], found["reused"] = prompt - hit, hit
    for ours, theirs in (
        ("generated", "predicted_n"),
        ("evaluated", "prompt_n"),
        ("reused", "cache_n"),
    ):
        count = timings.get(theirs)
        if isinstance(count, int):
            found[ours] = count
    if isinstance(timings.get("cache_n"), int):
        found["cache_reported"] = 1
    return found
