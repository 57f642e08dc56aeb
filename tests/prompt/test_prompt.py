"""Prompt windows: token budgets, whole lines, and a prefix start that stays put while typing."""

from coderd.prompt.builder import PromptBuilder


def char_tokens(text: str) -> list[int]:
    return [ord(c) for c in text]  # one token per character: budgets are easy to read


def builder(prefix=40, suffix=12) -> PromptBuilder:
    return PromptBuilder(char_tokens, prefix_tokens=prefix, suffix_tokens=suffix)


LINES = "".join(f"line {i:02d}\n" for i in range(30))  # 8 characters per line


def test_short_document_is_taken_whole():
    built = builder(prefix=1000, suffix=1000).build("doc", LINES, 40)
    assert built.prefix_text == LINES[:40]
    assert built.suffix_text == LINES[40:]
    assert list(built.prompt.prefix_ids) == char_tokens(LINES[:40])


def test_prefix_starts_at_a_line_and_fits_the_budget():
    offset = 20 * 8 + 4  # inside line 20
    built = builder(prefix=40).build("doc", LINES, offset)
    assert len(built.prompt.prefix_ids) <= 40
    start = offset - len(built.prefix_text)
    assert LINES[start - 1] == "\n"
    assert built.prefix_text.startswith("line ")


def test_prefix_start_stays_put_while_typing_then_moves_once():
    b = builder(prefix=40)
    text, offset = LINES, 20 * 8
    starts = []
    for _typed in range(30):
        text = text[:offset] + "x" + text[offset:]
        offset += 1
        built = b.build("doc", text, offset)
        assert len(built.prompt.prefix_ids) <= 40
        starts.append(offset - len(built.prefix_text))
    moves = sum(1 for a, b_ in zip(starts, starts[1:]) if a != b_)
    assert moves <= len(starts) // 8  # a sliding window would move on every keystroke


def test_anchor_is_per_document():
    b = builder(prefix=40)
    first = b.build("a", LINES, 160)
    b.build("b", "other\n" * 50, 200)
    again = b.build("a", LINES, 161)
    assert 160 - len(first.prefix_text) == 161 - len(again.prefix_text)


def test_suffix_is_whole_lines_within_budget():
    built = builder(suffix=20).build("doc", LINES, 8 * 5)
    assert built.suffix_text == LINES[40:56]  # two whole lines of 8
    assert len(built.prompt.suffix_ids) <= 20


def test_one_huge_line_is_cut_token_exact():
    text = "x" * 5000
    built = builder(prefix=40, suffix=10).build("doc", text + "\n" + text, 5000)
    assert 0 < len(built.prompt.prefix_ids) <= 40
    assert len(built.prompt.suffix_ids) <= 10


def test_zero_suffix_budget():
    built = builder(suffix=0).build("doc", LINES, 40)
    assert built.suffix_text == "" and list(built.prompt.suffix_ids) == []


def test_typing_at_the_cursor_cuts_the_suffix_once():
    seen: list[str] = []

    def counting(text: str) -> list[int]:
        seen.append(text)
        return char_tokens(text)

    b = PromptBuilder(counting, prefix_tokens=40, suffix_tokens=20)
    text, offset = LINES, 8 * 5 + 4  # in the middle of line 05
    first = b.build("doc", text, offset)
    cut_calls = len(seen)
    for ch in "abc":  # typed at the cursor: the text after it stays the same
        text, offset = text[:offset] + ch + text[offset:], offset + 1
        again = b.build("doc", text, offset)
        assert again.suffix_text == first.suffix_text
        assert list(again.prompt.suffix_ids) == list(first.prompt.suffix_ids)
    suffix_calls = [t for t in seen[cut_calls:] if t.startswith(first.suffix_text[:4])]
    assert suffix_calls == []  # each key tokenised only its prefix
    # A change after the cursor is a new suffix: cut again.
    changed = text[:offset] + text[offset:].replace("line 06", "LINE 06", 1)
    assert b.build("doc", changed, offset).suffix_text != first.suffix_text


def test_typing_on_a_line_tokenises_the_lines_above_once():
    seen: list[str] = []

    def counting(text: str) -> list[int]:
        seen.append(text)
        return char_tokens(text)

    b = PromptBuilder(counting, prefix_tokens=120, suffix_tokens=8)
    text, offset = LINES, 8 * 10 + 4  # the window starts some lines above line 10
    b.build("doc", text, offset)
    head = b.build("doc", text, offset).prefix_text.rpartition("\n")[0] + "\n"
    starts = set()
    for ch in "x = 1  # more typing on one line, well past the tokenizer's trial builds":
        text, offset = text[:offset] + ch + text[offset:], offset + 1
        built = b.build("doc", text, offset)
        assert list(built.prompt.prefix_ids) == char_tokens(built.prefix_text)
        starts.add(offset - len(built.prefix_text))
    heads = [t for t in seen if t == head]
    # The lines above the cursor's: once, and once more per new window (the line outgrows
    # the budget), not once per key.
    assert len(starts) <= 4 and len(heads) <= 2 + len(starts) - 1


