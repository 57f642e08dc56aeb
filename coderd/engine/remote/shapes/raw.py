"""The "raw" shape: coderd lays out the whole DeepSeek Coder FIM prompt as text and the server's
tokenizer, parsing special tokens, turns the marker text into the marker tokens.

The layout is the local engine's (engine/fim.py `layout_prompt`): PRE, repository context
with its "# path" headers, prefix, SUF, suffix, MID; the server adds BOS as it tokenises. The
stable part comes first, so the prefix caches of vLLM (automatic prefix caching), SGLang
(radix tree) and llama-server (`cache_prompt`) reuse it across keystrokes.

The local engine tokenises file text with special tokens off, so text spelling a marker stays
text. Here the server parses special tokens in the whole prompt, so `escape_specials` breaks
every spelling of a control token in file text with a zero-width space after its "<": the
server then sees text, never a marker, and the model an invisible character. DeepSeek's
control tokens (the FIM markers, begin and end of sentence) are all spelled `<｜...｜>` with
fullwidth bars, so a vocabulary is not needed to find them. Its `<|EOT|>` and `<pad>` are
user-defined tokens, which llama.cpp's tokenizer matches in text whether or not it parses
special tokens: the local engine gets them from file text too, so they are left as they are.
"""

from __future__ import annotations

import re

from coderd.engine.base import GenerationLimits
from coderd.engine.fim import DEEPSEEK_FIM_TEXT
from coderd.engine.remote.endpoint import LLAMA
from coderd.engine.remote.shapes.text import PromptText

SPECIAL_SPELLING = re.compile(r"<(?=｜[^\s<>｜]{1,64}｜>)")
BREAK = "\u200b"  # ZERO WIDTH SPACE: no special token starts with one


def escape_specials(text: str) -> str:
    """`text` with every spelling of a special token broken, so that it stays text."""
    return SPECIAL_SPELLING.sub("<" + BREAK, text)


def layout(text: PromptText) -> str:
    """The prompt as the server gets it: markers as text, file text escaped."""
    begin, hole, end = DEEPSEEK_FIM_TEXT
    # Context and prefix escaped as one text: a spelling may straddle where they meet.
    head = escape_specials(text.context + text.prefix)
    return begin + head + hole + escape_specials(text.suffix) + end


def body(text: PromptText, limits: GenerationLimits, wire: str) -> dict[str, object]:
    if wire == LLAMA:  # llama-server's own /completion; timings_per_token: as in infill.py
        return {
            "prompt": layout(text),
            "n_predict": limits.max_tokens,
            "cache_prompt": True,
            "timings_per_token": True,
        }
    # `stream_options` (usage, with the cached tokens): shapes/__init__.py, for every shape.
    return {"prompt": layout(text), "max_tokens": max(limits.max_tokens, 1)}  # vLLM refuses 0
