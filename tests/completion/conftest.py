"""A completion service started on a given engine, shut down after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest

from coderd.completion.service import CompletionService
from coderd.config.settings import load_settings
from coderd.context.provider import ContextProvider
from coderd.engine.base import Engine

StartService = Callable[..., CompletionService]


@pytest.fixture
def start_service() -> Iterator[StartService]:
    """`start(engine, options, context=None)`: the service on `engine` with these init
    options (no config file, no environment), its model loaded; stopped at the end."""
    started: list[CompletionService] = []

    def start(
        engine: Engine, options: dict[str, object], context: object = None
    ) -> CompletionService:
        settings = load_settings(config_path=Path("/nonexistent"), environ={}, init_options=options)
        provider = cast(ContextProvider | None, context)
        service = CompletionService(settings.settings, lambda _settings: engine, provider)
        service.start()
        service.model_ready.result(timeout=10)
        started.append(service)
        return service

    yield start
    for service in started:
        service.shutdown()
        service.join(5)
