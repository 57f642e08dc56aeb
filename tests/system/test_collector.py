"""The paced garbage collector (coderd/system/collector.py): Python's full collections put off
while installed, run by `idle()` once due, and by the completion worker between tickets."""

from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import pytest

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import load_settings
from coderd.system.collector import SAFETY_FACTOR, IdleCollector
from coderd.testing.fake_engine import Rule, ScriptedEngine


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


@pytest.fixture
def restored_thresholds():
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def garbage_in_the_oldest_generation() -> weakref.ref:
    """A cycle that became garbage after young collections moved it to the oldest generation
    (a cache entry let go of): no young collection frees it any more."""
    holder = [Node()]
    gc.collect(1)  # survives twice: now in the oldest generation
    gc.collect(1)
    ref = weakref.ref(holder[0])
    holder.clear()
    return ref


def make_full_collection_due(keep: list) -> None:
    """What makes Python start a full collection: the oldest generation grown by a quarter,
    ten young-generation collections since the last full one."""
    keep.append([[] for _ in range(len(gc.get_objects(generation=2)) // 3 + 1000)])
    for _ in range(gc.get_threshold()[2] or 10):
        gc.collect(1)


def test_install_puts_off_full_collections_and_uninstall_gives_them_back(restored_thresholds):
    young, middle, old = restored_thresholds
    collector = IdleCollector()
    collector.install()
    assert gc.get_threshold() == (young, middle, old * SAFETY_FACTOR)
    collector.uninstall()
    assert gc.get_threshold() == restored_thresholds
    IdleCollector(paced=False).install()  # the CLI's and tests': Python keeps its pace
    assert gc.get_threshold() == restored_thresholds


def test_idle_runs_the_full_collection_once_python_would_have(restored_thresholds):
    collector = IdleCollector()
    collector.install()
    keep: list = []
    try:
        assert collector.idle() is None  # nothing due yet: no walk of the oldest generation
        ref = garbage_in_the_oldest_generation()
        make_full_collection_due(keep)
        assert ref() is not None  # young collections left it
        assert collector.due()
        assert collector.idle() is not None
        assert ref() is None
        assert collector.collections == 1 and not collector.due()
    finally:
        collector.uninstall()


def test_not_installed_it_never_collects(restored_thresholds):
    collector = IdleCollector(paced=False)
    collector.install()
    keep: list = []
    make_full_collection_due(keep)
    assert collector.idle() is None and collector.collections == 0


@pytest.fixture
def paced_service(restored_thresholds):
    settings = load_settings(
        config_path=Path("/nonexistent"),
        environ={},
        init_options={
            "completion": {"latency_target_ms": 0, "speculate": False},
            "context": {"enabled": False},
        },
    ).settings
    engine = ScriptedEngine(rules=[Rule("", ("1",))])
    service = CompletionService(settings, lambda _s: engine, paced_collection=True)
    service.start()
    service.model_ready.result(timeout=10)
    yield service
    service.shutdown()
    service.join(5)
    assert gc.get_threshold() == restored_thresholds  # the worker gave Python its pace back


def collections_after(service: CompletionService, before: int, wait_s: float) -> int:
    deadline = time.monotonic() + wait_s
    while service.collector.collections == before and time.monotonic() < deadline:
        time.sleep(0.01)
    return service.collector.collections


def test_the_worker_collects_between_tickets(paced_service, restored_thresholds):
    service = paced_service
    assert gc.get_threshold()[2] == restored_thresholds[2] * SAFETY_FACTOR
    keep: list = []
    ref = garbage_in_the_oldest_generation()
    make_full_collection_due(keep)
    before = service.collector.collections
    ticket = service.submit(DocumentSnapshot("file:///a.py", "x = ", 4, "python"))
    assert ticket.future.result(timeout=10).status == "ok"
    assert collections_after(service, before, 5) > before  # no keys typed: at once
    assert ref() is None
    assert service.status()["collector"]["paced"] is True


def test_while_keys_come_the_collection_waits_for_the_pause(paced_service):
    service, key = paced_service, "file:///b.py"
    keep: list = []
    gap_s = 0.3
    for _ in range(4):  # a typing rhythm: a key every 0.3 s
        service.edited(key)
        time.sleep(gap_s)
    service.edited(key)
    make_full_collection_due(keep)
    before = service.collector.collections
    typed = time.monotonic()
    ticket = service.submit(DocumentSnapshot(key, "x = ", 4, "python"))
    assert ticket.future.result(timeout=10).status == "ok"
    # Answered well before the pause (1.5 gaps after the last key): nothing yet.
    assert time.monotonic() - typed < gap_s
    assert collections_after(service, before, 0.1) == before
    assert collections_after(service, before, 5) > before  # the user paused: now
    assert time.monotonic() - typed >= 1.4 * gap_s
