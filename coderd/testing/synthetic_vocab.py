"""A small GPT-2-style byte-level BPE vocabulary for synthetic test models.

Used by :mod:`coderd.testing.synthetic` when the real DeepSeek Coder vocabulary fixture is absent
(a user's fresh clone). It holds DeepSeek Coder's special-token *strings* because llama.cpp
recognises BOS/EOS by id but the FIM markers by their text, so FIM detection behaves as with
the real model. Ids differ from the real vocabulary; code must always ask llama.cpp for ids.

Pure Python (no gguf/numpy import) so it can be inspected without the optional dependencies.
"""

from __future__ import annotations

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
FIM_HOLE = "<｜fim▁hole｜>"  # llama.cpp: fim_suf
FIM_BEGIN = "<｜fim▁begin｜>"  # llama.cpp: fim_pre
FIM_END = "<｜fim▁end｜>"  # llama.cpp: fim_mid
FIM_MARKERS = (FIM_HOLE, FIM_BEGIN, FIM_END)
# Harmless stand-ins for fim=False: same token count, text llama.cpp does not recognise.
RESERVED = tuple(f"<｜reserved_{i}｜>" for i in range(len(FIM_MARKERS)))
REPO_TOKENS = ("<|repo_name|>", "<|file_sep|>")  # Qwen2.5-Coder's; added by repo_tokens=True

# gguf token types (gguf.TokenType), repeated here to keep this module import-free.
NORMAL, CONTROL, USER_DEFINED = 1, 3, 4

# Strings whose left-to-right merge chains become the merge table. Code-flavoured so prompts
# in tests tokenise to fewer, multi-byte tokens (exercises real BPE merging, not just bytes).
_WORDS = (
    " t",
    " a",
    "in",
    "er",
    "re",
    "on",
    "st",
    "en",
    "at",
    "or",
    "he",
    "the",
    " the",
    "  ",
    "    ",
    "        ",
    "\n",
    "\n    ",
    "\n        ",
    "def",
    " def",
    "return",
    " return",
    "self",
    " self",
    "import",
    " import",
    "from",
    " from",
    "class",
    " class",
    "if",
    " if",
    "for",
    " for",
    " in",
    "None",
    " None",
    "print",
    "():",
    "()",
    "(self",
    "):",
    " = ",
    " ==",
    "int",
    "str",
    "function",
    " const",
    "let",
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable-character map (byte-level BPE token alphabet)."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def build_vocab(*, fim: bool = True) -> tuple[list[str], list[int], list[str], dict[str, int]]:
    """Return (tokens, token_types, merges, special ids) for the synthetic vocabulary.

    Special ids: {"bos": .., "eos": .., "fim_hole": .., "fim_begin": .., "fim_end": ..}.
    """
    b2u = bytes_to_unicode()
    tokens = list(b2u.values())  # GPT-2 order: printable bytes first
    known = set(tokens)
    merges: list[str] = []
    for word in _WORDS:
        syms = [b2u[b] for b in word.encode("utf-8")]
        cur = syms[0]
        for sym in syms[1:]:
            merged = cur + sym
            # Only ever merge two existing tokens into a new one: llama.cpp trusts that
            # every merge result is in the vocabulary.
            if merged not in known:
                merges.append(f"{cur} {sym}")
                tokens.append(merged)
                known.add(merged)
            cur = merged
    types = [NORMAL] * len(tokens)
    specials = {
        "bos": BOS,
        "eos": EOS,
        "fim_hole": FIM_HOLE,
        "fim_begin": FIM_BEGIN,
        "fim_end": FIM_END,
    }
    ids = {}
    for name, text in specials.items():
        ids[name] = len(tokens)
        if name.startswith("fim"):
            # Same token type as the real DeepSeek fixture uses for its FIM markers.
            tokens.append(text if fim else RESERVED[FIM_MARKERS.index(text)])
            types.append(USER_DEFINED)
        else:
            tokens.append(text)
            types.append(CONTROL)
    return tokens, types, merges, ids
