"""Samples through the language server's own completion service, one configuration at a time.

A configuration is a model, prompt budgets, repository context on or off, and the check before
display on or off. Each model gets one `CompletionService` (the class the language server
runs, with its prompt assembly, context, policy and post-processing); the other choices are
per session, as they are for editors sharing a daemon: each configuration is a session with its
own settings (and, with context, the workspace's `ContextProvider`). A sample is opened as an
editor would open it (the masked text as the buffer, which overrides the disk in the index),
completed, and closed again, so nothing of one sample is left for the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.config.settings import Settings
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider
from coderd.engine.base import ModelInfo
from coderd.eval.sampling import Sample
from coderd.eval.scoring import score
from coderd.models.loader import load_engine
from coderd.policy.syntax_check import buffer_tree, check_suggestions

# How long a sample's buffer parse and look-ahead may take before it completes anyway.
BUFFER_WAIT_S = 10.0


@dataclass(frozen=True)
class Budget:
    prefix: int
    suffix: int
    context: int
    # True: these are upper bounds the service shrinks to completion.latency_target_ms at this
    # machine's measured speed, as the language server does (the default); False: as given.
    planned: bool = False

    @property
    def label(self) -> str:
        figures = f"{self.prefix}/{self.suffix}/{self.context}"
        return f"planned<={figures}" if self.planned else figures


@dataclass(frozen=True)
class Configuration:
    model: str  # GGUF path ("" = the configured model or the starter)
    budget: Budget
    context: bool
    syntax_check: bool

    @property
    def session(self) -> str:
        return (
            f"eval {self.budget.label} context={'on' if self.context else 'off'} "
            f"check={'on' if self.syntax_check else 'off'}"
        )

    def settings(self, base: Settings) -> Settings:
        """The settings of this configuration: budgets planned as the server plans them, or as
        given (latency_target_ms 0), no speculation (it would run between samples), local."""
        completion = replace(
            base.completion,
            prefix_tokens=self.budget.prefix,
            suffix_tokens=self.budget.suffix,
            latency_target_ms=base.completion.latency_target_ms if self.budget.planned else 0,
            speculate=False,
            syntax_check=self.syntax_check,
        )
        context = replace(base.context, enabled=self.context, budget_tokens=self.budget.context)
        model = replace(base.model, path=self.model) if self.model else base.model
        remote = replace(base.remote, enabled=False)
        return replace(base, completion=completion, context=context, model=model, remote=remote)


@dataclass
class SampleResult:
    configuration: Configuration
    sample: Sample
    suggestion: str
    latency_ms: float  # the sample's first request: the whole prompt evaluated (a file opened)
    typing_ms: float  # the next key (the masked text's first character): the KV cache warm
    prompt_tokens: int
    generated_tokens: int
    prompt_text: str  # context block, prefix and suffix as the model saw them
    scores: dict[str, float | bool]
    status: str = "ok"
    # The engine's figures for the first request and the next key (RequestStats.as_dict():
    # tokens evaluated, reused from the KV cache, generated, times, stop reason); empty when
    # the engine was not called (an error, or the next key answered from the cache).
    request: dict[str, int | float | bool | str] = field(default_factory=dict)
    next_key: dict[str, int | float | bool | str] = field(default_factory=dict)


class ModelRun:
    """One model loaded in a completion service, with a session per configuration."""

    def __init__(self, base: Settings, model: str, root: Path) -> None:
        settings = replace(base, model=replace(base.model, path=model) if model else base.model)
        settings = replace(settings, remote=replace(settings.remote, enabled=False))
        self.base = settings
        self.root = root
        self.context: ContextProvider | None = None
        self.service = CompletionService(settings, load_engine)
        self.service.start()

    def ready(self) -> ModelInfo:
        """The loaded model; raises EngineError when it cannot be loaded."""
        return self.service.model_ready.result()

    def provider(self, settings: Settings, wait_s: float) -> ContextProvider:
        """The workspace's context, built once per model run (the index is the same)."""
        if self.context is None:
            self.context = ContextProvider(
                settings.context, [self.root], IndexRegistry(watch=False)
            )  # one shot, as `coderd complete`: nothing to follow
            index = self.context.index_for(self.root)
            if index is not None:
                index.wait_ready(wait_s)
        return self.context

    def run(
        self,
        configuration: Configuration,
        samples: list[Sample],
        index_wait_s: float,
        checked_twin: Configuration | None = None,
    ) -> Iterator[SampleResult]:
        """Each sample's result; with `checked_twin` (this configuration with the check on,
        run with it off), also the twin's, from the same model answer: the model's output does
        not depend on the check, so it is decoded once and checked here with the very call
        and arguments the runner's hook makes (runner.py), its time added to the latency."""
        settings = configuration.settings(self.base)
        session = configuration.session
        context = self.provider(settings, index_wait_s) if configuration.context else None
        if context is not None:  # its own settings object: this session's budget and switch
            context = _session_provider(context, settings)
        self.service.attach(session, context, settings)
        try:
            for sample in samples:
                yield from self._one(configuration, session, context, sample, checked_twin)
        finally:
            self.service.detach(session)

    def _one(
        self,
        configuration: Configuration,
        session: str,
        context: ContextProvider | None,
        sample: Sample,
        checked_twin: Configuration | None,
    ) -> list[SampleResult]:
        path = self.root / sample.rel
        key = f"{session}|{sample.key}"
        if context is not None:  # as an editor's didOpen: the buffer overrides the disk
            parsed = context.set_buffer(path, sample.document)
            if parsed is not None:
                parsed.result(BUFFER_WAIT_S)
        snapshot = DocumentSnapshot(
            key,
            sample.document,
            sample.offset,
            sample.language_id,
            path=str(path),
            session=session,
        )
        started = time.perf_counter()
        outcome = self.service.submit(snapshot).future.result()
        latency_ms = (time.perf_counter() - started) * 1000
        stats = outcome.stats
        text = outcome.text if outcome.status == "ok" else ""
        result = SampleResult(
            configuration=configuration,
            sample=sample,
            suggestion=text,
            latency_ms=latency_ms,
            typing_ms=0.0,
            prompt_tokens=stats.prompt_tokens if stats else 0,
            generated_tokens=stats.generated_tokens if stats else 0,
            prompt_text=outcome.context_text
            + outcome.prefix_text
            + "<CURSOR>"
            + outcome.suffix_text,
            scores=score(sample.kind, text, sample.expected).as_dict(),
            status=outcome.status
            if not outcome.message
            else f"{outcome.status}: {outcome.message}",
            request=stats.as_dict() if stats else {},
        )
        typing_ms, result.next_key = self._next_key(snapshot, sample, context)
        result.typing_ms = typing_ms
        results = [result]
        if checked_twin is not None:
            started = time.perf_counter()
            base = buffer_tree(context, snapshot.path)
            shown = check_suggestions(
                [text] if text else [], snapshot.text, snapshot.offset, snapshot.language_id,
                snapshot.path, base,
            )  # fmt: skip
            checked_ms = (time.perf_counter() - started) * 1000
            checked = shown[0] if shown else ""
            results.append(
                replace(
                    result,
                    configuration=checked_twin,
                    suggestion=checked,
                    latency_ms=latency_ms + checked_ms,
                    typing_ms=typing_ms + checked_ms,
                    scores=score(sample.kind, checked, sample.expected).as_dict(),
                )
            )
        self.service.forget(key, session, str(path))
        return results

    def _next_key(
        self, snapshot: DocumentSnapshot, sample: Sample, context: ContextProvider | None
    ) -> tuple[float, dict[str, int | float | bool | str]]:
        """The latency of the request after the user types the masked text's first character:
        what `completion.latency_target_ms` sizes the budgets for (a keystroke in a file whose
        prompt is in the KV cache). Answered from the completion cache when the suggestion
        began with that character, as the server answers it."""
        typed = sample.expected.lstrip("\n")[:1] if sample.kind != "block" else "\n"
        if not typed:
            return 0.0, {}
        text = snapshot.text[: snapshot.offset] + typed + snapshot.text[snapshot.offset :]
        after = replace(snapshot, text=text, offset=snapshot.offset + len(typed))
        if context is not None and after.path is not None:  # as an editor's didChange
            parsed = context.set_buffer(Path(after.path), text)
            if parsed is not None:
                parsed.result(BUFFER_WAIT_S)
        self.service.edited(after.key)
        started = time.perf_counter()
        outcome = self.service.submit(after).future.result()
        elapsed_ms = (time.perf_counter() - started) * 1000
        return elapsed_ms, outcome.stats.as_dict() if outcome.stats else {}

    def close(self) -> None:
        self.service.shutdown()
        self.service.join(30)
        if self.context is not None:
            self.context.close()


