"""llama.cpp's own verdict on a GGUF's structure, without its weights in memory.

A vocabulary-only load (what validate.py uses for the FIM markers) stops before the
hyperparameters and the tensors, so a file with a tensor missing or zero attention heads
passed `coderd models add` and was refused only when the engine loaded it. Here llama.cpp
loads the file with `no_alloc`: it reads the hyperparameters, the vocabulary and every
tensor's name, type and shape, checks them against what the architecture needs (the same
`check_tensor_dims` a real load runs), but allocates no weight buffers and reads no tensor
data. `load_mode` must be NONE: llama.cpp asserts `!no_alloc` on its mmap path and aborts
the process. Measured peak RSS of the checking process (interpreter, llama.cpp and the
32k-token vocabulary included): 52 MiB for the 18 MB tiny test model and the same 52 MiB for
the 69 MB "small" one; a real load of either costs its weights on top (+18 and +71 MB over a
vocabulary-only load, mmap'd or read). tests/models/test_model_checks.py holds it to that.

The load runs in a child process: a crafted file can trip an assertion inside llama.cpp,
which aborts the process it runs in; `models add` must then still answer in one line.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The child reports on its last stdout line, prefixed so that nothing else llama.cpp might
# print there is taken for the answer.
ANSWER = "coderd-structure:"
TIMEOUT_S = 120  # tensor infos only; a 30 GB model's header takes well under a second
CHILD = (
    "import sys; sys.path = [p for p in sys.path if p not in ('', '.')]; "
    "from coderd.models.structure import child_main; sys.exit(child_main(sys.argv[1]))"
)


class StructureError(ValueError):
    pass


@dataclass(frozen=True)
class StructureReport:
    peak_rss_kib: int  # the checking process's own peak (VmHWM), interpreter included


def check_structure(path: Path) -> StructureReport:
    """Have llama.cpp load `path`'s hyperparameters and tensor infos; StructureError says why
    it refuses them (its own reason), or that it crashed on the file."""
    # cwd "/": the child never imports a module lying beside the model or the user.
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(Path(path).resolve())],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT_S,
            cwd="/",
        )
    except subprocess.TimeoutExpired:
        raise StructureError(
            f"{path}: llama.cpp took over {TIMEOUT_S} s to read its tensor table"
        ) from None
    answer = next(
        (
            line[len(ANSWER) :]
            for line in reversed(done.stdout.splitlines())
            if line.startswith(ANSWER)
        ),
        None,
    )
    if answer is None:
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        logging.getLogger(__name__).error("structure check of %s: %s %s", path, how, tail[0])
        raise StructureError(
            f"{path}: llama.cpp crashed reading this file ({how}); not a usable model"
        )
    result = json.loads(answer)
    if not result["ok"]:
        raise StructureError(f"{path}: llama.cpp refuses it: {result['reason']}")
    return StructureReport(peak_rss_kib=int(result["peak_rss_kib"]))


class _Collect(logging.Handler):
    """Keeps llama.cpp's error lines (routed to "coderd.llama" by runtime.init_backend)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _reason(lines: list[str]) -> str:
    """llama.cpp's "error loading model: X" -> X; else its last error line."""
    for line in reversed(lines):
        _, sep, why = line.partition("error loading model: ")
        if sep:
            return " ".join(why.split())  # its shapes come padded for a table
    return (
        " ".join(lines[-1].split())
        if lines
        else "llama.cpp could not load the model (no reason given)"
    )


def _peak_rss_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes


def load_without_weights(path: str) -> str | None:
    """In this process: None when llama.cpp accepts the structure, else its reason."""
    import llama_cpp

    from coderd.engine.llama.model import init_backend

    init_backend()
    collect = _Collect()
    logger = logging.getLogger("coderd.llama")
    logger.addHandler(collect)
    try:
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = 0
        params.no_alloc = True
        params.load_mode = llama_cpp.LLAMA_LOAD_MODE_NONE
        params.use_extra_bufts = False  # repacked CPU buffers would be allocated for real
        handle = llama_cpp.llama_model_load_from_file(path.encode(), params)
    finally:
        logger.removeHandler(collect)
    if not handle:
        return _reason(collect.lines)
    llama_cpp.llama_model_free(handle)
    return None


def child_main(path: str) -> int:
    # llama.cpp's log lines go to the logger, and so no further than this process.
    logging.getLogger("coderd").propagate = False
    try:
        reason = load_without_weights(path)
    except Exception as exc:  # the child must always answer; the parent prints one line
        reason = f"{type(exc).__name__}: {exc}"
    answer = {"ok": reason is None, "reason": reason, "peak_rss_kib": _peak_rss_kib()}
    sys.stdout.write(ANSWER + json.dumps(answer) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip llama.cpp's static destructors: nothing left to clean up
