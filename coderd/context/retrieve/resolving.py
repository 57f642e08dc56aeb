"""What returns.py and overrides.py ask of typed.py's TypeResolver, as a Protocol: the resolver
calls them, so they cannot import it (the architecture test forbids import cycles)."""

from __future__ import annotations

from typing import Protocol

from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.infer import TypeEnv


class Resolving(Protocol):
    index: WorkspaceIndex
    rel: str
    env: TypeEnv
    language: str

    def resolve_type(self, name: str, file: str, depth: int = 0) -> list[DefinitionRef]: ...

    def field_types(
        self, owner: DefinitionRef, field: str, depth: int = 0
    ) -> list[DefinitionRef]: ...

    def members_named(self, owners: list[DefinitionRef], name: str) -> list[DefinitionRef]: ...

    def results_of(self, functions: list[DefinitionRef], depth: int = 0) -> list[DefinitionRef]: ...

    def call_result(self, callee: str, file: str, depth: int = 0) -> list[DefinitionRef]: ...

    def receiver_types(self) -> list[DefinitionRef]: ...