def _session_provider(shared: ContextProvider, settings: Settings) -> ContextProvider:
    """A provider over the shared index with this configuration's context settings."""
    provider = ContextProvider(settings.context, list(shared.roots), shared.registry)
    for root in provider.roots:
        provider.index_for(root)  # the registry hands over the index already built
    return provider


def run_all(
    base: Settings,
    root: Path,
    configurations: list[Configuration],
    samples: list[Sample],
    progress: Callable[[int, int], None],
    index_wait_s: float,
) -> tuple[list[SampleResult], dict[str, ModelInfo]]:
    """Every sample under every configuration, model by model; `progress(done, total)`."""
    results: list[SampleResult] = []
    models: dict[str, ModelInfo] = {}
    total, done = len(configurations) * len(samples), 0
    wanted = set(configurations)
    for model in dict.fromkeys(c.model for c in configurations):
        run = ModelRun(base, model, root)
        try:
            models[model] = run.ready()  # EngineError: the caller says it in one line
            for configuration in (c for c in configurations if c.model == model):
                twin = replace(configuration, syntax_check=True)
                if configuration.syntax_check and replace(twin, syntax_check=False) in wanted:
                    continue  # comes with its unchecked twin
                paired = twin if not configuration.syntax_check and twin in wanted else None
                for result in run.run(configuration, samples, index_wait_s, paired):
                    results.append(result)
                    done += 1
                    progress(done, total)
        finally:
            run.close()
    order = {c: i for i, c in enumerate(configurations)}
    results.sort(key=lambda r: order[r.configuration])  # stable: samples keep their order
    return results, models
