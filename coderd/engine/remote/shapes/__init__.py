"""The request body of each shape (endpoint.py): one module per shape, one entry point here.

Every request is greedy (temperature 0: the reproducible suggestion, as the local engine's)
and streamed. On OpenAI's wire every request asks for `usage` (`stream_options`): vLLM and
SGLang send it only when asked, in a last chunk after the text, and that chunk alone carries
the cached tokens (`prompt_tokens_details.cached_tokens`; vLLM with
`--enable-prompt-tokens-details`, SGLang with `--enable-cache-report`). Team servers are also
asked for `continuous_usage_stats`: vLLM and SGLang then put the prompt's token count (never the
cached part, checked in both servers' sources) in every chunk, so a stream coderd's stop rule
leaves early still says what the server counted. llama-server ignores the field, as it ignores
every field it does not know; llama-cpp-python's server ignores `stream_options` whole. The
hosted DeepSeek API documents `include_usage` only, so it gets only that. A server that refuses
`stream_options` with HTTP 400 gets requests without it (errors.UsageOptionsRefused).
"""

from __future__ import annotations

from coderd.engine.base import GenerationLimits
from coderd.engine.remote.deepseek_api import NON_THINKING, is_deepseek_api
from coderd.engine.remote.endpoint import INFILL, OPENAI, RAW, Endpoint
from coderd.engine.remote.shapes import infill, raw, suffix
from coderd.engine.remote.shapes.text import PromptText

# OpenAI accepts at most 4 stop strings; every stop string is also applied by coderd, so the
# rest only cost a few tokens of generation.
MAX_SERVER_STOPS = 4
__all__ = ["PromptText", "request_body"]


def request_body(
    endpoint: Endpoint,
    text: PromptText,
    limits: GenerationLimits,
    model: str,
    ask_usage: bool = True,
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
    hosted = is_deepseek_api(endpoint.url)
    if hosted:
        body.update(NON_THINKING)  # the FIM beta works only in non-thinking mode
    if ask_usage and endpoint.wire == OPENAI:
        options = {"include_usage": True}
        if not hosted:
            options["continuous_usage_stats"] = True
        body["stream_options"] = options
    return body
