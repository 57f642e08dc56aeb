"""What a call's name says of its result when no declared type does (typed.py): a
constructor's type, a container's element, or the value it was called on."""

from __future__ import annotations

# `Type::new()`, `Type::default()`: a Rust-like associated function giving its type.
CONSTRUCTOR_NAMES = frozenset({"new", "default", "create", "build", "open", "init"})
# Calls on a sequence or a mapping that give one of its elements or values: `d.get(k)`,
# `queue.pop()`, `map.get(key)` on a TS Map.
CONTAINER_GETTERS = frozenset({"get", "pop", "setdefault", "get_mut", "first", "last"})
# Rust calls that give back the value they are called on, through a wrapper typenames already
# sees through (`Pin<&mut S>`, `Arc<Mutex<S>>`, `Option<S>`): `this.state.as_mut()`, `x.lock()`;
# and pin-project's `self.project()`, a struct of the same fields (index/macro_items.py).
SAME_VALUE = frozenset(
    "as_mut as_ref as_deref as_deref_mut as_pin_mut as_pin_ref borrow borrow_mut clone lock "
    "unwrap expect project project_ref".split()
)
