"""Which files of a workspace may be indexed, and the walk that finds them.

One set of rules serves the first walk and every watcher event (`WorkspaceRules`), so a file
the walk skips can never enter the index through the watcher either. A file is indexed only if
all of these hold:

* no directory on its path is vendored or generated (node_modules, .venv, build, ...), or a
  virtual environment (holds `pyvenv.cfg`);
* `.gitignore` files (the root's and nested ones) and `.git/info/exclude` do not ignore it;
  `pathspec`'s gitwildmatch semantics, the deepest matching pattern wins, and nothing inside an
  ignored directory comes back (as in git);
* its name does not look like a secret (`.env*`, keys, certificates, credentials): the design
  brief says secrets never enter a prompt, so they never enter the index;
* it is a regular file no larger than `max_file_bytes`, has no NUL byte in its first 8 KB
  (binary), is not minified (`*.min.js`, very long lines) and holds no private key block.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

log = logging.getLogger(__name__)

DEFAULT_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        "build",
        "dist",
        "target",
        "vendor",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".cache",
        ".next",
        ".nuxt",
        ".gradle",
        ".idea",
        ".eggs",
        "bower_components",
        "site-packages",
    }
)
# fnmatch patterns over the lower-cased file name.
SECRET_NAME_PATTERNS = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.p8",
    "*.ppk",
    "*.asc",
    "*.gpg",
    "*.kdbx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "credentials*",
    "*credentials.json",
    "*.credentials",
    "service-account*.json",
    "secrets.*",
    "*.secrets",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".htpasswd",
    ".pgpass",
    ".git-credentials",
    "*.tfvars",
    "*.tfstate",
)
# `id_*` files are SSH keys when they have no extension (id_foo) or are the public half.
_SSH_KEY_NAME = re.compile(r"^id_[a-z0-9_-]+(\.pub)?$")
_MINIFIED_NAME = re.compile(r"[.-]min\.(js|mjs|cjs|css)$")
_PRIVATE_KEY_MARK = b"PRIVATE KEY-----"
BINARY_SNIFF_BYTES = 8192
MAX_LINE_CHARS = 5000  # a longer line means minified or generated code


@dataclass(frozen=True)
class WalkOptions:
    max_file_bytes: int = 1_000_000  # larger files are skipped (generated data, bundles)
    # An editor opened on a home folder must not parse all of it: past this many source files
    # the index stops growing (and says so in the log).
    max_files: int = 20_000
    skipped_dirs: frozenset[str] = DEFAULT_SKIPPED_DIRS  # directory names never entered
    follow_gitignore: bool = True  # honour .gitignore files and .git/info/exclude
    extra_secret_patterns: tuple[str, ...] = field(default=())  # more fnmatch patterns


def is_secret_name(name: str, options: WalkOptions | None = None) -> bool:
    """Whether a file name looks like it holds secrets (keys, tokens, credentials)."""
    lowered = name.lower()
    patterns = SECRET_NAME_PATTERNS + (options.extra_secret_patterns if options else ())
    if _SSH_KEY_NAME.match(lowered):
        return True
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in patterns)


def content_is_indexable(data: bytes) -> bool:
    """False for binary, minified and private-key content (`data` is the whole file)."""
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return False
    if _PRIVATE_KEY_MARK in data:
        return False
    if len(data) > MAX_LINE_CHARS and max(map(len, data.split(b"\n"))) > MAX_LINE_CHARS:
        return False
    return True


class WorkspaceRules:
    """Path rules of one workspace root; thread-safe; `.gitignore` files are read lazily."""

    def __init__(self, root: Path, options: WalkOptions | None = None) -> None:
        self.root = root
        self.options = options or WalkOptions()
        self._lock = threading.Lock()
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}  # dir ("" = root) -> spec
        self._dir_verdicts: dict[str, bool] = {}  # dir -> skipped

    def invalidate(self) -> None:
        """Forget cached .gitignore files (one of them changed)."""
        with self._lock:
            self._specs.clear()
            self._dir_verdicts.clear()

    def _spec(self, directory: str) -> pathspec.GitIgnoreSpec | None:
        with self._lock:
            if directory in self._specs:
                return self._specs[directory]
        lines: list[str] = []
        base = self.root / directory if directory else self.root
        sources = [base / ".gitignore"]
        if not directory:
            sources.append(self.root / ".git" / "info" / "exclude")
        for source in sources:
            try:
                lines += source.read_text("utf-8", "replace").splitlines()
            except OSError:
                pass
        spec = _gitignore_spec(lines, base) if lines else None
        with self._lock:
            self._specs[directory] = spec
        return spec

    def _ignored_by_git(self, rel: str, is_dir: bool) -> bool:
        """The deepest .gitignore with a matching pattern decides (a negation re-includes)."""
        if not self.options.follow_gitignore:
            return False
        parts = rel.split("/")
        verdict = False
        for depth in range(len(parts)):
            directory = "/".join(parts[:depth])
            spec = self._spec(directory)
            if spec is None:
                continue
            relative = "/".join(parts[depth:]) + ("/" if is_dir else "")
            result = spec.check_file(relative)
            if result.include is not None:
                verdict = bool(result.include)
        return verdict

    def dir_skipped(self, rel_dir: str) -> bool:
        """Whether the walk must not enter `rel_dir` (or any of its parents is skipped)."""
        if not rel_dir:
            return False
        with self._lock:
            cached = self._dir_verdicts.get(rel_dir)
        if cached is not None:
            return cached
        parent, _, name = rel_dir.rpartition("/")
        skipped = (
            self.dir_skipped(parent)
            or name in self.options.skipped_dirs
            or (self.root / rel_dir / "pyvenv.cfg").is_file()
            or self._ignored_by_git(rel_dir, is_dir=True)
        )
        with self._lock:
            self._dir_verdicts[rel_dir] = skipped
        return skipped

    def path_allowed(self, rel: str) -> bool:
        """Name-level rules for a file (no disk access beyond cached .gitignore files)."""
        parent, _, name = rel.rpartition("/")
        if not name or is_secret_name(name, self.options) or _MINIFIED_NAME.search(name.lower()):
            return False
        return not self.dir_skipped(parent) and not self._ignored_by_git(rel, is_dir=False)

    def read_if_indexable(self, rel: str) -> bytes | None:
        """The file's bytes when every rule admits it, else None (missing, too big, binary...)."""
        if not self.path_allowed(rel):
            return None
        path = self.root / rel
        try:
            if path.is_symlink() and not _inside(path.resolve(), self.root):
                return None  # a link out of the workspace is not the workspace's code
            stat = path.stat()
            if not os.path.isfile(path) or stat.st_size > self.options.max_file_bytes:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        if len(data) > self.options.max_file_bytes or not content_is_indexable(data):
            return None
        return data


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root.resolve())
        return True
    except ValueError:
        return False


