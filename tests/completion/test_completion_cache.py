"""Typing through a suggestion is answered from the cache, and only when it really continues it."""

from coderd.completion.cache import PER_DOCUMENT, CompletionCache

DOC = "def area(r):\n    return \n\nprint(area(2))\n"
CURSOR = DOC.index("return ") + 7


def typed(text: str, offset: int, chars: str) -> tuple[str, int]:
    return text[:offset] + chars + text[offset:], offset + len(chars)


def test_typing_through_returns_the_rest():
    cache = CompletionCache()
    cache.store("a", DOC, CURSOR, ("3.14 * r * r", "r ** 2"))
    for n in range(1, 6):
        text, offset = typed(DOC, CURSOR, "3.14 "[:n])
        hit = cache.lookup("a", text, offset)
        assert hit is not None and hit.texts == ("3.14 * r * r"[n:],) and hit.typed == n
    assert cache.lookup("a", DOC, CURSOR).texts == ("3.14 * r * r", "r ** 2")  # asked again


def test_diverging_text_or_another_place_misses():
    cache = CompletionCache()
    cache.store("a", DOC, CURSOR, ("3.14 * r * r",))
    assert cache.lookup("a", *typed(DOC, CURSOR, "2")) is None  # typed something else
    assert cache.lookup("b", DOC, CURSOR) is None  # another document
    edited_after = DOC[:CURSOR] + DOC[CURSOR:].replace("area(2)", "area(3)")
    assert cache.lookup("a", edited_after, CURSOR) is None  # the text after the cursor changed
    edited_before = "# note\n" + DOC
    assert cache.lookup("a", edited_before, CURSOR + 7) is None  # a line added above
    full = typed(DOC, CURSOR, "3.14 * r * r")
    assert cache.lookup("a", *full) is None  # nothing left to suggest


def test_memory_is_bounded_per_document():
    cache = CompletionCache()
    for i in range(PER_DOCUMENT + 10):
        cache.store(
            "a", DOC + " " * i, CURSOR, (f"x{i}",)
        )  # a different text after the cursor each time
    assert sum(1 for k in cache._entries if k[0] == "a") <= PER_DOCUMENT
    cache.forget("a")
    assert not cache._entries


def test_a_suggestion_keeps_its_id_while_typed_through():
    cache = CompletionCache()
    cache.store("a", DOC, CURSOR, ("3.14 * r * r", "r ** 2"), ("s1", "s2"))
    hit = cache.lookup("a", *typed(DOC, CURSOR, "3"))
    assert hit.ids == ("s1",) and hit.texts == (".14 * r * r",)
