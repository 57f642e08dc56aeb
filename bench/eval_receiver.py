"""What a block for the cursor's own receiver would add to method recall (#13; not a product
feature, not a test): an upper bound to decide whether to build one.

    python bench/eval_receiver.py [--set dev] [--tokens 1024] [PACKAGE_DIR ...]

The context block must stay byte-identical while the user types, so it never reads the cursor's
line; but the expression right before the cursor (`ctx.`, `cmd.Root().`, `Number::`) says which
type's members the next token needs. For each `method` sample (eval_samples.py, the same seed as
context_eval.py) this types that expression with typed.py at the sample's position and packs
that type's member signatures into `--tokens` more tokens (block.py, ranked as retrieve ranks a
type's members: popularity and the words around the cursor; the file uses none of them yet).
It prints, per package and pooled, the hits of the block alone and of the block plus that
second block at 256/512/1,024 tokens, and how many receivers could not be typed.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from functools import partial
from pathlib import Path

from context_eval import DATA, VOCAB, recent_ring
from eval_baselines import Windows, covered
from eval_packages import PACKAGES, SETS, names_in
from eval_samples import build_samples, is_test

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.pack.block import PackedContext, pack
from coderd.context.pack.shapes import read_file
from coderd.context.provider import ContextProvider
from coderd.context.retrieve.candidates import Candidate
from coderd.context.retrieve.infer import environment
from coderd.context.retrieve.members import enclosing_type
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.skeletons import near_words, skeletons
from coderd.context.retrieve.typed import TYPE_KINDS, TypeResolver

BUDGETS = (256, 512, 1024)
# `a.b(c).d::` and the like, right before the cursor: the receiver and its separator.
_RECEIVER = re.compile(
    r"((?:[A-Za-z_]\w*(?:\([^()]*\))?)(?:(?:\.|::|\?\.)[A-Za-z_]\w*(?:\([^()]*\))?)*)"
    r"(?:\.|::|\?\.)$"
)


def receiver_expression(line_before_cursor: str) -> str | None:
    """`    x = ctx.` -> "ctx"; `return cmd.Root().` -> "cmd.Root()"; `Ok(Number::` -> "Number"."""
    found = _RECEIVER.search(line_before_cursor)
    return found.group(1) if found else None


def receiver_types(resolver: TypeResolver, expression: str) -> list:
    """The types `expression` (written at the cursor) has, as typed.py resolves them."""
    expression = expression.replace("?.", ".")
    if expression.endswith(")"):
        callee = re.sub(r"\([^()]*\)", "()", expression[: expression.rfind("(")])
        if "()" in callee:  # a call on a call's result: `cmd.Root().Find()`
            base, _, member = callee.rpartition(".")
            owners = receiver_types(resolver, base) if base else []
            return resolver._returns(resolver.members_named(owners, member), 0)
        return resolver.call_result(callee, resolver.rel)
    if "::" in expression:
        return resolver.resolve_type(expression, resolver.rel)
    found = resolver.value_types(expression)
    if not found and "." not in expression:
        found = resolver.resolve_type(expression, resolver.rel)  # `Cls.` on a class
    return found


def receiver_block(index, rel: str, text: str, offset: int, tokenize, budget: int):
    """(PackedContext or None, why): the receiver's members in `budget` tokens."""
    line = text[text.rfind("\n", 0, offset) + 1 : offset]
    expression = receiver_expression(line)
    if expression is None:
        return None, "no receiver"
    symbols = index.file(rel)
    language = symbols.language if symbols else ""
    env = environment(index, rel, text, offset, language)
    resolver = TypeResolver(index, rel, scope_of(index, rel, symbols, language), env, language)
    types = [t for t in receiver_types(resolver, expression) if t.definition.kind in TYPE_KINDS]
    if not types:
        return None, "untyped"
    words = near_words(text, offset)
    candidates = []
    for t in types[:2]:
        members = resolver.members(t)
        popular = index.popularity({m.definition.name for m in members}, rel)
        owner = partial(enclosing_type, index)
        for ref, shown, _ in skeletons([t], members, {}, popular, rel, owner, words):
            if ref.path != rel:
                candidates.append(Candidate(ref, "type", 0.0, shown, True))
    if not candidates:
        return None, "no members"

    def members_of(file: str, container: str):
        found = index.file(file)
        return [d for d in found.definitions if d.container == container] if found else []

    packed: PackedContext = pack(
        candidates,
        current_path=rel,
        read=partial(read_file, index.root),
        members_of=members_of,
        tokenize=tokenize,
        budget=budget,
    )
    return packed, "typed"


def run(root: Path, tokens: int, tokenize, why: Counter) -> dict:
    rng = random.Random(1)  # as context_eval.py: the same samples, the same ring of files
    index = WorkspaceIndex(root)
    index.rescan()
    samples = build_samples(index, 40, rng, "first")
    index.close()
    provider = ContextProvider(
        ContextSettings(budget_tokens=max(BUDGETS)), [root], registry=IndexRegistry(watch=False)
    )
    index = provider.index_for(root / "x")
    assert index.wait_ready(300)
    windows = Windows(index)
    files = sorted(p for p in windows.texts if not is_test(p))
    hits = {b: [0, 0] for b in BUDGETS}
    count = 0
    for sample in samples:
        recent_ring(provider, windows, root, files, sample["path"], rng)
        if sample["kind"] != "method":
            continue
        count += 1
        path, text, offset = root / sample["path"], sample["text"], sample["offset"]
        if offset and text[offset - 1] != "\n":
            provider.set_buffer(path, text[: offset - 1] + text[offset:]).result(60)
        provider.set_buffer(path, text).result(60)
        extra, reason = receiver_block(index, sample["path"], text, offset, tokenize, tokens)
        why[reason] += 1
        for budget in BUDGETS:
            provider.builder.last.clear()
            provider.ahead.clear()
            packed = provider.context_for(path, text, offset, tokenize, budget=budget)
            alone = covered(packed.chunks, packed.text, sample)
            hits[budget][0] += alone
            hits[budget][1] += alone or (
                extra is not None and covered(extra.chunks, extra.text, sample)
            )
        provider.clear_buffer(path)
    provider.close()
    return {"samples": count, "hits": hits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--set", default="dev", choices=(*SETS, "all"))
    parser.add_argument("--tokens", type=int, default=1024, help="the receiver block's budget")
    args = parser.parse_args(argv)
    from coderd.engine.llama.model import LlamaModel

    model = LlamaModel(VOCAB, gpu_layers=0, vocab_only=True)
    roots = args.packages or [DATA / n for n in names_in(args.set) if n in PACKAGES]
    why: Counter = Counter()
    total = {"samples": 0, "hits": {b: [0, 0] for b in BUDGETS}}
    print("| package | method samples | block alone → with the receiver block, @256/512/1024 |")
    print("|---|---|---|")
    for root in roots:
        found = run(root.resolve(), args.tokens, model.tokenize, why)
        total["samples"] += found["samples"]
        for b in BUDGETS:
            for i in (0, 1):
                total["hits"][b][i] += found["hits"][b][i]
        print(_row(root.name, found))
    print(_row("all", total))
    print(f"receivers: {dict(why)}")
    model.close()
    return 0


def _row(name: str, found: dict) -> str:
    n = max(found["samples"], 1)
    cells = " / ".join(
        f"{found['hits'][b][0] / n:.2f} → {found['hits'][b][1] / n:.2f}" for b in BUDGETS
    )
    return f"| {name} | {found['samples']} | {cells} |"


if __name__ == "__main__":
    sys.exit(main())
