"""Which language a file is in, and tree-sitter parsers and queries for it.

Grammars come from the official per-language wheels (tree-sitter-python, ...), which bundle the
compiled parser. We never use tree-sitter-language-pack: it downloads parsers at first use and
fails offline (design brief, "Grammars").

Threading: a `tree_sitter.Parser` keeps per-parse state and must not be shared between threads,
so parsers are cached per thread. `Language` and compiled `Query` objects are immutable once built
and are shared; each query run gets its own `QueryCursor`.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

import tree_sitter


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """How to load one grammar: the wheel's module and its language function."""

    name: str
    module: str
    function: str = "language"
    # The comment syntax of the language, for prompt headers later ("# path" vs "// path").
    line_comment: str = "//"
    # The query file under queries/, without ".scm"; None means the language's own name.
    query_file: str | None = None


LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", "tree_sitter_python", line_comment="#"),
        LanguageSpec("javascript", "tree_sitter_javascript"),
        LanguageSpec("typescript", "tree_sitter_typescript", "language_typescript"),
        LanguageSpec("tsx", "tree_sitter_typescript", "language_tsx", query_file="typescript"),
        LanguageSpec("go", "tree_sitter_go"),
        LanguageSpec("rust", "tree_sitter_rust"),
        LanguageSpec("java", "tree_sitter_java"),
        LanguageSpec("c", "tree_sitter_c"),
        LanguageSpec("cpp", "tree_sitter_cpp"),
    )
}

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",  # the JavaScript grammar parses JSX
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    # .h is shared by C and C++. The C++ grammar reads nearly all C headers correctly, while the
    # C grammar loses every class in a C++ header, so the safer choice is C++.
    ".h": "cpp",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".ipp": "cpp",
    ".inl": "cpp",
}

# LSP languageId values that differ from our names (for buffers whose path has no extension).
LSP_LANGUAGE_IDS: dict[str, str] = {
    "javascriptreact": "javascript",
    "typescriptreact": "tsx",
}


def language_for_path(path: str) -> str | None:
    """The language of a file from its name, or None when we do not index it."""
    name = path[path.rfind("/") + 1 :]
    dot = name.rfind(".")  # as PurePosixPath.suffix: a leading dot (".bashrc") is no suffix
    return EXTENSIONS.get(name[dot:].lower()) if dot > 0 else None


# The languageId an editor sends for a file extension, where it is not our language name (tsx)
# or the language is not one we index (the completion policy still knows its block words).
_LSP_IDS_BY_NAME = {"tsx": "typescriptreact"}
_LSP_IDS_BY_EXTENSION = {
    "rb": "ruby", "jl": "julia", "lua": "lua", "sh": "shellscript", "bash": "shellscript",
    "kt": "kotlin", "cs": "csharp", "php": "php", "swift": "swift", "scala": "scala",
    "dart": "dart", "html": "html", "htm": "html", "xml": "xml", "vue": "vue",
    "svelte": "svelte", "md": "markdown", "yml": "yaml", "yaml": "yaml", "json": "json",
    "jsx": "javascriptreact",
}  # fmt: skip


def lsp_language_id(path: str) -> str:
    """The LSP languageId an editor would send for `path` (the CLI and `coderd eval` have no
    editor to ask): the file's extension when nothing better is known."""
    name = path[path.rfind("/") + 1 :]
    dot = name.rfind(".")
    extension = name[dot + 1 :].lower() if dot > 0 else ""
    if extension in _LSP_IDS_BY_EXTENSION:
        return _LSP_IDS_BY_EXTENSION[extension]
    ours = language_for_path(name)
    return _LSP_IDS_BY_NAME.get(ours, ours) if ours else extension


def language_for_lsp_id(language_id: str) -> str | None:
    """Our language name for an LSP languageId, or None."""
    name = LSP_LANGUAGE_IDS.get(language_id, language_id)
    return name if name in LANGUAGES else None


@cache
def ts_language(name: str) -> tree_sitter.Language:
    """The tree-sitter Language for `name` (loaded from its wheel once per process)."""
    spec = LANGUAGES[name]
    module = importlib.import_module(spec.module)
    return tree_sitter.Language(getattr(module, spec.function)())


_query_lock = threading.Lock()
_queries: dict[str, tree_sitter.Query | None] = {}


def query_source(name: str) -> str:
    """The text of the language's query file (`queries/<file>.scm`, shipped as package data)."""
    file = LANGUAGES[name].query_file or name
    return (
        resources.files("coderd.context.index.queries").joinpath(f"{file}.scm").read_text("utf-8")
    )


def ts_query(name: str) -> tree_sitter.Query:
    """The compiled query for `name` (definitions and imports); compiling takes milliseconds,
    so it is done once."""
    return _compiled(name, identifiers=False)


def identifier_query(name: str) -> tree_sitter.Query:
    """The `@identifier` patterns of the language's query file, compiled on their own: one
    `captures()` call collects them all, where a match per identifier would cost Python work
    for each of the tens of thousands in a big file."""
    return _compiled(name, identifiers=True)


def _compiled(name: str, identifiers: bool) -> tree_sitter.Query:
    key = f"{name}:{'identifiers' if identifiers else 'symbols'}"
    with _query_lock:
        query = _queries.get(key)
        if query is None:
            lines = query_source(name).splitlines()
            chosen = [line for line in lines if _is_identifier_pattern(line) == identifiers]
            query = _queries[key] = tree_sitter.Query(ts_language(name), "\n".join(chosen))
        return query


def _is_identifier_pattern(line: str) -> bool:
    """`(identifier) @identifier`, `[(identifier) (type_identifier)] @identifier`: one line each."""
    text = line.strip()
    return text.startswith(("(", "[")) and text.endswith("@identifier")


def types_query(name: str) -> tree_sitter.Query | None:
    """The compiled type-inference query (`queries/<file>-types.scm`, see infer.py), or None
    for a language that has none."""
    key = f"{name}-types"
    with _query_lock:
        if key not in _queries:
            file = resources.files("coderd.context.index.queries").joinpath(
                f"{LANGUAGES[name].query_file or name}-types.scm"
            )
            _queries[key] = (
                tree_sitter.Query(ts_language(name), file.read_text("utf-8"))
                if file.is_file()
                else None
            )
        return _queries[key]


_thread_parsers = threading.local()


def parser_for(name: str) -> tree_sitter.Parser:
    """A parser for `name` owned by the calling thread (parsers are not thread-safe)."""
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_thread_parsers, "parsers", None)
    if parsers is None:
        parsers = _thread_parsers.parsers = {}
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = tree_sitter.Parser(ts_language(name))
    return parser
