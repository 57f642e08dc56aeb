"""Incremental document sync against a ground-truth buffer, over a real LSP connection.

Positions are computed here by a deliberately naive walk over the text (no shared code with
coderd/positions.py): lines break only on "\\r\\n", "\\r" and "\\n"; columns count UTF-16 code
units, UTF-8 bytes or code points, whichever was negotiated. Form feed, U+2028, U+0085 and
friends are ordinary characters inside a line (str.splitlines() and pygls disagree).
"""

from __future__ import annotations

import random

import pytest
from lsp_client import open_doc, running_server
from lsprotocol import types

URI = "file:///work/sync_test.py"

START = (
    "# coding: utf-8\r\n"
    "greeting = '😀 hello 👩‍👩‍👧 family'\n"
    "kanji = '漢字テスト'\r\n"
    "accents = 'cafe\u0301 nai\u0308ve'\r"  # a lone CR ends this line
    "page\fbreak = 1  # form feed inside a line\n"
    "para = 'a\u2028b'  # LINE SEPARATOR inside a line\r\n"
    "nel = 'x\u0085y\u2029z\x1c\x1d\x1e\v' + '\udc80'\n"
    "\n"
    "def f(x):\r\n"
    "    return x  # 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n"
    "tail without newline 🎉"
)

# Fragments that random edits are made of: every kind of line break and of column width.
PIECES = [
    "a",
    "xyz",
    " ",
    "    ",
    "=",
    "(",
    ")",
    "😀",
    "👩‍👩‍👧",
    "🎉",
    "漢字",
    "テスト",
    "e\u0301",
    "\u0308",
    "é",
    "ß",
    "\r\n",
    "\n",
    "\r",
    "\f",
    "\u2028",
    "\u2029",
    "\u0085",
    "\v",
    "\x1c",
    "\t",
    "𝔘",
    "\ufeff",
    "\u200d",
    # A lone (low) surrogate, as a JavaScript client may send it: one UTF-16 code unit. Only
    # low ones: JSON would fuse a high one followed by a low one into a single character.
    "\udc80",
]


# -- the independent, naive position model ---------------------------------------------------


def unit_width(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == "utf-8":
        return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    if encoding == "utf-32":
        return 1
    return 2 if cp > 0xFFFF else 1


def naive_position(text: str, offset: int, encoding: str) -> tuple[int, int]:
    """(line, character) of a code-point offset, walking the text one character at a time."""
    line = col = 0
    i = 0
    while i < offset:
        ch = text[i]
        if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            assert i + 1 < offset, "offset between CR and LF"
            line, col, i = line + 1, 0, i + 2
            continue
        if ch in "\r\n":
            line, col = line + 1, 0
        else:
            col += unit_width(ch, encoding)
        i += 1
    return line, col


def valid_offsets(text: str) -> list[int]:
    """Every code-point offset except those between a CR and its LF."""
    return [
        i
        for i in range(len(text) + 1)
        if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")
    ]


def random_text(rng: random.Random, multi_line: bool) -> str:
    count = rng.randint(1, 6)
    parts = [rng.choice(PIECES) for _ in range(count)]
    if multi_line:
        parts.insert(rng.randint(0, len(parts)), rng.choice(["\n", "\r\n", "\r"]))
        parts.append(rng.choice(["😀\r\n", "漢字\n", "\r\n    "]))
    return "".join(parts)


def random_edit(rng: random.Random, text: str) -> tuple[int, int, str]:
    """(lo, hi, new) in code points: an insertion, deletion or replacement."""
    offsets = valid_offsets(text)
    kind = rng.choice(["insert", "insert", "delete", "replace", "multiline"])
    lo = rng.choice(offsets)
    if kind in ("insert", "multiline"):
        return lo, lo, random_text(rng, kind == "multiline")
    later = [o for o in offsets if lo <= o <= lo + 12] or [lo]
    hi = rng.choice(later)
    if kind == "delete" and len(text) < 40:  # keep the document from running dry
        return lo, hi, random_text(rng, False)
    return lo, hi, "" if kind == "delete" else random_text(rng, rng.random() < 0.3)


def change_for(text: str, lo: int, hi: int, new: str, encoding: str):
    start, end = naive_position(text, lo, encoding), naive_position(text, hi, encoding)
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=new
    )


def send(client, version: int, changes) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=list(changes),
        )
    )


async def server_copy(client, uri: str = URI):
    return await client.protocol.send_request_async("coderd/document", {"uri": uri})


