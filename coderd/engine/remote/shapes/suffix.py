"""The "suffix" shape: OpenAI's legacy /completions with `prompt` and `suffix`; the server
lays out the FIM prompt with its model's markers.

Repository context goes first inside `prompt`, as the local engine lays it out. vLLM refuses
`suffix` (HTTP 400 "suffix is not currently supported"); some llama-server builds ignore it
without a word: for those the "raw" shape is the one (endpoint.py's probe picks it).
"""

from __future__ import annotations

from coderd.engine.base import GenerationLimits
from coderd.engine.remote.shapes.raw import escape_specials
from coderd.engine.remote.shapes.text import PromptText


def body(text: PromptText, limits: GenerationLimits) -> dict[str, object]:
    # Some servers write the markers around the two as text and tokenise the whole with special
    # tokens parsed (SGLang's completion template): a spelled marker must not become one there.
    return {
        "prompt": escape_specials(text.context + text.prefix),
        "suffix": escape_specials(text.suffix),
        "max_tokens": max(limits.max_tokens, 1),  # 0 (a prewarm) is refused by some
    }
