"""The tokenizer of a synthetic model (synthetic.py): the real DeepSeek Coder vocabulary from
the fixture in ../shared when it is there, else the small byte-level one of synthetic_vocab.py
(a user's fresh clone has no ../shared), with or without FIM markers, with or without
Qwen2.5-Coder's repository tokens, with any pre-tokenizer name.

`gguf` (extra ``dev``) is imported lazily, so the rest of coderd never depends on it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from coderd.testing import synthetic_vocab

FIXTURE_REL = Path("shared") / "fixtures" / "ggml-vocab-deepseek-coder.gguf"
VOCAB_ENV = "CODERD_VOCAB_FIXTURE"


def gguf_module() -> Any:
    try:
        import gguf
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "coderd.testing.synthetic needs the optional 'gguf' package: pip install 'coderd[dev]'"
        ) from e
    return gguf


def deepseek_vocab_fixture() -> Path | None:
    """Locate the real DeepSeek Coder vocabulary GGUF, or None (fresh clones lack ../shared)."""
    env = os.environ.get(VOCAB_ENV)
    if env and Path(env).is_file():
        return Path(env)
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for d in (start, *start.parents):
            if (d / "pyproject.toml").is_file():
                cand = d.parent / FIXTURE_REL
                if cand.is_file():
                    return cand
    return None


def resolve_vocab(vocab: str) -> tuple[str, Path | None]:
    if vocab not in ("auto", "deepseek", "synthetic"):
        raise ValueError(f"vocab must be 'auto', 'deepseek' or 'synthetic', not {vocab!r}")
    fixture = deepseek_vocab_fixture() if vocab != "synthetic" else None
    if vocab == "deepseek" and fixture is None:
        raise FileNotFoundError(
            f"DeepSeek Coder vocabulary fixture not found: set ${VOCAB_ENV} or place it at "
            f"<repo>/../{FIXTURE_REL.as_posix()}; or use vocab='synthetic'"
        )
    return ("deepseek", fixture) if fixture is not None else ("synthetic", None)


@functools.lru_cache(maxsize=4)
def _fixture_fields(path: Path, _mtime: float) -> dict[str, tuple[Any, Any, Any]]:
    """All tokenizer.* keys of the fixture as {key: (value, type, array item type)}."""
    gguf = gguf_module()
    fields = {}
    for key, f in gguf.GGUFReader(path).fields.items():
        if not key.startswith("tokenizer."):
            continue
        # f.types is [ARRAY, item type] for arrays, [scalar type] otherwise (no nested arrays here).
        arr = f.types[0] == gguf.GGUFValueType.ARRAY
        fields[key] = (f.contents(), f.types[0], f.types[-1] if arr else None)
    return fields


def _synthetic_fields() -> dict[str, tuple[Any, Any, Any]]:
    T = gguf_module().GGUFValueType
    tokens, types, merges, ids = synthetic_vocab.build_vocab(fim=True)
    return {
        "tokenizer.ggml.model": ("gpt2", T.STRING, None),
        "tokenizer.ggml.pre": ("deepseek-coder", T.STRING, None),
        "tokenizer.ggml.tokens": (tokens, T.ARRAY, T.STRING),
        "tokenizer.ggml.token_type": (types, T.ARRAY, T.INT32),
        "tokenizer.ggml.merges": (merges, T.ARRAY, T.STRING),
        "tokenizer.ggml.bos_token_id": (ids["bos"], T.UINT32, None),
        "tokenizer.ggml.eos_token_id": (ids["eos"], T.UINT32, None),
        "tokenizer.ggml.padding_token_id": (ids["eos"], T.UINT32, None),
        "tokenizer.ggml.add_bos_token": (True, T.BOOL, None),
        "tokenizer.ggml.add_eos_token": (False, T.BOOL, None),
    }


def tokenizer_fields(
    vocab: str, fixture: Path | None, fim: bool, pre: str | None, repo_tokens: bool = False
) -> dict:
    if vocab == "deepseek":
        assert fixture is not None
        fields = dict(_fixture_fields(fixture, fixture.stat().st_mtime))
    else:
        fields = _synthetic_fields()
    if not fim:
        # llama.cpp finds FIM tokens by their text, so renaming them (same count, same ids for
        # everything else) yields a prefix-only model with fim_pre/suf/mid == -1.
        value, vtype, sub = fields["tokenizer.ggml.tokens"]
        rename = dict(zip(synthetic_vocab.FIM_MARKERS, synthetic_vocab.RESERVED))
        assert not set(rename.values()) & set(value)
        fields["tokenizer.ggml.tokens"] = ([rename.get(t, t) for t in value], vtype, sub)
    if repo_tokens:
        # Qwen2.5-Coder's repository tokens, appended as control tokens (as in its GGUFs).
        for key, extra in (
            ("tokenizer.ggml.tokens", list(synthetic_vocab.REPO_TOKENS)),
            ("tokenizer.ggml.token_type", [synthetic_vocab.CONTROL] * 2),
        ):
            value, vtype, sub = fields[key]
            fields[key] = (list(value) + extra, vtype, sub)
    if pre is None:
        fields.pop("tokenizer.ggml.pre", None)  # like pre-2024 GGUFs (e.g. TheBloke's)
    else:
        fields["tokenizer.ggml.pre"] = (pre, gguf_module().GGUFValueType.STRING, None)
    return fields
