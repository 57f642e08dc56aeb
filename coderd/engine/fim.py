"""FIM format from the model's own vocabulary, checks on DeepSeek GGUFs, and prompt layout.

DeepSeek Coder spells its markers `<｜fim▁begin｜>` / `<｜fim▁hole｜>` / `<｜fim▁end｜>`; llama.cpp
maps them to fim_pre / fim_suf / fim_mid (32016 / 32015 / 32017 in the v1 vocabulary). We never
write marker text into a prompt: markers go in as ids and user text is tokenised with special
tokens off, so a file containing the marker text cannot forge one.

Qwen2.5-Coder also has repository tokens, `<|repo_name|>` and `<|file_sep|>`: repository
context then reads `<|repo_name|>name\n<|file_sep|>path\n...` and goes before the FIM prefix
marker (llama-server's /infill does the same). The packer writes stand-ins for them
(`RepoMarkers`), which become the ids; the text between is tokenised with special tokens off.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from coderd.engine.base import FimPrompt
from coderd.engine.llama.kv_plan import PromptLayout
from coderd.engine.llama.model import LlamaModel

DEEPSEEK_FIM_TEXT = ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>")
# tokenizer.ggml.pre values llama.cpp uses for the DeepSeek families.
DEEPSEEK_PRE_TOKENIZERS = {"deepseek-coder": "DeepSeek Coder v1", "deepseek-llm": "DeepSeek V2"}

LEGACY_WARNING = (
    "{name}: this GGUF has no tokenizer.ggml.pre field. It predates llama.cpp's pre-tokenizer "
    "support (TheBloke's November 2023 DeepSeek conversions are like this): tokenisation is "
    "degraded and fill-in-the-middle is known to break. Use a conversion made with llama.cpp "
    "after April 2024: `coderd models pull deepseek-coder-1.3b-base`, or `coderd models add "
    "FILE` for one you have, or point model.path (or CODERD_MODEL_PATH) at it."
)


REPO_TOKEN_TEXT = ("<|repo_name|>", "<|file_sep|>")
# Where the tokens go in packed context text. NUL does not occur in source text, and
# `RepoMarkers.forged` catches a file that holds one anyway.
REPO_TOKEN_STANDIN = ("\x00repo_name\x00", "\x00file_sep\x00")


@dataclass(frozen=True)
class VocabReport:
    fim_ids: tuple[int, int, int] | None
    pre_tokenizer: str | None
    is_deepseek: bool
    warnings: tuple[str, ...]
    repo_tokens: tuple[int | None, int | None] = (None, None)  # <|repo_name|>, <|file_sep|>


@dataclass(frozen=True)
class RepoMarkers:
    """Packed context text to ids for a model with `<|file_sep|>` (and maybe `<|repo_name|>`)."""

    repo_name: int | None
    file_sep: int

    @classmethod
    def of(cls, repo_tokens: tuple[int | None, int | None]) -> RepoMarkers | None:
        """None without `<|file_sep|>`: the model gets DeepSeek's "# path" headers."""
        repo_name, file_sep = repo_tokens
        return None if file_sep is None else cls(repo_name, file_sep)

    @property
    def standins(self) -> dict[str, int]:
        found = dict(zip(REPO_TOKEN_STANDIN, (self.repo_name, self.file_sep)))
        return {text: token for text, token in found.items() if token is not None}

    def ids(self, text: str, tokenize: Callable[[str], list[int]]) -> list[int]:
        """Each stand-in becomes its token id; the text between goes through `tokenize`
        (special tokens off)."""
        standins, ids = self.standins, []
        for part in re.split("(" + "|".join(map(re.escape, standins)) + ")", text):
            if part in standins:
                ids.append(standins[part])
            elif part:
                ids += tokenize(part)
        return ids

    def forged(self, text: str, headers: int) -> bool:
        """Whether `text` holds more stand-ins than the packer wrote (`headers` file headers,
        one repository name): then a file holds one, and it must not become a token."""
        return text.count(REPO_TOKEN_STANDIN[1]) != headers or text.count(
            REPO_TOKEN_STANDIN[0]
        ) != int(self.repo_name is not None)

    def shown(self, text: str) -> str:
        """`text` with the tokens' own texts in place of the stand-ins (--json, logs)."""
        for standin, real in zip(REPO_TOKEN_STANDIN, REPO_TOKEN_TEXT):
            text = text.replace(standin, real)
        return text


