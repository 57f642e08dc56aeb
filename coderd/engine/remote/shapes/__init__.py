"""The request body of each shape (endpoint.py): one module per shape, one entry point here.

Every request is greedy (temperature 0: the reproducible suggestion, as the local engine's)
and streamed.
"""

from __future__ import annotations

from coderd.engine.base import GenerationLimits
from coderd.engine.remote.deepseek_api import NON_THINKING, is_deepseek_api
from coderd.engine.remote.endpoint import INFILL, RAW, Endpoint
from coderd.engine.remote.shapes import infill, raw, suffix
from coderd.engine.remote.shapes.text import PromptText

# OpenAI accepts at most 4 stop strings; every stop string is also applied by coderd, so the
# rest only cost a few tokens of generation.
MAX_SERVER_STOPS = 4
__all__ = ["PromptText", "request_body"]


def request_body(
    endpoint: Endpoint, text: PromptText, limits: GenerationLimits, model: str
) -> dict[str, object]:
    if endpoint.shape == INFILL:
        body = infill.body(text, limits)
    elif endpoint.shape == RAW:
        body = raw.body(text, limits, endpoint.wire)
    else:
        body = suffix.body(text, limits)
    body.update(temperature=0, stream=True)
    if limits.stop_strings:
        body["stop"] = list(limits.stop_strings)[:MAX_SERVER_STOPS]
    if model:
        body["model"] = model
    if is_deepseek_api(endpoint.url):
        body.update(NON_THINKING)  # the FIM beta works only in non-thinking mode
    return body