def walk(
    rules: WorkspaceRules,
    accept_name: Callable[[str], bool] = lambda rel: True,
    start: str = "",
) -> Iterator[str]:
    """Relative "/"-paths of files under `start` ("" = the root) that pass the name rules and
    `accept_name`, sorted per directory. Content rules (size, binary, ...) are left to
    `read_if_indexable`, so that the walk itself reads no file. Symlinked directories are not
    entered (cycles, foreign trees)."""
    if start and rules.dir_skipped(start):
        return
    stack = [start]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(rules.root / rel_dir if rel_dir else rules.root) as entries:
                listing = sorted(entries, key=lambda entry: entry.name)
        except OSError:
            continue
        subdirs = []
        for entry in listing:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not rules.dir_skipped(rel):
                        subdirs.append(rel)
                elif entry.is_file() and accept_name(rel) and rules.path_allowed(rel):
                    yield rel
            except OSError:
                continue
        stack.extend(reversed(subdirs))


def _gitignore_spec(lines: list[str], where: Path) -> pathspec.GitIgnoreSpec:
    """The patterns of a .gitignore; one git cannot read either (a lone `!`: black's tests
    keep such files on purpose) is skipped, as git skips it, and the rest still apply: one bad
    line used to stop the whole index's walk."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        readable = [line for line in lines if _readable(line)]
        log.info(
            "%s: skipped %d unreadable .gitignore pattern(s)", where, len(lines) - len(readable)
        )
        return pathspec.GitIgnoreSpec.from_lines(readable)


def _readable(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True
