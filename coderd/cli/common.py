"""What several `coderd` commands share: settings with a `--model` override, the workspace of a
file, and FILE:LINE:COL locations (counted with the LSP's line breaks, as editors count them).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from coderd.config.settings import LoadedSettings, load_settings
from coderd.positions import UTF32, LineIndex, PositionError
from coderd.system.logs import setup_logging

# A one-shot command waits this long for the workspace index before completing without it.
INDEX_WAIT_S = 60
# ... and at most this long for the engine's worker to stop (a prompt chunk in progress, the
# model's close) before it exits.
WORKER_EXIT_S = 30


def settings_for_cli(model: Path | None) -> LoadedSettings:
    loaded = load_settings()
    if model is not None:
        settings = loaded.settings
        loaded = replace(
            loaded, settings=replace(settings, model=replace(settings.model, path=str(model)))
        )
    # The log file gets everything; the terminal only what the command prints itself.
    setup_logging(loaded.settings.log.level)
    for problem in loaded.problems:
        print(f"coderd: configuration: {problem}", file=sys.stderr)
    return loaded


def workspace_of(path: Path) -> Path:
    """The nearest folder above `path` holding .git, else the file's own folder."""
    here = path.resolve().parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def parse_location(location: str) -> tuple[Path, int, int]:
    try:
        file, line, col = location.rsplit(":", 2)
        return Path(file), int(line), int(col)
    except ValueError:
        raise SystemExit(f"coderd: expected FILE:LINE:COL (1-based), got {location!r}") from None


def offset_of(text: str, line: int, col: int) -> int:
    """1-based LINE and COL (code points) to an offset. Lines end at \\n, \\r\\n or \\r only, as
    in the LSP: a form feed, \\v or U+2028 inside a line does not start a new one (Python's
    str.splitlines() would, and the suggestion would land on another line than the editor's)."""
    index = LineIndex.of(text)
    try:
        return index.offset(line - 1, max(col - 1, 0), UTF32)
    except PositionError:
        raise SystemExit(
            f"coderd: line {line} is outside the file (1..{index.line_count})"
        ) from None


def fail(message: str) -> int:
    """A command's failure: one line on stderr, exit status 1."""
    print(f"coderd: {message}", file=sys.stderr)
    return 1
