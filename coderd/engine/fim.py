"""FIM format from the model's own vocabulary, checks on DeepSeek GGUFs, and prompt layout.

DeepSeek Coder spells its markers `<｜fim▁begin｜>` / `<｜fim▁hole｜>` / `<｜fim▁end｜>`; llama.cpp
maps them to fim_pre / fim_suf / fim_mid (32016 / 32015 / 32017 in the v1 vocabulary). We never
write marker text into a prompt: markers go in as ids and user text is tokenised with special
tokens off, so a file containing the marker text cannot forge one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kv_plan import PromptLayout
from .llama_runtime import LlamaModel

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


@dataclass(frozen=True)
class VocabReport:
    fim_ids: tuple[int, int, int] | None
    pre_tokenizer: str | None
    is_deepseek: bool
    warnings: tuple[str, ...]


def inspect_vocab(model: LlamaModel, name: str) -> VocabReport:
    """Read the FIM ids and check a DeepSeek vocabulary the way the issue tracker taught us."""
    warnings: list[str] = []
    pre, suf, mid = model.fim_ids()
    fim_ids = (pre, suf, mid) if None not in (pre, suf, mid) else None
    pre_tokenizer = model.meta("tokenizer.ggml.pre")
    is_deepseek = fim_ids is not None and model.token_text(fim_ids[0]) == DEEPSEEK_FIM_TEXT[0]

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
    return VocabReport(fim_ids, pre_tokenizer, is_deepseek, tuple(warnings))


def layout_prompt(
    *,
    fim_ids: tuple[int, int, int] | None,
    bos: int | None,
    context_ids: tuple[int, ...],
    prefix_ids: tuple[int, ...],
    suffix_ids: tuple[int, ...],
) -> PromptLayout:
    """PSM order, the order DeepSeek trained with: BOS, PRE, prefix, SUF, suffix, MID.

    Repository context sits inside the FIM prefix, before the file's own text (DeepSeek's
    repo-level format), so it is the first and most stable part of the prompt.
    """
    start = (bos,) if bos is not None else ()
    if fim_ids is None:
        return PromptLayout(head=start + context_ids + prefix_ids)
    pre, suf, mid = fim_ids
    return PromptLayout(
        head=start + (pre,) + context_ids + prefix_ids,
        block=(suf,) + suffix_ids,
        tail=(mid,),
    )


def name_pieces(
    *, fim_ids: tuple[int, int, int] | None, bos: int | None, context_ids: tuple[int, ...],
    prefix_ids: tuple[int, ...], suffix_ids: tuple[int, ...],
) -> list[tuple[str, tuple[int, ...]]]:
    """The same order as `layout_prompt`, with a name per piece (for --json and logs)."""
    pieces: list[tuple[str, tuple[int, ...]]] = [("bos", (bos,))] if bos is not None else []
    if fim_ids is None:
        return pieces + [("context", context_ids), ("prefix", prefix_ids)]
    pre, suf, mid = fim_ids
    return pieces + [
        ("fim_pre", (pre,)), ("context", context_ids), ("prefix", prefix_ids),
        ("fim_suf", (suf,)), ("suffix", suffix_ids), ("fim_mid", (mid,)),
    ]
