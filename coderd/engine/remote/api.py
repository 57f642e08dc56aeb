"""The wire format of remote completion servers: endpoint, request body, stream events, errors.

Two dialects, chosen by the end of `remote.url` (see `resolve_endpoint`):

* OpenAI's legacy completions API with a `suffix` (POST .../completions): the DeepSeek API's
  FIM beta (https://api.deepseek.com/beta/completions), llama-cpp-python's server
  (/v1/completions), vLLM and other OpenAI-compatible servers. Streamed events carry
  `choices[0].text` and end with `data: [DONE]`.
* llama-server's own FIM endpoint (POST .../infill, `input_prefix`/`input_suffix`): llama-server
  refuses `suffix` on its /v1/completions ("Unsupported param: suffix"), so FIM against it
  needs /infill. Streamed events carry `content`; the last one has `"stop": true`.

Pure functions, no I/O: client.py does the HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from coderd.engine.base import EngineError, GenerationLimits

OPENAI, INFILL = "openai", "infill"
DONE = object()  # the OpenAI stream's `data: [DONE]`
# OpenAI accepts at most 4 stop strings; every stop string is also applied here, so the rest
# only cost a few tokens of generation.
MAX_SERVER_STOPS = 4
FIX_URL = (
    "check remote.url: a base URL (http://127.0.0.1:8080, https://api.deepseek.com/beta, "
    "http://HOST:PORT/v1) or a full URL ending in /completions, or in /infill for llama-server"
)


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
HIDDEN = "(hidden: not a variable name)"


def key_env_problem(name: str) -> str | None:
    """What is wrong with remote.api_key_env, never quoting it: it may hold the key itself."""
    if name and not ENV_NAME.match(name):
        return (
            "remote.api_key_env must be the name of an environment variable (letters, digits, "
            "_), not the key; its value is not shown"
        )
    return None


def resolve_endpoint(url: str) -> tuple[str, str]:
    """(the URL to POST to, the dialect).

    A URL ending in /completions or /infill is used as it is. Otherwise it is a base URL, as
    OpenAI clients take it: with no path, llama-server and llama-cpp-python serve
    /v1/completions; with a path (/v1, DeepSeek's /beta), /completions is appended.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EngineError(f"remote.url = {url!r} is not an http:// or https:// URL; {FIX_URL}")
    path = parts.path.rstrip("/")
    if path.endswith("/infill"):
        dialect = INFILL
    elif path.endswith("/completions"):
        dialect = OPENAI
    else:
        dialect, path = OPENAI, (path + "/completions" if path else "/v1/completions")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")), dialect


def request_body(
    dialect: str, *, prompt: str, suffix: str, limits: GenerationLimits, model: str
) -> dict[str, object]:
    """Greedy (temperature 0: the reproducible suggestion, as the local engine) and streamed."""
    if dialect == INFILL:
        # cache_prompt: llama-server keeps the prompt's KV cache for the next keystroke.
        body: dict[str, object] = {
            "input_prefix": prompt,
            "input_suffix": suffix,
            "n_predict": limits.max_tokens,
            "cache_prompt": True,
        }
    else:
        body = {"prompt": prompt, "suffix": suffix, "max_tokens": limits.max_tokens}
    body.update(temperature=0, stream=True)
    if limits.stop_strings:
        body["stop"] = list(limits.stop_strings)[:MAX_SERVER_STOPS]
    if model:
        body["model"] = model
    return body


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


def parse_event(dialect: str, event: object) -> tuple[str, str | None, dict[str, int]]:
    """(text, why generation ended or None, token counts the server reported)."""
    if not isinstance(event, Mapping):
        raise EngineError(f"unexpected event from the server: {str(event)[:80]!r}; {FIX_URL}")
    fields: Mapping[str, object] = event
    if fields.get("error"):
        raise EngineError(f"the server reported an error: {server_message(fields)}")
    counts = _counts(fields)
    if dialect == INFILL:
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


def _counts(event: Mapping[str, object]) -> dict[str, int]:
    """Server-side token counts: OpenAI/DeepSeek `usage`, llama-server `timings`."""
    found: dict[str, int] = {}
    usage = _mapping(event.get("usage"))
    timings = _mapping(event.get("timings"))
    cached_field = (
        usage.get("prompt_cache_hit_tokens")  # DeepSeek
        or _mapping(usage.get("prompt_tokens_details")).get("cached_tokens")
    )
    cached = cached_field if isinstance(cached_field, int) else 0
    generated, prompt = usage.get("completion_tokens"), usage.get("prompt_tokens")
    if isinstance(generated, int):
        found["generated"] = generated
    if isinstance(prompt, int):
        found["evaluated"] = prompt - cached
        found["reused"] = cached
    for ours, theirs in (
        ("generated", "predicted_n"),
        ("evaluated", "prompt_n"),
        ("reused", "cache_n"),
    ):
        count = timings.get(theirs)
        if isinstance(count, int):
            found[ours] = count
    return found


def server_message(body: object) -> str:
    """The human part of an error body: OpenAI {"error": {"message"}}, FastAPI {"detail"}."""
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            body = json.loads(text)
        except ValueError:
            return " ".join(text.split())[:200] or "no details"
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"])[:200]
        for key in ("error", "detail", "message"):
            if body.get(key):
                return str(body[key])[:200]
    return str(body)[:200]


def http_error(
    status: int, body: bytes, endpoint: str, *, key_env: str, key_set: bool
) -> EngineError:
    """An HTTP error status as the setting that fixes it."""
    detail = server_message(body)
    if status in (401, 403):
        if not key_env:
            key = "remote.api_key_env is empty, so no key was sent"
        elif key_set:
            key = f"${key_env} is set, and its key was refused"
        else:
            key = f"${key_env} is not set in coderd's environment"
        return EngineError(
            f"the remote backend {endpoint} refused the request (HTTP {status}: {detail}): {key}. "
            "Put the API key in the environment variable that remote.api_key_env names"
        )
    if status == 404:
        return EngineError(f"{endpoint} answered 404 ({detail}); {FIX_URL}; and remote.model")
    if "suffix" in detail.lower():
        return EngineError(
            f"{endpoint} does not take a suffix ({detail}); for llama-server set "
            "remote.url to http://HOST:PORT/infill"
        )
    return EngineError(f"{endpoint} answered HTTP {status}: {detail} (remote.url, remote.model)")
