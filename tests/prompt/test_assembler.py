"""PromptAssembler: one place builds the whole prompt, and keeps per document only what
`forget` drops."""

from __future__ import annotations

from pathlib import Path

from coderd.context.pack.block import PackedContext
from coderd.prompt.assembler import PromptAssembler
from coderd.testing.fake_engine import ScriptedEngine

TEXT = "import os\n\n\ndef go():\n    return \n"
OFFSET = TEXT.index("return ") + len("return ")


class CountingContext:
    """Stands in for a ContextProvider: a fixed block, and how often it was asked."""

    def __init__(self, text: str) -> None:
        self.text, self.asked, self.peeked = text, [], []

    def context_for(self, path, text, offset, tokenize, budget=None, *, repo_format=None):
        self.asked.append((Path(path), offset, budget))
        return PackedContext(self.text, [{"path": "lib.py", "lines": [1, 2]}])

    def receiver_hint(self, path, text, offset, tokenize, budget, shown=None):
        return None  # no receiver hint: these tests are about the block

    def latest(self, path, text, offset, tokenize, budget=None, *, repo_format=None):
        """What the look-ahead built: the typing path asks this, never context_for."""
        self.peeked.append((Path(path), offset, budget))
        return PackedContext(self.text, [{"path": "lib.py", "lines": [1, 2]}])


def assembler(context_tokens: int = 64) -> PromptAssembler:
    engine = ScriptedEngine()
    return PromptAssembler(
        engine.tokenize,
        engine.info,
        prefix_tokens=200,
        suffix_tokens=50,
        context_tokens=context_tokens,
    )


def test_the_prompt_holds_context_prefix_and_suffix():
    context = CountingContext("# lib.py\ndef helper(): ...\n")
    built = assembler().assemble("k", TEXT, OFFSET, path="/w/a.py", context=context)
    assert bytes(built.prompt.context_ids) == context.text.encode()  # one id per character
    assert built.built.prefix_text == TEXT[:OFFSET]
    assert built.built.suffix_text == TEXT[OFFSET:]
    assert built.context_chunks == ({"path": "lib.py", "lines": [1, 2]},)
    assert context.asked == [(Path("/w/a.py"), OFFSET, 64)]  # its budget, not the default


def test_without_a_file_or_a_provider_there_is_no_context():
    context = CountingContext("# lib.py\n")
    prompts = assembler()
    assert prompts.assemble("k", TEXT, OFFSET, path=None, context=context).prompt.context_ids == ()
    assert prompts.assemble("k", TEXT, OFFSET, path="/w/a.py", context=None).context_text == ""
    assert context.asked == []


def test_the_same_block_gives_the_very_same_ids_and_forget_drops_them():
    context = CountingContext("# lib.py\ndef helper(): ...\n")
    prompts = assembler()
    first = prompts.assemble("k", TEXT, OFFSET, path="/w/a.py", context=context)
    again = prompts.assemble("k", TEXT + "x", OFFSET + 1, path="/w/a.py", context=context)
    assert again.prompt.context_ids is first.prompt.context_ids  # memoised, not re-tokenised
    # Only the first prompt built its context; the next asked what the look-ahead knows.
    assert len(context.asked) == 1 and len(context.peeked) == 1
    assert set(prompts.keys()) == {"k"}
    prompts.forget("k")
    assert set(prompts.keys()) == set()
    after = prompts.assemble("k", TEXT, OFFSET, path="/w/a.py", context=context)
    assert after.prompt.context_ids is not first.prompt.context_ids
    assert after.prompt.context_ids == first.prompt.context_ids


def test_a_speculative_prompt_does_not_move_the_window():
    prompts = assembler()
    prompts.assemble("k", TEXT, OFFSET, path=None, context=None, speculative=True)
    assert set(prompts.keys()) == set()  # nothing remembered for a speculation
    prompts.assemble("k", TEXT, OFFSET, path=None, context=None)
    assert set(prompts.keys()) == {"k"}


class HintRecorder(CountingContext):
    """Records the block the assembler hands the receiver hint."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.shown = []

    def receiver_hint(self, path, text, offset, tokenize, budget, shown=None):
        self.shown.append(shown)
        return None


def test_the_receiver_hint_is_told_what_the_prompts_block_lists():
    context = HintRecorder("# lib.py\ndef helper(): ...\n")
    built = assembler().assemble("k", TEXT, OFFSET, path="/w/a.py", context=context)
    (shown,) = context.shown
    assert shown.text == built.block.text and shown.spans == {("lib.py", 1, 2)}
    assert shown.shows("lib.py", 1, "def helper(): ...") and not shown.shows("a.py", 1, "x")


class FailingContext(CountingContext):
    """A retrieval bug, injected: the block or the hint raises."""

    def __init__(self, text: str, failing: str) -> None:
        super().__init__(text)
        self.failing = failing

    def context_for(self, path, text, offset, tokenize, budget=None, *, repo_format=None):
        if self.failing == "block":
            raise IndexError("list index out of range")
        return super().context_for(path, text, offset, tokenize, budget, repo_format=repo_format)

    def receiver_hint(self, path, text, offset, tokenize, budget, shown=None):
        raise IndexError("list index out of range")


def test_a_retrieval_failure_costs_the_context_not_the_completion(caplog):
    """A bug in retrieval (session 33's parameter parsing raised on `def f(a, b)`) failed the
    whole request; the prompt now goes without the block or the hint, logged once."""
    prompts = assembler()
    for _ in range(2):
        built = prompts.assemble(
            "k", TEXT, OFFSET, path="/w/a.py", context=FailingContext("# lib.py\n", "block")
        )
        assert built.prompt.context_ids == () and built.built.prefix_text == TEXT[:OFFSET]
    hinted = prompts.assemble(
        "j", TEXT, OFFSET, path="/w/a.py", context=FailingContext("# lib.py\n", "hint")
    )
    assert hinted.hint is None and bytes(hinted.prompt.context_ids) == b"# lib.py\n"
    failures = [r for r in caplog.records if "completing without it" in r.getMessage()]
    assert [r.getMessage().split()[0] for r in failures] == ["repository_context", "receiver_hint"]
