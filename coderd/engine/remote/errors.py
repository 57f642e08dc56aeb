"""What a failed request tells the user: one line naming the setting that fixes it.

Pure functions, no I/O. The messages never quote the API key, nor remote.api_key_env when it
is not a variable name (it may then be the key itself).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from coderd.engine.base import EngineError
from coderd.engine.remote.deepseek_api import retired_note

FIX_URL = (
    "check remote.url: a base URL (http://127.0.0.1:8080, https://api.deepseek.com/beta, "
    "http://HOST:PORT/v1) or a full URL ending in /completions, /completion or /infill"
)
FIX_FORMAT = (
    'set remote.format = "raw" (coderd writes the whole prompt; DeepSeek Coder models) or '
    "point remote.url at llama-server's /infill"
)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
HIDDEN = "(hidden: not a variable name)"
# How servers say that the model id is unknown: OpenAI and vLLM ("The model `x` does not
# exist"), DeepSeek ("Model Not Exist"), SGLang and others ("model ... not found").
MODEL_UNKNOWN = re.compile(r"model.*(not exist|does not exist|not found)|no such model", re.I)


class UsageOptionsRefused(EngineError):
    """The server refuses `stream_options` (a strict OpenAI-compatible proxy): the request goes
    again without it, and so do the ones after it (client.py)."""


# How a server names the usage options it refuses: FastAPI/pydantic's 422 lists the field
# ("stream_options"), others quote it or the option inside it.
USAGE_OPTIONS = ("stream_options", "continuous_usage_stats", "include_usage")


class SuffixRefused(EngineError):
    """The server takes no `suffix` (vLLM): remote.format = "auto" may move on to "raw"."""


def key_env_problem(name: str) -> str | None:
    """What is wrong with remote.api_key_env, never quoting it: it may hold the key itself."""
    if name and not ENV_NAME.match(name):
        return (
            "remote.api_key_env must be the name of an environment variable (letters, digits, "
            "_), not the key; its value is not shown"
        )
    return None


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
    status: int, body: bytes, endpoint: str, *, key_env: str, key_set: bool, model: str
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
    if status in (400, 422) and any(name in detail for name in USAGE_OPTIONS):
        return UsageOptionsRefused(
            f"{endpoint} refuses stream_options (HTTP {status}: {detail}): coderd asks it for no "
            "usage from now on, so coderd/status shows none of its cached tokens"
        )
    if status in (400, 404, 422) and MODEL_UNKNOWN.search(detail):
        shown = f"remote.model = {model!r}" if model else 'remote.model = "" (none sent)'
        note = retired_note(model, endpoint)
        return EngineError(
            f"{endpoint} does not know the model ({detail}): set {shown} to a model the "
            f"server serves{'; ' + note if note else ''}"
        )
    if status == 404:
        return EngineError(f"{endpoint} answered 404 ({detail}); {FIX_URL}")
    if "suffix" in detail.lower():
        return SuffixRefused(f"{endpoint} does not take a suffix ({detail}); {FIX_FORMAT}")
    return EngineError(f"{endpoint} answered HTTP {status}: {detail} (remote.url, remote.model)")


def connect_error(endpoint: str, exc: Exception) -> EngineError:
    return EngineError(
        f"cannot connect to the remote backend at {endpoint} ({exc}): "
        "start the server, fix remote.url, or set remote.enabled = false"
    )
