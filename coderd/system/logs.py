"""Logging for coderd: a rotating file, optionally stderr, and never stdout.

In stdio mode stdout carries the LSP JSON-RPC stream, so a single stray byte there
corrupts the editor's connection. Everything coderd logs goes under the "coderd"
logger; llama.cpp's own messages are routed into "coderd.llama" by
`route_llama_cpp_logs`, because by default llama.cpp (and llama_cpp's import-time
callback) prints them to stderr, where some editors show them as errors.

The "coderd" logger does not propagate to the root logger once set up: a library
that calls logging.basicConfig(stream=sys.stdout) must not be able to pull our
records onto stdout.
"""

from __future__ import annotations

import ctypes
import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from typing import Any

from coderd.system import paths

LOGGER_NAME = "coderd"
LLAMA_LOGGER_NAME = "coderd.llama"
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
MAX_LOG_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 3

# Marks the handlers setup_logging installed, so a second call replaces them
# instead of adding duplicates, and shutdown_logging removes only ours.
_OWNED_HANDLER_FLAG = "_coderd_owned"
_fallback_reported = False


def setup_logging(level: str, *, log_path: Path | None = None, also_stderr: bool = False) -> Path:
    """Send the "coderd" logger to a rotating file (and stderr if asked); return the file's path.

    `level` is a name such as "info" (any case); an unknown name means INFO. Calling
    again replaces the handlers from the previous call, so a changed level or path
    takes effect and nothing is logged twice. When the log directory or file cannot
    be created, logging goes to stderr instead and says so once per process; the
    path returned is then the one that could not be used.
    """
    global _fallback_reported
    log_path = paths.log_file() if log_path is None else Path(log_path)
    logger = logging.getLogger(LOGGER_NAME)
    shutdown_logging()
    logger.setLevel(logging.getLevelName(level.upper()) if _is_level_name(level) else logging.INFO)
    logger.propagate = False
    formatter = logging.Formatter(LOG_FORMAT)

    file_error: OSError | None = None
    try:
        paths.ensure_dir(log_path.parent)
        file_handler = logging.handlers.RotatingFileHandler(
            log_path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
        _install(logger, file_handler, formatter)
    except OSError as exc:
        file_error = exc

    if also_stderr or file_error is not None:
        _install(logger, logging.StreamHandler(sys.stderr), formatter)
    if file_error is not None and not _fallback_reported:
        _fallback_reported = True
        # At least WARNING, but never below the threshold: "error" must not hide it.
        notice_level = max(logging.WARNING, logger.getEffectiveLevel())
        logger.log(
            notice_level,
            "cannot write the log file %s (%s); logging to stderr",
            log_path,
            file_error,
        )
    return log_path


def shutdown_logging() -> None:
    """Remove and close the handlers setup_logging installed (flushes the file)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        if getattr(handler, _OWNED_HANDLER_FLAG, False):
            logger.removeHandler(handler)
            handler.close()


def _is_level_name(level: str) -> bool:
    return isinstance(logging.getLevelName(level.upper()), int)


def _install(
    logger: logging.Logger, handler: logging.Handler, formatter: logging.Formatter
) -> None:
    handler.setFormatter(formatter)
    setattr(handler, _OWNED_HANDLER_FLAG, True)
    logger.addHandler(handler)


# enum ggml_log_level as in the ggml.h that llama-cpp-python 0.3.36 ships: 0 none,
# 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous message. (The
# comment in llama_cpp/_logger.py lists an older order, 1 info .. 4 debug; following
# it would log load errors as DEBUG.) "none" is unlabelled output: treat it as info.
_GGML_TO_LOGGING = {
    0: logging.INFO,
    1: logging.DEBUG,
    2: logging.INFO,
    3: logging.WARNING,
    4: logging.ERROR,
}
_GGML_LOG_CONT = 5


class _LlamaLogForwarder:
    """Reassembles llama.cpp's log fragments into lines and logs each line once.

    llama.cpp sends most messages with a trailing newline, but progress output
    arrives as fragments (dots, then a newline) flagged as continuations; those
    are joined so the log file gets whole lines at the first fragment's level.
    """

    def __init__(self) -> None:
        self.logger = logging.getLogger(LLAMA_LOGGER_NAME)
        self.pending = ""
        self.pending_level = logging.INFO
        self.lock = threading.Lock()

    def __call__(self, ggml_level: int, text: bytes | None, _user_data: Any) -> None:
        # An exception escaping a ctypes callback is printed to stderr by ctypes,
        # which is exactly the output this exists to prevent.
        try:
            self.receive(ggml_level, (text or b"").decode("utf-8", errors="replace"))
        except Exception:
            pass

    def receive(self, ggml_level: int, text: str) -> None:
        with self.lock:
            if ggml_level != _GGML_LOG_CONT:
                self._emit_pending()
                self.pending_level = _GGML_TO_LOGGING.get(ggml_level, logging.INFO)
            self.pending += text
            *lines, self.pending = self.pending.split("\n")
            for line in lines:
                self._emit(line)

    def _emit_pending(self) -> None:
        if self.pending:
            self._emit(self.pending)
            self.pending = ""

    def _emit(self, line: str) -> None:
        if line.strip():
            self.logger.log(self.pending_level, "%s", line.rstrip())


# The ctypes function object must outlive every call llama.cpp makes to it: if it
# were garbage-collected, llama.cpp would call freed memory.
_llama_log_callback: Any = None


def route_llama_cpp_logs() -> None:
    """Send llama.cpp's log output to the "coderd.llama" logger instead of stderr.

    Replaces the callback llama_cpp installs when imported (llama_cpp._logger prints
    to stderr). Safe to call more than once. Raises ImportError when llama_cpp is not
    installed or its shared library cannot be loaded.
    """
    global _llama_log_callback
    import llama_cpp  # lazily: importing it loads the shared library

    if _llama_log_callback is None:
        _llama_log_callback = llama_cpp.llama_log_callback(_LlamaLogForwarder())
    llama_cpp.llama_log_set(_llama_log_callback, ctypes.c_void_p(0))
