"""What `coderd models add` (and `coderd doctor`) check in a GGUF before trusting it.

In order: that the path is a readable regular file, refused by name before anything opens it
(engine.llama.loading.check_gguf_file: a FIFO would block, /dev/zero read forever); the GGUF
header and that the tensor data is all there (gguf_meta, pure Python); that llama.cpp accepts
the hyperparameters and every tensor's name and shape (structure.py: a load without weights);
the vocabulary and its FIM markers (a vocabulary-only load, engine.fim.inspect_vocab). A file whose metadata promises fill-in-the-middle (a
DeepSeek name or pre-tokenizer, FIM token id keys) but whose vocabulary lacks the markers is
rejected: it would silently complete prefix-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coderd.engine.fim import DEEPSEEK_PRE_TOKENIZERS, inspect_vocab
from coderd.models.fit import Shape
from coderd.models.gguf_meta import GGUFError, GGUFHeader, check_complete, read_header
from coderd.models.structure import StructureError, check_structure

FIM_ID_KEYS = (
    "tokenizer.ggml.fim_pre_token_id",
    "tokenizer.ggml.fim_suf_token_id",
    "tokenizer.ggml.fim_mid_token_id",
    "tokenizer.ggml.prefix_token_id",
    "tokenizer.ggml.suffix_token_id",
    "tokenizer.ggml.middle_token_id",
)


class InvalidModel(ValueError):
    pass


@dataclass(frozen=True)
class ModelReport:
    path: Path
    name: str
    architecture: str
    pre_tokenizer: str | None
    fim_ids: tuple[int, int, int] | None
    vocab_size: int | None
    context_length: int
    instruct: bool
    mla: bool | None
    shape: Shape
    warnings: tuple[str, ...]

    @property
    def mode(self) -> str:
        return "prefix-only" if self.fim_ids is None else "fill-in-the-middle"

    @property
    def kv_kind(self) -> str | None:
        if self.mla is None:
            return None
        return "MLA (compact KV cache)" if self.mla else "legacy (pre-MLA: ~9x larger KV cache)"


def fim_claim(header: GGUFHeader, name: str) -> str | None:
    """Why this file's metadata says it is a FIM model, or None."""
    pre = header.metadata.get("tokenizer.ggml.pre")
    if isinstance(pre, str) and pre in DEEPSEEK_PRE_TOKENIZERS:
        return f"its pre-tokenizer is {pre!r}"
    keys = [k for k in FIM_ID_KEYS if k in header.metadata]
    if keys:
        return f"it has {keys[0]}"
    if "deepseek" in name.lower() and "coder" in name.lower():
        return f"it is named {name!r}"
    return None


def validate(path: Path) -> ModelReport:
    """Check a GGUF; InvalidModel says what is wrong and what to do."""
    # These load llama.cpp: only when validating.
    from coderd.engine.base import EngineError
    from coderd.engine.llama.loading import check_gguf_file
    from coderd.engine.llama.model import LlamaModel

    path = Path(path)
    try:
        check_gguf_file(path)
    except EngineError as exc:
        raise InvalidModel(str(exc)) from None
    try:
        header = read_header(path)
        check_complete(header)
    except GGUFError as exc:
        raise InvalidModel(str(exc)) from None
    except OSError as exc:
        raise InvalidModel(f"{path}: {exc}") from None
    arch = header.architecture
    if not arch:
        raise InvalidModel(f"{path}: the header has no general.architecture; not a model GGUF")
    if "tokenizer.ggml.model" not in header.metadata:
        raise InvalidModel(f"{path}: the file has no tokenizer (tokenizer.ggml.model is missing)")
    try:
        check_structure(path)
    except StructureError as exc:
        raise InvalidModel(str(exc)) from None
    general = header.metadata.get("general.name")
    name = general if isinstance(general, str) and general else path.stem
    try:
        model = LlamaModel(path, gpu_layers=0, vocab_only=True)
    except ValueError:
        raise InvalidModel(
            f"{path}: llama.cpp cannot read this {arch!r} model's vocabulary (an architecture this "
            "llama-cpp-python build does not know, or a damaged tokenizer); see the log file"
        ) from None
    try:
        vocab = inspect_vocab(model, name)
    finally:
        model.close()
    claim = fim_claim(header, f"{name} {path.name}")
    if claim and vocab.fim_ids is None:
        raise InvalidModel(
            f"{path}: the file claims fill-in-the-middle ({claim}) but its vocabulary has no FIM "
            "markers (<｜fim▁begin｜>, <｜fim▁hole｜>, <｜fim▁end｜>). It is a broken or mislabelled "
            "conversion; get another: `coderd models pull deepseek-coder-1.3b-base`"
        )
    instruct = "instruct" in f"{name} {path.name}".lower()
    warnings = list(vocab.warnings)
    if instruct and not any("instruct" in w for w in warnings):  # named so by its file only
        warnings.append(
            f"{path.name}: instruct checkpoints are chat models; the base models "
            "are the FIM models (e.g. deepseek-coder-1.3b-base)"
        )
    shape = Shape.of_header(header)
    ctx = header.arch_value("context_length")
    return ModelReport(
        path=path,
        name=name,
        architecture=arch,
        pre_tokenizer=vocab.pre_tokenizer,
        fim_ids=vocab.fim_ids,
        vocab_size=header.vocab_size,
        context_length=int(ctx) if isinstance(ctx, int) else 0,
        instruct=instruct,
        mla=shape.mla,
        shape=shape,
        warnings=tuple(warnings),
    )