def inspect_vocab(model: LlamaModel, name: str) -> VocabReport:
    """Read the FIM ids and check a DeepSeek vocabulary the way the issue tracker taught us."""
    warnings: list[str] = []
    pre, suf, mid = model.fim_ids()
    fim_ids = (pre, suf, mid) if pre is not None and suf is not None and mid is not None else None
    pre_tokenizer = model.meta("tokenizer.ggml.pre")
    is_deepseek = fim_ids is not None and model.token_text(fim_ids[0]) == DEEPSEEK_FIM_TEXT[0]
    repo_name, file_sep = (model.control_token(text) for text in REPO_TOKEN_TEXT)

    if fim_ids is None:
        warnings.append(
            f"{name}: the vocabulary has no fill-in-the-middle tokens, so completions use only "
            "the text before the cursor (prefix-only mode). DeepSeek Coder base models have them: "
            "`coderd models pull deepseek-coder-1.3b-base` (air-gapped: copy the GGUF over and "
            "`coderd models add FILE`), or set model.path (or CODERD_MODEL_PATH) to one."
        )
    if is_deepseek:
        if pre_tokenizer is None:
            warnings.append(LEGACY_WARNING.format(name=name))
        elif pre_tokenizer not in DEEPSEEK_PRE_TOKENIZERS:
            warnings.append(
                f"{name}: DeepSeek FIM markers but pre-tokenizer {pre_tokenizer!r}; expected one "
                f"of {sorted(DEEPSEEK_PRE_TOKENIZERS)}. Tokenisation may differ from training."
            )
    if fim_ids is not None:
        for token in fim_ids:
            text = model.token_text(token)
            if model.tokenize(text, special=True) != [token]:
                warnings.append(
                    f"{name}: FIM marker {text!r} does not tokenise to its own id {token}; "
                    "the vocabulary looks damaged."
                )
    if "instruct" in name.lower():
        warnings.append(
            f"{name}: instruct checkpoints are chat models; the base models are the FIM models."
        )
    return VocabReport(fim_ids, pre_tokenizer, is_deepseek, tuple(warnings), (repo_name, file_sep))


def layout_prompt(
    *,
    fim_ids: tuple[int, int, int] | None,
    bos: int | None,
    context_ids: tuple[int, ...],
    prefix_ids: tuple[int, ...],
    suffix_ids: tuple[int, ...],
    context_first: bool = False,
) -> PromptLayout:
    """PSM order, the order DeepSeek trained with: BOS, PRE, prefix, SUF, suffix, MID.

    Repository context sits inside the FIM prefix, before the file's own text (DeepSeek's
    repo-level format), so it is the first and most stable part of the prompt;
    `context_first` (models with repository tokens) puts it before PRE instead.
    """
    start = (bos,) if bos is not None else ()
    if fim_ids is None:
        return PromptLayout(head=start + context_ids + prefix_ids)
    pre, suf, mid = fim_ids
    return PromptLayout(
        head=start + (context_ids + (pre,) if context_first else (pre,) + context_ids) + prefix_ids,
        block=(suf,) + suffix_ids,
        tail=(mid,),
    )


def name_pieces(
    *,
    fim_ids: tuple[int, int, int] | None,
    bos: int | None,
    context_ids: tuple[int, ...],
    prefix_ids: tuple[int, ...],
    suffix_ids: tuple[int, ...],
    context_first: bool = False,
) -> list[tuple[str, tuple[int, ...]]]:
    """The same order as `layout_prompt`, with a name per piece (for --json and logs)."""
    pieces: list[tuple[str, tuple[int, ...]]] = [("bos", (bos,))] if bos is not None else []
    if fim_ids is None:
        return pieces + [("context", context_ids), ("prefix", prefix_ids)]
    pre, suf, mid = fim_ids
    head = [("fim_pre", (pre,)), ("context", context_ids)]
    return (
        pieces
        + (head[::-1] if context_first else head)
        + [
            ("prefix", prefix_ids),
            ("fim_suf", (suf,)),
            ("suffix", suffix_ids),
            ("fim_mid", (mid,)),
        ]
    )


class _LayoutArgs(TypedDict):
    """What `layout_prompt` and `name_pieces` both take."""

    fim_ids: tuple[int, int, int] | None
    bos: int | None
    context_ids: tuple[int, ...]
    prefix_ids: tuple[int, ...]
    suffix_ids: tuple[int, ...]
    context_first: bool


def assemble(
    prompt: FimPrompt,
    *,
    fim_ids: tuple[int, int, int] | None,
    bos: int | None,
    repo_tokens: tuple[int | None, int | None],
    n_ctx: int,
    max_tokens: int,
) -> tuple[PromptLayout, list[tuple[str, tuple[int, ...]]]]:
    """The prompt the engine sends for `prompt`, as a layout and as named pieces; also what
    `coderd context` shows, so the two cannot drift apart.

    Budgets normally fit (config checks them); if not, the oldest prefix tokens go, so that
    `n_ctx` keeps room for `max_tokens`. A model with repository tokens (Qwen) gets its
    context before PRE."""
    prefix = tuple(prompt.prefix_ids)
    suffix = tuple(prompt.suffix_ids) if fim_ids else ()
    context = tuple(prompt.context_ids)
    overflow = len(context) + len(prefix) + len(suffix) + 4 + max_tokens - n_ctx
    if overflow > 0:
        prefix = prefix[overflow:]
    parts: _LayoutArgs = dict(
        fim_ids=fim_ids,
        bos=bos,
        context_ids=context,
        prefix_ids=prefix,
        suffix_ids=suffix,
        context_first=RepoMarkers.of(repo_tokens) is not None,
    )
    return layout_prompt(**parts), name_pieces(**parts)
