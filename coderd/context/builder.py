"""One context build: retrieval (retrieve.py) then packing (pack.py), with the memos that
make the next build at the same place cheap.

While the retrieved definitions, their files' parses and the members shown are the same, the
build returns the very same PackedContext without reading or tokenising anything: the context
block at the head of the prompt then stays byte-identical, and in the KV cache. File texts and
snippet token counts are memoised across builds (the same snippets come back request after
request, and the model's tokenizer costs a tenth of a millisecond per call, whatever the length).

Callers serialise builds (lookahead.py `BUILD_LOCK`): the service's worker and the index's
buffer thread (the look-ahead) both build.
"""

from __future__ import annotations

from collections.abc import Callable

from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.pack.block import PackedContext, RepoFormat, pack, read_file, select_members
from coderd.context.retrieve.candidates import is_type, retrieve, usage_of
from coderd.context.retrieve.recent import RecentRegions

MAX_TEXTS = 256
MAX_TOKENIZED = 8192


class ContextBuilder:
    def __init__(self, nearby_lines: int, recent: RecentRegions) -> None:
        self.nearby_lines, self.recent = nearby_lines, recent
        self.last: dict[str, tuple[tuple, PackedContext]] = {}  # per document: signature, result
        self._texts: dict[tuple, str | None] = {}
        self._tokens: dict[str, list[int]] = {}  # one tokenizer per provider (its model's)

    def forget(self, key: str) -> None:
        self.last.pop(key, None)

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
        own = index.file(rel)
        usage = usage_of(text, offset, own.imports if own is not None else ())
        candidates = retrieve(
            index, rel, text, offset, self.nearby_lines, recent=self.recent, usage=usage
        )

        def members_of(file: str, container: str):
            symbols = index.file(file)
            return [d for d in symbols.definitions if d.container == container] if symbols else []

        # Same definitions, same parsed files (FileSymbols objects are replaced on every
        # re-parse), same members shown: same text, without reading or tokenising anything.
        signature = (
            rel,
            budget,
            repo_format,
            tuple(
                (
                    c.ref.path,
                    c.ref.definition,
                    id(index.file(c.ref.path)),
                    tuple(
                        m.name
                        for m in select_members(
                            members_of(c.ref.path, c.ref.definition.name), usage.members
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

        def read(file: str) -> str | None:
            buffered = index.buffer_text(file)
            if buffered is not None:
                return buffered
            file_key = (index.root, file, id(index.file(file)))  # re-parsed on every change on disk
            if file_key not in self._texts:
                if len(self._texts) > MAX_TEXTS:
                    self._texts.clear()
                self._texts[file_key] = read_file(index.root, file)
            return self._texts[file_key]

        def count(snippet: str) -> list[int]:
            ids = self._tokens.get(snippet)
            if ids is None:
                if len(self._tokens) > MAX_TOKENIZED:
                    self._tokens.clear()
                ids = self._tokens[snippet] = tokenize(snippet)
            return ids

        packed = pack(
            candidates,
            current_path=rel,
            read=read,
            members_of=members_of,
            tokenize=count,
            budget=budget,
            used_members=usage.members,
            repo_format=repo_format,
        )
        self.last[key] = (signature, packed)
        return packed
