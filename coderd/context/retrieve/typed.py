"""From the typed names at the cursor (infer.py) to the definitions their types stand for.

A type name is resolved as the file that wrote it sees it: its own definitions, its imports,
its Go/Java package, a module alias (`mod.Cls`, `pkg.Type`); failing those, a type defined
once in the whole workspace. A call's result type is the class called, or the declared result
type of the function or method called (read from the index: `Definition.returns`; `obj.m()`,
`Type.m()`, `Type::m()`), resolved in the file that declares it (`Self` and `this` are the
method's own type). A field's type is its declared one (fields.py for a type in another file
or another class of this one; infer.py's for the class around the cursor), else the declared
result of a member of that name (a property). Members of a type are
those in its body, Go methods and Rust impl blocks in any file of its package, and (a few
levels deep) the members of its base classes and embedded types.
"""

from __future__ import annotations

from coderd.context.index.workspace import DefinitionRef, WorkspaceIndex
from coderd.context.retrieve.bindings import Binding
from coderd.context.retrieve.call_names import CONSTRUCTOR_NAMES, CONTAINER_GETTERS, SAME_VALUE
from coderd.context.retrieve.elements import element_types
from coderd.context.retrieve.fields import type_fields
from coderd.context.retrieve.infer import TypeEnv
from coderd.context.retrieve.mixins import mixin_companions
from coderd.context.retrieve.overrides import inherited_parameter_types
from coderd.context.retrieve.returns import returned_types
from coderd.context.retrieve.scope import Scope, module_files_in, name_in_file, named_definitions
from coderd.context.retrieve.type_members import TYPE_KINDS, TypeMembers, deref_target
from coderd.context.retrieve.typenames import ELEMENT, MAPPED, in_module, split_qualified

MAX_GLOBAL_HOMONYMS = 2  # a type name resolved by the index alone must be (nearly) unique
MAX_DEPTH = 3  # call chains followed this deep


