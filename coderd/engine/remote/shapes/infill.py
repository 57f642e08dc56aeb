"""The "infill" shape: llama-server's /infill. The server writes the model's FIM markers.

Repository context goes first in `input_prefix`, as the local engine lays it out (not as
`input_extra`, which llama-server packs with its own file separators).
"""

from __future__ import annotations

from coderd.engine.base import GenerationLimits
from coderd.engine.remote.shapes.text import PromptText


def body(text: PromptText, limits: GenerationLimits) -> dict[str, object]:
    # cache_prompt: llama-server keeps the prompt's KV cache for the next keystroke;
    # timings_per_token: every event says what the cache held, so a stream that coderd's stop
    # rule leaves early still reports it.
    return {
        "input_prefix": text.context + text.prefix,
        "input_suffix": text.suffix,
        "n_predict": limits.max_tokens,
        "cache_prompt": True,
        "timings_per_token": True,
    }