async def assert_in_sync(client, truth: str, version: int, step: int) -> None:
    doc = await server_copy(client)
    assert doc is not None
    if doc.text != truth:
        for _n, (a, b) in enumerate(zip(doc.text, truth)):
            if a != b:
                break
        else:
            n = min(len(doc.text), len(truth))
        raise AssertionError(
            f"out of sync after edit {step} at code point {n}: "
            f"server {doc.text[max(0, n - 20) : n + 20]!r} vs truth {truth[max(0, n - 20) : n + 20]!r}"
        )
    assert doc.version == version


# -- self-checks of the naive model, so a bug there cannot hide one in the server ------------


def test_naive_model_on_known_positions():
    text = "a😀b\r\nc\rd\ne\ff\u2028g"
    assert naive_position(text, 3, "utf-16") == (0, 4)
    assert naive_position(text, 3, "utf-8") == (0, 6)
    assert naive_position(text, 3, "utf-32") == (0, 3)
    assert naive_position(text, 5, "utf-16") == (1, 0)  # after CRLF
    assert naive_position(text, 7, "utf-16") == (2, 0)  # after a lone CR
    assert naive_position(text, len(text), "utf-16") == (3, 5)  # \f and U+2028 stay inline
    assert 4 not in valid_offsets(text)
    assert naive_position("a\udc80b", 3, "utf-16") == (0, 3)


# -- against the server ----------------------------------------------------------------------


async def run_random_edits(client, encoding: str, seed: int, steps: int = 200) -> None:
    rng = random.Random(seed)
    truth, version = START, 1
    open_doc(client, URI, truth)
    await assert_in_sync(client, truth, version, 0)
    step = 0
    while step < steps:
        # Sometimes several changes in one notification: each range is relative to the text
        # after the previous change, as the spec says.
        batch = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            lo, hi, new = random_edit(rng, truth)
            batch.append(change_for(truth, lo, hi, new, encoding))
            truth = truth[:lo] + new + truth[hi:]
            step += 1
        version += 1
        send(client, version, batch)
        if rng.random() < 0.1 or step >= steps:
            await assert_in_sync(client, truth, version, step)
    await assert_in_sync(client, truth, version, step)
    # The edits did not wash out the separators that must not break lines.
    assert any(ch in truth for ch in "\f\u2028\u0085")


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_edits_utf16_default(tmp_path, seed):
    async with running_server(tmp_path, fake={}) as client:
        assert client.init_result.capabilities.position_encoding in (None, "utf-16")
        await run_random_edits(client, "utf-16", seed)


async def test_random_edits_utf8_when_offered(tmp_path):
    offered = [types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8]
    async with running_server(tmp_path, fake={}, encodings=offered) as client:
        assert client.init_result.capabilities.position_encoding == "utf-8"
        state = await client.protocol.send_request_async("coderd/status", {})
        assert state.position_encoding == "utf-8"
        await run_random_edits(client, "utf-8", seed=3)


async def test_utf32_only_client_gets_utf32(tmp_path):
    utf32 = [types.PositionEncodingKind.Utf32]
    async with running_server(tmp_path, fake={}, encodings=utf32) as client:
        assert client.init_result.capabilities.position_encoding == "utf-32"
        await run_random_edits(client, "utf-32", seed=4, steps=60)


@pytest.mark.parametrize(
    "offered, chosen",
    [
        (["utf-32", "utf-8"], "utf-8"),  # UTF-8 whenever offered, even if not the first choice
        (["utf-32", "utf-16"], "utf-32"),  # else the client's first choice that we support
        (["x-unknown"], "utf-16"),
    ],
)
async def test_encoding_negotiation(tmp_path, offered, chosen):
    async with running_server(tmp_path, fake={}, encodings=offered) as client:
        assert client.init_result.capabilities.position_encoding == chosen
        state = await client.protocol.send_request_async("coderd/status", {})
        assert state.position_encoding == chosen


async def test_full_document_change_replaces_the_text(tmp_path):
    async with running_server(tmp_path, fake={}) as client:
        open_doc(client, URI, START)
        replacement = "brand new 😀\r\nsecond\rthird\f\n"
        send(client, 2, [types.TextDocumentContentChangeWholeDocument(text=replacement)])
        await assert_in_sync(client, replacement, 2, 1)
        # Incremental edits keep working on top of the replaced text, mixed in one batch
        # with another full replacement.
        batch = [
            change_for(replacement, 0, 5, "BRAND", "utf-16"),
            types.TextDocumentContentChangeWholeDocument(text="x\r\ny"),
            change_for("x\r\ny", 4, 4, "😀z", "utf-16"),
        ]
        send(client, 3, batch)
        await assert_in_sync(client, "x\r\ny😀z", 3, 2)
        # Another document is independent; closing one leaves the other.
        other = "file:///work/other.txt"
        open_doc(client, other, "other\n", language="plaintext")
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
        )
        assert await server_copy(client) is None
        assert (await server_copy(client, other)).text == "other\n"