def test_a_new_window_starts_at_the_same_line_wherever_the_cursor_is_on_its_line():
    # A document reopened, or a daemon restarted: the new window must start where the old
    # one did, or the KV state saved for that place is useless (issue #12: warm restarts).
    line = 20 * 8
    for typed in range(1, 8):
        before, after = builder(prefix=40), builder(prefix=40)
        start_a = line + 1 - len(before.build("a", LINES, line + 1).prefix_text)
        start_b = line + typed - len(after.build("a", LINES, line + typed).prefix_text)
        assert start_a == start_b


def test_a_tokenizer_that_merges_at_line_ends_gets_whole_windows():
    """A newline followed by spaces as one token: the pieces do not add up, so every prefix
    is tokenised whole (the ids are what the window tokenises to)."""

    def merging(text: str) -> list[int]:
        ids, i = [], 0
        while i < len(text):
            if text[i] == "\n" and i + 1 < len(text) and text[i + 1] == " ":
                ids.append(1000)
                i += 2
            else:
                ids.append(ord(text[i]))
                i += 1
        return ids

    text = "".join(f"    step_{i}()\n" for i in range(20)) + "    "
    offset = len(text)
    b = PromptBuilder(merging, prefix_tokens=200, suffix_tokens=8)
    for ch in "x = step_1() + step_2()" * 3:
        text, offset = text + ch, offset + 1
        built = b.build("doc", text, offset)
        assert list(built.prompt.prefix_ids) == merging(built.prefix_text)


def counting_builder(seen: list[str]) -> PromptBuilder:
    def counting(text: str) -> list[int]:
        seen.append(text)
        return char_tokens(text)

    return PromptBuilder(counting, prefix_tokens=120, suffix_tokens=8)


def test_keys_tokenise_the_window_whole_only_for_the_first_check():
    """Checking the tokenizer's line seams tokenises the window whole (6-20 ms a key with
    DeepSeek's tokenizer on two cores): a request does it only while nothing was checked;
    the checks after that run in prewarms and speculations (`off_path`)."""
    seen: list[str] = []
    b = counting_builder(seen)
    text, offset = LINES, 8 * 10 + 4
    windows = []
    for ch in "x = 1 + 2":
        text, offset = text[:offset] + ch + text[offset:], offset + 1
        built = b.build("doc", text, offset)
        assert list(built.prompt.prefix_ids) == char_tokens(built.prefix_text)
        windows.append(built.prefix_text)
    # The first key's fresh window and the second key's check (the first on this builder).
    assert sum(t in windows for t in seen) == 2
    seen.clear()
    built = b.build("doc", text, offset, off_path=True)  # a prewarm: checked (still trusting)
    assert built.prefix_text in seen


def test_an_enter_tokenises_only_the_line_it_finished():
    seen: list[str] = []
    b = counting_builder(seen)
    text, offset = LINES, 8 * 10 + 4
    b.build("doc", text, offset)  # a fresh window
    b.build("doc", text, offset)  # the seams checked
    text, offset = text[:offset] + "abc\n" + text[offset:], offset + 4  # typed, then Enter
    seen.clear()
    built = b.build("doc", text, offset)
    assert list(built.prompt.prefix_ids) == char_tokens(built.prefix_text)
    assert max(len(t) for t in seen) == len("lineabc\n")  # not the lines above


def test_a_receiver_hint_goes_right_above_the_cursors_line():
    b = builder(prefix=1000, suffix=12)
    text = LINES[:80] + "    ctx."
    hint = char_tokens("    # ctx: Context (models.py)\n    #   def invoke(self):\n")
    plain = b.build("doc", text, len(text))
    hinted = b.build("doc", text, len(text), hint=hint)
    assert hinted.hinted and not plain.hinted
    assert hinted.prefix_text == plain.prefix_text  # the file's text: what policy reads
    ids = list(hinted.prompt.prefix_ids)
    assert ids == char_tokens(LINES[:80]) + hint + char_tokens("    ctx.")
    # Typing the member's name: every id before the typed text stays (the KV cache's).
    typed = b.build("doc", text + "inv", len(text) + 3, hint=hint)
    assert list(typed.prompt.prefix_ids)[: len(ids)] == ids
    # The cursor on the window's first line: the hint first.
    alone = builder(prefix=1000).build("other", "ctx.", 4, hint=hint)
    assert alone.hinted and list(alone.prompt.prefix_ids) == hint + char_tokens("ctx.")


def test_no_receiver_hint_where_the_window_starts_inside_the_cursors_line():
    long_line = "x" * 200 + "ctx."
    built = builder(prefix=40).build("doc", long_line, len(long_line), hint=[1, 2, 3])
    assert not built.hinted and 1 not in built.prompt.prefix_ids
