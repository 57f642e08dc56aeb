"""How many CPU threads llama.cpp decodes with: as many as the cores other programs leave free.

llama.cpp's threads meet at a barrier after every graph node, so a decode runs at the pace of
its slowest thread. When another program keeps a core busy (a build, a browser, the test
suite), one of coderd's threads keeps losing its core and every token waits for it: on the
2-core reference machine with other jobs running, a request took 31 s with 2 threads and 17 s
with 1 (bench/README.md, "Decode threads"). With the cores free, 2 threads are faster. So with
`model.threads = 0` (automatic) the engine looks, before each request, at how much CPU the
rest of the machine used since it last looked (/proc/stat less this process's own time) and
decodes with the cores left, never more than the physical cores. A configured count is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

# A decision holds at least this long: a shorter look sees one burst, not the machine's state.
MIN_LOOK_S = 1.0


@dataclass(frozen=True)
class CpuReading:
    at: float  # seconds, monotonic
    machine_busy_s: float  # CPU seconds every core spent outside idle and iowait
    own_s: float  # CPU seconds this process spent (all its threads)


def read_cpu() -> CpuReading:
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    busy = sum(t) - idle - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
    own = psutil.Process().cpu_times()
    return CpuReading(time.monotonic(), busy, own.user + own.system)


class ThreadGovernor:
    """Chooses the decode threads from the cores the rest of the machine leaves free."""

    def __init__(
        self,
        most: int,
        cores: int | None = None,
        read: Callable[[], CpuReading] = read_cpu,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.most = max(1, most)  # the physical cores: more threads only contend
        self.cores = cores or psutil.cpu_count(logical=True) or self.most
        self._read = read
        self._clock = clock  # the same clock as CpuReading.at: no reading for a short look
        self._last = read()
        self.threads = self.most
        self.others = 0.0  # cores the rest of the machine used over the last look

    def choose(self) -> int:
        """The thread count for the next request (the last one if the look is too short)."""
        if self._clock() - self._last.at < MIN_LOOK_S:
            return self.threads
        now = self._read()
        span = now.at - self._last.at
        others = (now.machine_busy_s - self._last.machine_busy_s) - (now.own_s - self._last.own_s)
        self._last = now
        self.others = max(0.0, others / span)
        free = self.cores - self.others
        # A core more than half taken by others is not ours: rounding gives it to them.
        self.threads = max(1, min(self.most, math.floor(free + 0.5)))
        return self.threads
