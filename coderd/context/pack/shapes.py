"""What a candidate can look like in the block (block.py asks, render.py draws), and the memo
that keeps those forms across builds.

A build at a new cursor position retrieves much of what the build before it did: the same
imports, the same types and lists, drawn from the same file texts. Drawing their forms (a
class of 40 members has nine, each of up to 48 member lines) was half of a first build's
time on Rust packages (chrono: 400 member lines a build), so the builder keeps them
(`FormsMemo`), keyed by what they are computed from: the file's committed version, the
definition's place and the members shown, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coderd.context.index.extract import Definition
from coderd.context.index.languages import LANGUAGES, language_for_path
from coderd.context.pack.render import Forms, forms
from coderd.context.retrieve.candidates import Candidate, is_type
from coderd.context.retrieve.skeletons import shared_words

# memo(path, key, compute): the forms for `key` in `path`'s current text, computed if new.
FormsMemo = Callable[[str, tuple, Callable[[], Forms]], Forms]


def comment_for(path: str) -> str:
    language = language_for_path(path)
    return LANGUAGES[language].line_comment if language else "#"


def rank_members(
    members: list[Definition],
    used: dict[str, int] | None,
    near: frozenset[str] = frozenset(),
    earlier: frozenset[str] = frozenset(),
) -> list[Definition]:
    """Those the current file uses first, nearest use first (those it uses only above the
    cursor's line, `earlier`, count as unused and come after them); then those whose name
    shares more words with the lines around the cursor (skeletons.near_words); then in file
    order."""
    used = used or {}
    shared = shared_words([m.name for m in members], near) if near else {}
    return sorted(
        members,
        key=lambda m: (
            99 if m.name in earlier else used.get(m.name, 99),
            m.name in earlier,
            -shared.get(m.name, 0),
            m.start_line,
        ),
    )


def forms_for(
    candidate: Candidate, cache, read, lines_of, members_of, ranking, chosen, memo=None
) -> Forms:
    """The forms `candidate` can take (render.py), [] when it cannot be shown. `cache`: this
    build's file lines by path; `chosen`: what is packed so far (a window inside it is not
    shown again); `memo`: a FormsMemo (None: drawn here)."""
    path, definition = candidate.ref.path, candidate.ref.definition

    def lines_read() -> list[str] | None:
        # Only where something is drawn: a memo hit needs no text (go-github's package lists
        # split a hundred files a build, past the lines memo's room).
        if path not in cache:
            text = read(path)
            cache[path] = lines_of(path, text) if text is not None else None
        return cache[path]

    if definition.kind == "window":  # not memoised: it depends on what is chosen so far
        lines = lines_read()
        if lines is None or any(
            item[0].ref.definition.start_line
            <= definition.start_line
            <= item[0].ref.definition.end_line
            and item[0].ref.definition.kind != "window"
            for item in chosen.get(path, ())
        ):
            return Forms()  # unreadable, or a window inside a definition already shown
        return forms(lines, definition, None, comment_for(path), False)
    # (): a type with no members of its own here (Rust impls and Go methods come as lists of
    # their own): its fields are a body, shown late. Not "pack chooses": that listed them twice.
    if candidate.members is not None:
        members, ranked = list(candidate.members), True
    elif is_type(definition):
        members, ranked = rank_members(members_of(path, definition.name), *ranking), False
    else:
        members, ranked = None, False

    def draw() -> Forms:
        lines = lines_read()
        if lines is None or definition.end_line > len(lines):
            return Forms()
        return forms(lines, definition, members, comment_for(path), ranked)

    if memo is None:
        return draw()
    # Built-in values only (the memo's reads take no lock): a definition is its place and
    # kind in this version of the file, the members their lines, in the order shown.
    key = (
        definition.start_line,
        definition.end_line,
        definition.kind,
        definition.name,
        None if members is None else tuple(m.start_line for m in members),
        ranked,
    )
    return memo(path, key, draw)


def read_file(root: Path, path: str) -> str | None:
    try:
        return (root / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
