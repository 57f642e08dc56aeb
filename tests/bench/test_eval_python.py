"""The evaluation's Python rule (bench/eval_python.py): `obj.name(args)` is a method sample
only where the gold, bound to `obj`, takes those arguments; on real files through the real
index."""

from __future__ import annotations

from test_eval_sample_receivers import samples_of  # puts bench/ on the path

CONFIG = """class Setting:
    name = None


class OnExit(Setting):
    name = "on_exit"

    def on_exit(server):
        pass

    default = staticmethod(on_exit)


class Worker(Setting):
    def notify_parent(self, when):
        pass

    @staticmethod
    def validate_hook(hook, worker):
        pass
"""

ARBITER = """from .config import Config


class Arbiter:
    def __init__(self, cfg):
        self.cfg = cfg
        self.worker = cfg.worker

    def stop(self):
        self.cfg.on_exit(self)

    def tick(self):
        self.worker.notify_parent(1)

    def check(self, hook):
        self.cfg.validate_hook(hook, self)
"""


def test_a_call_the_gold_cannot_take_bound_is_no_method_sample(tmp_path):
    """gunicorn's `self.cfg.on_exit(self)` reads a setting through `Config.__getattr__`;
    `OnExit.on_exit(server)`, bound, has no room for that argument. A method that takes the
    call's arguments, and a static method, stay samples."""
    files = {"pkg/__init__.py": "", "pkg/config.py": CONFIG, "pkg/arbiter.py": ARBITER}
    golds = {s["gold_name"] for s in samples_of(tmp_path, files) if s["kind"] == "method"}
    assert golds == {"notify_parent", "validate_hook"}
