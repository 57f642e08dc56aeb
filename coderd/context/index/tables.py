"""The maps of a workspace index: files, definitions by name and by container, folders.

Plain data, no locking: `WorkspaceIndex` (workspace.py) holds its lock around every call. A file's
entry is replaced as a whole, so each map is updated by removing what the old FileSymbols put
in and adding what the new one brings.
"""

from __future__ import annotations

import re
import sys

from coderd.context.index.extract import Definition, FileSymbols

Stamp = tuple[int, int]  # (mtime_ns, size) of the disk version indexed


class SymbolTables:
    def __init__(self) -> None:
        self.files: dict[str, FileSymbols] = {}
        self.stamps: dict[str, Stamp | None] = {}  # None for buffer content
        self.by_name: dict[str, dict[str, tuple[Definition, ...]]] = {}
        # Members by the type they belong to: Go methods and Rust impls live in any file.
        self.by_container: dict[str, dict[str, tuple[Definition, ...]]] = {}
        self.by_dir: dict[str, set[str]] = {}  # "a/b" -> indexed files directly in it
        self.by_basename: dict[str, set[str]] = {}  # "models.py" -> indexed files so named
        # How many files use each identifier: how popular a name is, for ranking the members
        # of a type that the current file does not use yet.
        self.files_using: dict[str, int] = {}
        # How many files call each member on a name (`block.parse(`): "block" -> {"parse": 3}.
        self.calls_on: dict[str, dict[str, int]] = {}
        # Top-level capitalised names of two words or more by their last word, lowercased
        # ("state" -> BlockState, InlineState): what a receiver called `state` may be.
        self.by_last_word: dict[str, dict[str, tuple[Definition, ...]]] = {}
        # Classes by the last word of each base they name ("Composer" -> pyyaml's Loader):
        # what a mixin's `self` also is.
        self.by_base: dict[str, dict[str, tuple[Definition, ...]]] = {}
        self.layout = 0  # bumped when a file appears or goes: what import resolution depends on
        # Sorted lookups (readers.py `_refs`) of by_name / by_container, by (table, key):
        # a name many files define (`new`, a trait's methods) is asked for on every request.
        self.sorted: dict[tuple[int, str], tuple] = {}

    def replace(self, rel: str, symbols: FileSymbols | None, stamp: Stamp | None) -> bool:
        """Put `symbols` (None: nothing) in place of `rel`'s entry; True if anything changed."""
        old = self.files.pop(rel, None)
        self.stamps.pop(rel, None)
        directory, _, basename = rel.rpartition("/")
        if (old is None) != (symbols is None):
            self.layout += 1
        if old is not None and symbols is None:
            for table, key in ((self.by_dir, directory), (self.by_basename, basename)):
                members = table.get(key)
                if members is not None:
                    members.discard(rel)
                    if not members:
                        del table[key]
        elif symbols is not None:
            self.by_dir.setdefault(directory, set()).add(rel)
            self.by_basename.setdefault(basename, set()).add(rel)
        for found in (old, symbols):
            for d in found.definitions if found is not None else ():
                self.sorted.pop((id(self.by_name), d.name), None)
                self.sorted.pop((id(self.by_container), d.container), None)
                self.sorted.pop((id(self.by_last_word), last_word(d)), None)
                for base in base_words(d):
                    self.sorted.pop((id(self.by_base), base), None)
        if old is not None:
            _count(self.files_using, old.identifiers, -1)
            _count_calls(self.calls_on, old.calls, -1)
            _unlink(self.by_name, rel, {d.name for d in old.definitions})
            _unlink(self.by_container, rel, {d.container for d in old.definitions if d.container})
            _unlink(self.by_last_word, rel, {last_word(d) for d in old.definitions} - {""})
            _unlink(self.by_base, rel, {b for d in old.definitions for b in base_words(d)})
        if symbols is not None:
            self.files[rel] = symbols
            self.stamps[rel] = stamp
            _count(self.files_using, symbols.identifiers, 1)
            _count_calls(self.calls_on, symbols.calls, 1)
            _link(self.by_name, rel, symbols.definitions, lambda d: d.name)
            _link(
                self.by_container,
                rel,
                (d for d in symbols.definitions if d.container),
                lambda d: d.container,
            )
            _link(
                self.by_last_word, rel, (d for d in symbols.definitions if last_word(d)), last_word
            )
            for base in {b for d in symbols.definitions for b in base_words(d)}:
                self.by_base.setdefault(base, {})[rel] = tuple(
                    d for d in symbols.definitions if base in base_words(d)
                )
        return old is not None or symbols is not None


NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")  # `BlockState` -> Block, State


def last_word(definition: Definition) -> str:
    """The last word, lowercased, of a top-level capitalised name of two words or more."""
    name = definition.name
    if definition.container or not name[:1].isupper():
        return ""
    words = NAME_WORDS.findall(name)
    return words[-1].lower() if len(words) > 1 else ""


def base_words(definition: Definition) -> set[str]:
    """The last words of a class's bases (`namespaces.dc.Namespace` -> Namespace)."""
    if definition.kind != "class":
        return set()
    return {re.split(r"[.:]", b.split("[", 1)[0].split("<", 1)[0])[-1] for b in definition.bases}


def _count(table: dict[str, int], names, step: int) -> None:
    for name in names:
        count = table.get(name, 0) + step
        if count > 0:
            table[name] = count
        else:
            table.pop(name, None)


def _count_calls(table: dict[str, dict[str, int]], calls, step: int) -> None:
    for call in calls:
        receiver, _, member = call.partition(".")
        _count(table.setdefault(receiver, {}), (member,), step)
        if not table[receiver]:
            del table[receiver]


def _unlink(table: dict[str, dict[str, tuple]], rel: str, keys: set[str]) -> None:
    for key in keys:
        owners = table.get(key)
        if owners is not None:
            owners.pop(rel, None)
            if not owners:
                del table[key]


def _link(table: dict[str, dict[str, tuple]], rel: str, definitions, key_of) -> None:
    grouped: dict[str, list[Definition]] = {}
    for definition in definitions:
        grouped.setdefault(key_of(definition), []).append(definition)
    for key, found in grouped.items():
        table.setdefault(key, {})[rel] = tuple(found)


def estimate_bytes(files: dict[str, FileSymbols]) -> int:
    """Rough: container and string sizes, each interned string counted once."""
    seen: set[int] = set()
    total = sys.getsizeof(files)

    def measure(obj) -> int:
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        return sys.getsizeof(obj)

    for rel, symbols in files.items():
        total += measure(rel) + measure(symbols) + measure(symbols.identifiers)
        total += sum(measure(name) for name in symbols.identifiers)
        total += measure(symbols.calls) + sum(measure(call) for call in symbols.calls)
        total += measure(symbols.definitions) + measure(symbols.imports)
        for d in symbols.definitions:
            total += measure(d) + measure(d.name) + measure(d.signature) + measure(d.doc)
            total += measure(d.returns) + measure(d.bases)
        for i in symbols.imports:
            total += measure(i) + measure(i.module) + measure(i.names)
    return total
