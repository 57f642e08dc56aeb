"""Freed memory goes back to the system after a close (system/memory.py, issue #11 item 3)."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import Future

import pytest

from coderd.system.memory import FreedMemory, daemon_environment, glibc_malloc_trim


class Recorder:
    def __init__(self) -> None:
        self.calls: list[int] = []
        self.called = threading.Event()

    def __call__(self, pad: int) -> int:
        self.calls.append(pad)
        self.called.set()
        return 1


def test_the_trim_waits_for_the_index_to_let_go():
    trim = Recorder()
    freed = FreedMemory(trim)
    cleared: Future = Future()
    freed.release_after(cleared)
    assert not trim.called.wait(0.2)  # the index still holds the buffer
    cleared.set_result(None)
    assert trim.called.wait(5)
    assert trim.calls == [0]


def test_nothing_to_wait_for_trims_at_once():
    trim = Recorder()
    FreedMemory(trim).release_after(None)
    assert trim.called.wait(5)


def test_without_a_trim_nothing_is_done():
    freed = FreedMemory(None)
    freed.release_after(None)
    assert not freed.available and freed.trims == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc")
def test_glibc_has_a_trim_that_runs():
    trim = glibc_malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)


def test_the_daemon_gets_the_c_allocator_unless_the_user_chose():
    assert daemon_environment({"HOME": "/h"}) == {"HOME": "/h", "PYTHONMALLOC": "malloc"}
    assert daemon_environment({"PYTHONMALLOC": "pymalloc"})["PYTHONMALLOC"] == "pymalloc"
