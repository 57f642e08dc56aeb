"""One context build: retrieval (retrieve/) then packing (pack/), with the memos that make the
next build at the same place cheap, and the warm-up after a keystroke's parse.

While the retrieved definitions, their files' parses and the members shown are the same, the
build returns the very same PackedContext without reading or tokenising anything: the context
block at the head of the prompt then stays byte-identical, and in the KV cache. File texts,
their lines and snippet token counts (pack/counts.py) are memoised across builds.

Ownership: a ContextBuilder belongs to one session (its ContextProvider). It holds what is the
session's: per document, the last result (`last`) and `DocumentMemos` (the row index of the
names the file uses, its last blanked parse, the imports its scope was warmed for); and the
texts, lines and token counts of its tokenizer. What describes the index (resolved imports,
file shapes, fields, windows) is the index's own (index/memos.py), shared by the sessions on
it. Builds run on the service's worker and on the index's buffer thread (the look-ahead) at
once: every memo here is an `Lru` with its own lock; no build waits for another session's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from coderd.context.hints import HintInput, Hints, line_hint, receiver_hint
from coderd.context.index.extract import Import
from coderd.context.index.memos import Lru
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.pack.block import PackedContext, RepoFormat, pack
from coderd.context.pack.counts import TokenCounts
from coderd.context.pack.hint import NOTHING_SHOWN, BlockShown, ReceiverHint
from coderd.context.pack.render import Forms
from coderd.context.pack.shapes import rank_members, read_file
from coderd.context.retrieve import infer
from coderd.context.retrieve.candidates import is_type, retrieve
from coderd.context.retrieve.infer_parse import ParseMemo
from coderd.context.retrieve.receiver_text import receiver_at
from coderd.context.retrieve.recent import RecentRegions, first_difference
from coderd.context.retrieve.scope import scope_of
from coderd.context.retrieve.skeletons import near_words
from coderd.context.retrieve.usage import RowsMemo, prepare_rows, usage_of

MAX_TEXTS = 256
MAX_LINES = 64
MAX_DOCUMENTS = 8  # documents whose row index and blanked parse are kept
MAX_RESULTS = 64  # documents whose last result is kept
MAX_FORMS = 1024  # definitions whose forms are kept (pack/shapes.py; a few MB)
# A member line costs at least this many tokens (a name and its line's end): a list never
# shows more than budget // MIN_LINE_TOKENS members, whatever the tokenizer.
MIN_LINE_TOKENS = 2
WARM_SCOPE_S = 0.05  # CPU time a warm-up may spend resolving a file's imports ahead


@dataclass
class DocumentMemos:
    """What one document's builds reuse: kept per document key (its path as the editor names
    it), dropped by `forget` (didClose) or when MAX_DOCUMENTS newer documents were used."""

    rows: RowsMemo = field(default_factory=RowsMemo)
    parse: ParseMemo = field(default_factory=ParseMemo)
    scoped: tuple[Import, ...] | None = None  # the imports its scope was warmed for


class ContextBuilder:
    def __init__(self, nearby_lines: int, recent: RecentRegions) -> None:
        self.nearby_lines, self.recent = nearby_lines, recent
        self.last: Lru[str, tuple[tuple, PackedContext]] = Lru(MAX_RESULTS)  # signature, result
        self.documents: Lru[str, DocumentMemos] = Lru(MAX_DOCUMENTS)
        self._texts: Lru[tuple, str] = Lru(MAX_TEXTS)  # (index, file, version) -> disk text
        self._lines: Lru[tuple, list[str]] = Lru(MAX_LINES, versioned=True)  # (path, text) -> lines
        self.counts = TokenCounts()  # one tokenizer per provider
        self._forms: Lru[tuple, Forms] = Lru(MAX_FORMS)  # a definition's forms, by version
        # Per document, the last hint (a receiver's or a line's) and what it was made from
        # (hints.py).
        self.hints: Hints = Lru(MAX_RESULTS)

    def forget(self, key: str) -> None:
        """Drop what is kept for the document `key` (closed)."""
        self.last.pop(key)
        self.documents.pop(key)
        self.hints.pop(key)

    def document(self, key: str) -> DocumentMemos:
        return self.documents.setdefault(key, DocumentMemos)

    def warm(self, index: WorkspaceIndex, rel: str, key: str, old: str | None, text: str) -> None:
        """The next completion's work, done right after the parse of `text` landed (on the
        index's buffer thread, lookahead.py): the uses of names in the file, what its imports
        make visible (when they changed), and the parse with the line just edited blanked
        (where the cursor most likely is)."""
        symbols = index.file(rel)
        if symbols is None:  # not indexable (a pasted private key): nothing to prepare
            return
        document = self.document(key)
        prepare_rows(document.rows, text, symbols.imports)
        if document.scoped != symbols.imports:  # opened, or its imports changed
            # Their resolution, re-exports followed through barrel files: memoised in the
            # index, and the first request in a file costs most.
            scope_of(index, rel, symbols, symbols.language, time.thread_time() + WARM_SCOPE_S)
            document.scoped = symbols.imports
        if old is not None and old != text:
            row = text.count("\n", 0, first_difference(old, text))
            infer.prepare(index, rel, text, row, symbols.language, document.parse)

    def build(
        self,
        index: WorkspaceIndex,
        rel: str,
        key: str,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int,
        repo_format: RepoFormat | None,
    ) -> PackedContext:
        document = self.document(key)
        own = index.file(rel)
        usage = usage_of(text, offset, own.imports if own is not None else (), document.rows)
        candidates = retrieve(
            index,
            rel,
            text,
            offset,
            self.nearby_lines,
            recent=self.recent,
            usage=usage,
            parse_memo=document.parse,
            max_listed=budget // MIN_LINE_TOKENS,
        )

        near = near_words(text, offset)  # what an imported class's members rank by

        # Same index, same definitions, same parses of their files (a file's version changes
        # with every committed parse), same members shown: same text, without reading or
        # tokenising anything.
        signature = (
            index.identity,
            rel,
            budget,
            repo_format,
            near,  # with the members the file uses, it decides their order (rank_members)
            tuple(
                (
                    c.ref.path,
                    c.ref.definition,
                    index.version(c.ref.path),
                    tuple(
                        m.name
                        # all of them, in the order pack shows them: a list may grow whole
                        for m in rank_members(
                            index.members_in(c.ref.path, c.ref.definition.name),
                            usage.members,
                            earlier=usage.earlier,
                        )
                    )
                    if is_type(c.ref.definition)
                    else (),
                )
                for c in candidates
            ),
        )
        cached = self.last.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]

        def forms_of(file: str, shape: tuple, draw: Callable[[], Forms]) -> Forms:
            # The definitions' committed parse and the text drawn from (an open buffer's
            # own version: it changes before its parse is committed) name the forms.
            buffered = index.buffer(file)
            key = (index.identity, file, index.version(file), buffered[0] if buffered else 0)
            found = self._forms.get(key + shape)
            return found if found is not None else self._forms.put(key + shape, draw())

        packed = pack(
            candidates,
            current_path=rel,
            read=partial(self._read, index),
            members_of=index.members_in,
            tokenize=self.counts.pieces(tokenize),
            whole=self.counts.whole(tokenize),
            budget=budget,
            used_members=usage.members,
            near=near,
            earlier=usage.earlier,
            repo_format=repo_format,
            split=self._split,
            seams=self.counts.seams,
            memo=forms_of,
        )
        self.last.put(key, (signature, packed))
        return packed

    def receiver_hint(
        self,
        index: WorkspaceIndex,
        rel: str,
        key: str,
        text: str,
        offset: int,
        tokenize: Callable[[str], list[int]],
        budget: int,
        shown: BlockShown = NOTHING_SHOWN,
    ) -> ReceiverHint | None:
        """The hint for right above the cursor's line (hints.py): the members of the receiver
        before the cursor, or where a bare name is typed the names its line points at; but
        for those the context block beside it shows (`shown`). None when there is neither."""
        given = HintInput(
            index,
            rel,
            text,
            offset,
            partial(self._lines_of, index),
            partial(self._read, index),
            self.counts.hint(tokenize),
            budget,
            shown,
        )
        receiver = receiver_at(text, offset)
        if receiver is None:
            return line_hint(self.hints, key, given)
        return receiver_hint(self.hints, key, given, receiver, self.document(key).parse)

    def hint_shown(self, key: str) -> BlockShown:
        """What the block beside the document's last hint showed."""
        cached = self.hints.get(key)
        return cached[2][1] if cached is not None else NOTHING_SHOWN

    def _read(self, index: WorkspaceIndex, file: str) -> str | None:
        buffered = index.buffer_text(file)
        if buffered is not None:
            return buffered
        file_key = (index.identity, file, index.version(file))  # re-read after a change
        found = self._texts.get(file_key)
        if found is None:
            found = read_file(index.root, file)
            if found is not None:
                self._texts.put(file_key, found)
        return found

    def _split(self, file: str, content: str) -> list[str]:
        # Keyed by the text itself: exact, and cheap, since the same str objects come back
        # (from `_read`): a str caches its hash, and equality checks identity first.
        lines = self._lines.get((file, content))
        return (
            lines if lines is not None else self._lines.put((file, content), content.splitlines())
        )

    def _lines_of(self, index: WorkspaceIndex, file: str) -> list[str] | None:
        content = self._read(index, file)
        return None if content is None else self._split(file, content)
