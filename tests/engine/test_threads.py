"""Decode threads from the cores the rest of the machine leaves free (llama/threads.py)."""

from __future__ import annotations

from pathlib import Path

import llama_cpp

from coderd.config.settings import load_settings
from coderd.engine.base import CancelToken, FimPrompt, GenerationLimits
from coderd.engine.llama.engine import EngineOptions, LlamaEngine
from coderd.engine.llama.threads import CpuReading, ThreadGovernor, read_cpu
from coderd.models.loader import engine_options


class Machine:
    """CPU readings as /proc/stat would give them: each `run` advances the clock."""

    def __init__(self) -> None:
        self.at = self.busy = self.own = 0.0

    def run(self, seconds: float, others_cores: float, own_cores: float = 0.0) -> None:
        self.at += seconds
        self.busy += seconds * (others_cores + own_cores)
        self.own += seconds * own_cores

    def read(self) -> CpuReading:
        return CpuReading(self.at, self.busy, self.own)


def governor(machine: Machine, most: int = 2, cores: int = 2) -> ThreadGovernor:
    return ThreadGovernor(most, cores=cores, read=machine.read, clock=lambda: machine.at)


def test_the_cores_other_programs_take_are_left_to_them() -> None:
    machine = Machine()
    g = governor(machine)
    machine.run(2.0, others_cores=0.1)
    assert g.choose() == 2  # a quiet machine: every physical core
    machine.run(2.0, others_cores=1.0)  # a build keeps one core busy
    assert g.choose() == 1
    machine.run(2.0, others_cores=0.4)  # less than half a core: still ours
    assert g.choose() == 2
    machine.run(2.0, others_cores=7.0)  # far more than the machine has: one thread, not none
    assert g.choose() == 1


def test_coderds_own_work_is_not_taken_for_another_programs() -> None:
    machine = Machine()
    g = governor(machine)
    machine.run(2.0, others_cores=0.0, own_cores=2.0)  # its own decoding used both cores
    assert g.choose() == 2


def test_never_more_than_the_physical_cores_and_a_short_look_keeps_the_choice() -> None:
    machine = Machine()
    g = governor(machine, most=4, cores=8)  # hyperthreads: 8 logical on 4 physical
    machine.run(2.0, others_cores=0.0)
    assert g.choose() == 4
    machine.run(2.0, others_cores=5.0)
    assert g.choose() == 3
    machine.run(0.1, others_cores=0.0)  # a burst is not the machine's state
    assert g.choose() == 3


def test_the_reading_comes_from_this_machine() -> None:
    reading = read_cpu()
    assert reading.machine_busy_s > 0 and reading.own_s > 0


def test_the_engine_decodes_with_the_threads_chosen(tiny_model_path) -> None:
    engine = LlamaEngine(tiny_model_path, EngineOptions(n_ctx=512, threads=2, adapt_threads=True))
    try:
        machine = Machine()
        assert engine.governor is not None
        engine.governor = governor(machine)
        machine.run(2.0, others_cores=1.0)
        prompt = FimPrompt(engine.tokenize("def add(a, b):\n    "), engine.tokenize("\n"))
        done = engine.complete(prompt, GenerationLimits(max_tokens=2), CancelToken())
        assert done.stats.threads == 1
        assert llama_cpp.llama_n_threads(engine.loaded.ctx.handle) == 1
        machine.run(2.0, others_cores=0.0)
        done = engine.complete(prompt, GenerationLimits(max_tokens=2), CancelToken())
        assert done.stats.threads == 2
        assert llama_cpp.llama_n_threads(engine.loaded.ctx.handle) == 2
    finally:
        engine.close()


def test_a_long_prompt_takes_the_cores_freed_while_it_is_evaluated(tiny_model_path) -> None:
    """A prewarm's whole prompt takes seconds on a CPU: when the machine was busy as it
    started (the editor opening the file) and goes quiet, the chunks after take the cores."""
    options = EngineOptions(n_ctx=512, threads=2, adapt_threads=True, prompt_chunk=8)
    engine = LlamaEngine(tiny_model_path, options)
    try:
        machine, reads = Machine(), []

        def read() -> CpuReading:
            reading = machine.read()
            reads.append(reading)
            if len(reads) >= 2:  # from the request's first look on, the machine is quiet
                machine.run(2.0, others_cores=0.0)
            return reading

        engine.governor = ThreadGovernor(2, cores=2, read=read, clock=lambda: machine.at)
        machine.run(2.0, others_cores=1.0)  # busy before the request
        text = "".join(f"def f{i}(a, b):\n    return a + b * {i}\n" for i in range(6))
        prompt = FimPrompt(engine.tokenize(text), engine.tokenize("\n"))
        done = engine.complete(prompt, GenerationLimits(max_tokens=0), CancelToken())
        assert done.stats.evaluated_tokens > 3 * options.prompt_chunk
        assert len(reads) > 2  # looked again between chunks
        assert done.stats.threads == 2
        assert llama_cpp.llama_n_threads(engine.loaded.ctx.handle) == 2
    finally:
        engine.close()


def test_only_automatic_threads_adapt() -> None:
    def options(threads: int) -> EngineOptions:
        env = {"CODERD_MODEL_THREADS": str(threads)}
        settings = load_settings(config_path=Path("/nonexistent"), environ=env).settings
        return engine_options(settings)

    assert options(0).adapt_threads
    assert not options(1).adapt_threads and options(1).threads == 1