class TypeResolver:
    """Resolves type names, call results and member lists for one request (memoised)."""

    def __init__(
        self, index: WorkspaceIndex, rel: str, scope: Scope, env: TypeEnv, language: str
    ) -> None:
        self.index, self.rel, self.scope, self.env, self.language = index, rel, scope, env, language
        self._types: dict[tuple[str, str], list[DefinitionRef]] = {}
        self._type_members = TypeMembers(index, language, self.resolve_type)
        self._named = {local: refs for local, refs in scope.named}
        self._receiver: list[DefinitionRef] | None = None

    # ---- names --------------------------------------------------------------------------------

    def resolve_type(self, name: str, file: str, depth: int = 0) -> list[DefinitionRef]:
        """Type definitions that the type name `name`, as written in `file`, stands for (none
        for a sequence, "[]Name": elements.py reaches its elements)."""
        if name.startswith((ELEMENT, MAPPED)):
            return []
        key = (name, file)
        if key not in self._types and file == self.rel and name in self.env.generics:
            self._types[key] = []  # a cycle resolves to nothing (`T: Into<T>`)
            found = [t for b in self.env.generics[name] for t in self.resolve_type(b, file, depth)]
            self._types[key] = list(dict.fromkeys(found))[:MAX_GLOBAL_HOMONYMS]
        if key not in self._types:
            self._types[key] = []  # a cycle resolves to nothing
            refs = [r for r in self._lookup(name, file) if r.definition.kind in TYPE_KINDS]
            # `type X = Y`, Go `type X Y`: the alias is a type already; else global (not in Go:
            # `http.Handler` is net/http's, not chi's `_examples/.../main.go` Handler).
            if not refs and self.language != "go":
                qualifier, short = split_qualified(name)
                found = [
                    r
                    for r in self.index.lookup(short)
                    if r.definition.kind in TYPE_KINDS and not r.definition.container
                ]
                if len(found) > MAX_GLOBAL_HOMONYMS and qualifier:
                    found = [r for r in found if in_module(r.path, qualifier)]
                refs = found if len(found) <= MAX_GLOBAL_HOMONYMS else []
            self._types[key] = refs[:MAX_GLOBAL_HOMONYMS]
        return self._types[key]

    def visible(self, name: str) -> list[DefinitionRef]:
        """Top-level definitions `name` stands for in the current file."""
        return self._lookup(name, self.rel)

    def _lookup(self, name: str, file: str) -> list[DefinitionRef]:
        """Top-level definitions `name` stands for in `file` (functions and types)."""
        qualifier, short = split_qualified(name)
        if qualifier:
            alias = (
                split_qualified(qualifier)[1] if qualifier not in ("crate", "self", "super") else ""
            )
            files = self.scope.modules.get(alias) if file == self.rel else None
            files = files or (module_files_in(self.index, file, alias) if alias else [])
            if files:
                return named_definitions(self.index, short, files, self.language)
            return []
        if file == self.rel:
            if short in self._named:
                return self._named[short]
            own = [
                r for r in self.index.lookup(short) if r.path == file and not r.definition.container
            ]
            if own:
                return own
            opened = {f for f, _ in self.scope.open_files}
            return [
                r
                for r in self.index.lookup(short)
                if r.path in opened and not r.definition.container
            ]
        return name_in_file(self.index, file, short)

    # ---- values -------------------------------------------------------------------------------

    def binding_types(self, binding: Binding, depth: int = 0) -> list[DefinitionRef]:
        if binding.type:
            if binding.type in ("Self", "this"):
                return self.receiver_types()
            return self.resolve_type(binding.type, self.rel, depth)
        if binding.value:  # value_types counts the hop: `cur1 = cur`, `cur = root` is two
            return self.value_types(binding.value, depth)
        if binding.items:
            return element_types(self, binding.items, depth)
        return self.call_result(binding.call, self.rel, depth) if binding.call else []

    def receiver_types(self) -> list[DefinitionRef]:
        """The class the cursor's method belongs to (usually defined in the current file),
        then, for a mixin, the classes it is mixed with (mixins.py)."""
        if not self.env.receiver_type:
            return []
        if self._receiver is None:
            own = [
                r
                for r in self.index.lookup(split_qualified(self.env.receiver_type)[1])
                if r.path == self.rel and r.definition.kind in TYPE_KINDS
            ] or self.resolve_type(self.env.receiver_type, self.rel)
            self._receiver = own  # a cycle through the companions' members finds `own` only
            if len(own) == 1 and self.language == "python":  # mixins.py: Python's only
                self._receiver = own + mixin_companions(self, own[0], self.members(own[0]))
        return self._receiver

    def value_types(self, expression: str, depth: int = 0) -> list[DefinitionRef]:
        """Types of a value written in the current file: `x`, `self`, `self.attr`, `x.attr`."""
        if depth > MAX_DEPTH:
            return []
        head, _, rest = expression.partition(".")
        if head == self.env.receiver:
            types = self.receiver_types()
        elif head in self.env.variables:
            types = self.binding_types(self.env.variables[head], depth + 1)
        elif head in self._named:  # an imported variable declared with a type (`app: Flask`)
            types = self.results_of(
                [r for r in self._named[head] if r.definition.kind in ("variable", "constant")],
                depth,
            )
        else:  # an unannotated parameter the overridden method annotates (overrides.py)
            types = inherited_parameter_types(self, head)
        for attribute in rest.split(".") if rest else ():
            types = [f for t in types for f in self.field_types(t, attribute, depth + 1)]
        return types

    def field_types(self, owner: DefinitionRef, field: str, depth: int = 0) -> list[DefinitionRef]:
        """Types of the field `field` of the type `owner` (or of its bases); failing a field,
        the declared result of a member of that name (a property: `def lexer(self) -> Lexer`,
        a TS getter)."""
        found = self.field_binding(owner, field)
        if found is None:
            return self.results_of(self.members_named([owner], field), depth + 1)
        binding, holder = found
        if holder.path == self.rel and holder.definition.name == self.env.receiver_type:
            return self.binding_types(binding, depth + 1)  # written where the cursor is
        if binding.type:
            result = (
                binding.type if binding.type not in ("Self", "this") else holder.definition.name
            )
            return self.resolve_type(result, holder.path, depth + 1)
        return self.call_result(binding.call, holder.path, depth + 1)

    def field_binding(
        self, owner: DefinitionRef, field: str
    ) -> tuple[Binding, DefinitionRef] | None:
        """The binding of the field `field` of `owner` or of its bases, and the type that
        declares it. The class around the cursor: its fields as infer.py read them, the
        cursor's line blanked (the index's parse of this buffer holds what is being typed)."""
        holders = [owner] + self._bases(owner)
        if owner.path == self.rel and owner.definition.name == self.env.receiver_type:
            binding = self.env.fields.get(field)
            if binding is not None:
                return binding, owner
            # Its bases' (rq's `self.job_class` is BaseRegistry's); Rust: the cursor is in an
            # impl block, the fields are in the struct's.
            holders = holders if self.language == "rust" else holders[1:]
        for holder in holders:
            binding = self.fields(holder).get(field)
            if binding is not None:
                return binding, holder
        return None

    def fields(self, owner: DefinitionRef) -> dict[str, Binding]:
        """The fields a type declares (fields.py). Empty for a type of the current file
        holding the cursor: its text there is what is being typed (the context must not
        follow it)."""
        d = owner.definition
        if owner.path == self.rel and d.start_line <= self.env.row + 1 <= d.end_line:
            return {}
        return type_fields(self.index, owner, self.language)

    def _bases(self, owner: DefinitionRef) -> list[DefinitionRef]:
        """Its bases; a Rust type's Deref target (h2's `stream.state`: a `Ptr` derefs to the
        `Stream` whose field it is)."""
        bases = [
            b for base in owner.definition.bases for b in self.resolve_type(base, owner.path, 1)
        ]
        if self.language == "rust":
            name = owner.definition.name
            bases += [
                b
                for m in self.members(owner)
                if m.definition.container == name and (target := deref_target(m))
                for b in self.resolve_type(target, m.path, 1)
            ]
        return bases

    def call_result(self, callee: str, file: str, depth: int = 0) -> list[DefinitionRef]:
        """Types of what calling `callee` (as written in `file`) returns."""
        if depth > MAX_DEPTH:
            return []
        callee = callee.removeprefix("new ").split("<", 1)[0].replace("::<", "")
        qualifier, member = split_qualified(callee)
        if qualifier:
            owners = self.value_types(qualifier, depth + 1) if file == self.rel else []
            if owners:  # obj.method(): the method's declared result
                return self.member_results(owners, member, depth)
            if member in CONTAINER_GETTERS and file == self.rel:  # `handlers.get(name)`
                found = element_types(self, qualifier, depth + 1, values=True)
                if found:
                    return found
            owners = self.resolve_type(qualifier, file, depth + 1)  # Type::new(), Table.grid()
            if owners:
                found = self.results_of(self.members_named(owners, member), depth)
                if found:
                    return found
                rust_like = "::" in callee or self.language == "rust"
                if rust_like and (
                    member in CONSTRUCTOR_NAMES or member.startswith(("new_", "with_", "from_"))
                ):
                    return owners
                if rust_like:
                    return []
        refs = self._lookup(callee, file)
        types = [r for r in refs if r.definition.kind in TYPE_KINDS]
        if types:
            return types[:MAX_GLOBAL_HOMONYMS]  # a constructor call
        return self.results_of([r for r in refs if r.definition.kind == "function"], depth)

    def member_results(
        self, owners: list[DefinitionRef], member: str, depth: int = 0
    ) -> list[DefinitionRef]:
        """What calling `member` on a value of `owners` gives: its declared result; in Rust,
        the value itself for a SAME_VALUE call the types do not define (`x.as_mut()`)."""
        named = self.members_named(owners, member)
        if not named and member in SAME_VALUE and self.language == "rust":
            return owners
        return self.results_of(named, depth)

    def results_of(self, functions: list[DefinitionRef], depth: int = 0) -> list[DefinitionRef]:
        """The types the functions declare they return (`Self` and `this`: their owner)."""
        found: list[DefinitionRef] = []
        for ref in functions[:MAX_GLOBAL_HOMONYMS]:
            result = ref.definition.returns
            if not result:  # an unannotated function: what its returns say (returns.py)
                if depth <= MAX_DEPTH:
                    found += [t for t in returned_types(self, ref, depth) if t not in found]
                continue
            if result in ("Self", "this") and ref.definition.container:
                result = ref.definition.container
            elif result.startswith("Self::") and ref.definition.container:
                result = self._associated(ref, result[len("Self::") :])
            found += [t for t in self.resolve_type(result, ref.path, depth + 1) if t not in found]
        return found

    def _associated(self, method: DefinitionRef, name: str) -> str:
        """What the associated type `Self::name` of a method's trait or impl stands for: the
        impl's `type Iter = Chars<'a>;` or the trait's first bound (`type Iter:
        ParallelIterator<..>;`), "" when its owner declares none."""
        for d in self.index.members_in(method.path, method.definition.container):
            if d.kind == "type" and d.name == name and d.bases:
                return d.bases[0]
        return ""

    # ---- members ------------------------------------------------------------------------------

    def members(self, owner: DefinitionRef, depth: int = 0) -> list[DefinitionRef]:
        """Members of a type: its body, its package's Go methods and Rust impls, then those of
        its bases (nearest first); type_members.py."""
        return self._type_members.of(owner, depth)

    def members_named(self, owners: list[DefinitionRef], name: str) -> list[DefinitionRef]:
        return self._type_members.named(owners, name)
