"""The scheduler's order (newest first, sessions in turn, cancelled first) and the KV slots."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from coderd.completion.scheduler import Scheduler
from coderd.completion.sessions import SessionTable
from coderd.engine.base import CancelToken


@dataclass(frozen=True)
class Snap:
    session: str
    name: str


@dataclass
class Ticket:
    snapshot: Snap
    cancel: CancelToken = field(default_factory=CancelToken)
    prewarm: bool = False


def ticket(session: str, name: str) -> Ticket:
    return Ticket(Snap(session, name))


def drain(scheduler: Scheduler) -> list[str]:
    order = []
    while not scheduler.empty():
        order.append(scheduler.get().snapshot.name)
    return order


def test_newest_first_within_one_session():
    s = Scheduler()
    for name in ("a1", "a2", "a3"):
        s.put(ticket("A", name))
    assert drain(s) == ["a3", "a2", "a1"]


def test_sessions_take_turns_even_when_one_types_faster():
    s = Scheduler()
    for name in ("a1", "a2", "a3"):
        s.put(ticket("A", name))
    s.put(ticket("B", "b1"))
    assert s.get().snapshot.name == "b1"  # nobody served yet: the newest ticket
    s.put(ticket("B", "b2"))
    # A was not served yet and B just was: A's newest comes before B's new ticket.
    assert s.get().snapshot.name == "a3"
    assert s.get().snapshot.name == "b2"


def test_a_session_served_recently_waits_for_the_other():
    s = Scheduler()
    s.put(ticket("A", "a1"))
    assert s.get().snapshot.name == "a1"
    s.put(ticket("B", "b1"))
    s.put(ticket("A", "a2"))  # newer, but A was just served
    assert s.get().snapshot.name == "b1"
    assert s.get().snapshot.name == "a2"


def test_cancelled_tickets_are_handed_out_first_to_be_answered():
    s = Scheduler()
    live, dead = ticket("A", "live"), ticket("B", "dead")
    s.put(live)
    s.put(dead)
    dead.cancel.cancel("superseded")
    assert s.get() is dead  # its handler waits for an (empty) answer: no reason to delay it
    assert s.get() is live


def test_close_wakes_a_waiting_worker():
    s = Scheduler()
    got = []
    worker = threading.Thread(target=lambda: got.append(s.get()))
    worker.start()
    s.close()
    worker.join(2)
    assert not worker.is_alive() and got == [None]


def test_slots_are_kept_per_session_and_the_least_recent_gives_its_own_up():
    table = SessionTable(slots=2)
    forgotten: list[int] = []
    a = table.slot_for("A", forgotten.append)
    b = table.slot_for("B", forgotten.append)
    assert a != b and forgotten == []
    assert table.slot_for("A", forgotten.append) == a  # kept: no eviction
    c = table.slot_for("C", forgotten.append)  # B is the least recently served
    assert c == b and forgotten == [b]


def test_a_departed_session_frees_its_slot_at_the_next_request():
    table = SessionTable(slots=3)
    forgotten: list[int] = []
    table.attach("A", None)
    table.attach("B", None)
    table.slot_for("A", forgotten.append)
    b = table.slot_for("B", forgotten.append)
    table.detach("B")
    table.slot_for("A", forgotten.append)
    assert forgotten == [b]  # dropped at once: its cells would widen everyone's attention


def test_one_slot_means_everyone_shares_slot_zero():
    table = SessionTable(slots=1)
    assert {table.slot_for(s, lambda slot: None) for s in "ABC"} == {0}
