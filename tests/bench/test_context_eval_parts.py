"""The context evaluation's samples and naive baseline (#13), on a small package in tmp_path:
`first` samples mask a name's first use and record the distance to its next one; the naive
import list holds the imported signatures in import order and never passes its budget."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:  # context_eval's modules import each other by plain name
    sys.path.insert(0, str(BENCH))

from eval_naive import naive_pack  # noqa: E402
from eval_samples import build_samples, gold_text  # noqa: E402
from test_eval_sample_receivers import samples_of  # noqa: E402

from coderd.context.index.workspace import WorkspaceIndex  # noqa: E402

HELPERS = "".join(f"def helper_{i}(value):\n    return value + {i}\n\n\n" for i in range(6))
MAIN = (
    "from .helpers import helper_0, helper_1, helper_2\n\n\n"
    "def run(x):\n    a = 1\n    b = 2\n    y = helper_1(x)\n"
    + "    z = 0\n" * 30
    + "    return helper_1(y) + helper_2(z)\n"
)


def tokens(text: str) -> list[str]:
    return re.findall(r"\S+|\n", text)


def package(root: Path) -> WorkspaceIndex:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "helpers.py").write_text(HELPERS)
    (root / "pkg" / "main.py").write_text(MAIN)
    index = WorkspaceIndex(root)
    index.rescan()
    return index


def test_first_use_samples_and_their_distance(tmp_path):
    index = package(tmp_path)
    samples = build_samples(index, 40, random.Random(1), "first")
    index.close()
    found = {s["gold_name"]: s for s in samples if s["kind"] == "import"}
    # helper_1's first use (line 7), 31 lines before its other use; helper_2's only use.
    assert found["helper_1"]["row"] == 6 and found["helper_1"]["distance"] == 31
    assert found["helper_2"]["distance"] is None
    assert all(s["row"] != 37 or s["gold_name"] != "helper_1" for s in samples)


def test_a_bundle_with_a_source_map_gives_no_samples(tmp_path):
    """Build output (`//# sourceMappingURL=` at its end) is not where anyone types: the same
    file without the comment gives samples."""
    index = package(tmp_path)
    index.close()
    bundled = tmp_path / "pkg" / "main.py"
    bundled.write_text(MAIN + "# sourceMappingURL=main.py.map\n")
    index = WorkspaceIndex(tmp_path)
    index.rescan()
    samples = build_samples(index, 40, random.Random(1), "first")
    index.close()
    assert samples == []


def test_imports_from_another_package_give_no_samples(tmp_path):
    """toml's `use serde::de;` then `de::Deserializer` names serde's trait, not the crate's own
    de.rs struct; mako's `from pygments.token import Text` is not mako's Text; `ssl.wrap_socket`
    is not a method of the package's. The same uses through the crate's or package's own
    modules are samples."""
    body = "\n".join("    let _ = 0;" for _ in range(4))
    files = {
        "Cargo.toml": '[package]\nname = "toml"\n\n[dependencies.serde]\nversion = "1"\n',
        "src/de.rs": "pub struct Deserializer;\n",
        "src/lib.rs": "mod de;\nmod map;\n",
        "src/map.rs": f"use serde::de;\n\nfn a() {{\n{body}\n    let d = de::Deserializer;\n}}\n",
        "src/own.rs": f"use crate::de;\n\nfn b() {{\n{body}\n    let d = de::Deserializer;\n}}\n",
        "pkg/parsetree.py": "class Text:\n    pass\n",
        "pkg/plugin.py": "from pygments.token import Text\n\n\n\nprint(Text)\n",
        "pkg/own.py": "from pkg.parsetree import Text\n\n\n\nprint(Text)\n",
        # `ssl.` is still a module, not a receiver whose method the package defines.
        "pkg/wrap.py": "class Socket:\n    def wrap_socket(self):\n        pass\n",
        "pkg/tls.py": "import ssl\n\n\n\nprint(ssl.wrap_socket())\n",
    }
    samples = samples_of(tmp_path, files)
    assert sorted(s["path"] for s in samples) == ["pkg/own.py", "src/own.rs"]


def test_an_item_of_an_inline_module_is_no_method_sample(tmp_path):
    """regex-syntax's `hir::Class::Bytes(..)` is an enum's variant; the only definition named
    Bytes with a container is a test module's struct, which no `X::Bytes` reaches."""
    lines = "    let e: Option<hir::Class> = None;\n" + "\n".join(
        "    let _ = 0;" for _ in range(4)
    )
    files = {
        "src/lib.rs": "mod hir;\nmod print;\n",
        "src/hir.rs": "pub enum Class {\n    Bytes(u8),\n}\n\nmod tests {\n    struct Bytes(u8);\n}\n",
        "src/print.rs": f"use crate::hir;\n\nfn p() {{\n{lines}\n    let c = hir::Class::Bytes(1);\n}}\n",
    }
    samples = samples_of(tmp_path, files)
    assert [s["gold_name"] for s in samples] == ["Class"]


def test_a_typescript_module_imported_with_its_js_name(tmp_path):
    """@effect/schema writes `import * as AST from "./AST.js"` for AST.ts (ES module style):
    `AST.literal(` is a module sample of AST.ts, not of a module named `js`."""
    files = {
        "src/AST.ts": "export function literal(x: number) {\n  return x\n}\n",
        "src/Pretty.ts": 'import * as AST from "./AST.js"\n\n\n\nconsole.log(AST.literal(1))\n',
    }
    samples = samples_of(tmp_path, files)
    assert [(s["kind"], s["gold_name"]) for s in samples] == [("module", "literal")]


def test_the_naive_list_is_imports_in_order_cut_at_the_budget(tmp_path):
    index = package(tmp_path)

    def lines_of(path: str) -> list[str]:
        return (tmp_path / path).read_text().split("\n")

    whole = naive_pack(index, "pkg/main.py", lines_of, tokens, 1000)
    names = re.findall(r"def (helper_\d)", whole.text)
    assert names == ["helper_0", "helper_1", "helper_2"]  # imported ones only, in order
    for budget in range(5, 40):
        cut = naive_pack(index, "pkg/main.py", lines_of, tokens, budget)
        assert len(tokens(cut.text)) <= budget  # headers and blank lines count
    index.close()


def _report(package: str, kinds: dict[str, int], ours: float, theirs: float) -> dict:
    recall = {k: {b: ours for b in ("256", "512", "1024")} for k in kinds}
    naive = {k: {b: theirs for b in ("256", "512", "1024")} for k in kinds}
    return {"package": package, "kinds": kinds, "recall": {"coderd": recall, "naive": naive}}


def test_pooled_figures_weigh_samples_and_cells_below_naive_are_counted() -> None:
    from eval_pooled import below_naive, pooled

    reports = [_report("a", {"import": 3}, 1.0, 0.5), _report("b", {"import": 1}, 0.0, 0.5)]
    n, recall, packages = pooled(reports, "coderd", "kinds", "recall")["import"]
    assert (n, packages, recall["256"]) == (4, 2, 0.75)  # samples weighted, not packages
    below, cells, where = below_naive(reports)
    assert (below, cells) == (3, 6) and where[0] == "b import @256: 0.00 vs 0.50"


def test_a_miss_is_classed_by_what_the_candidates_show() -> None:
    """eval_misses.diagnose: a candidate showing the gold is `cut`; one spanning it without
    listing it (a class whose chosen members leave it out) is `hidden`; none is `absent`."""
    from eval_misses import diagnose

    from coderd.context.index.extract import Definition
    from coderd.context.index.workspace import DefinitionRef
    from coderd.context.retrieve.candidates import Candidate

    klass = Definition("Ctx", "class", "class Ctx:", "", 10, 40, "")
    gold = Definition("find_root", "method", "def find_root(self):", "", 20, 22, "Ctx")
    other = Definition("close", "method", "def close(self):", "", 30, 31, "Ctx")
    sample = {"gold_path": "core.py", "gold_line": 20, "gold_name": "find_root"}
    listed = Candidate(DefinitionRef("core.py", klass), "type", 0.3, (other,))
    assert diagnose([listed], sample) == ("hidden", 1, "type", 0.3)
    shown = Candidate(DefinitionRef("core.py", klass), "import", 0.5, (other, gold))
    assert diagnose([listed, shown], sample) == ("cut", 2, "import", 0.5)
    assert diagnose([], sample)[0] == "absent"


def test_the_unseen_set_is_a_set_of_its_own() -> None:
    from eval_packages import names_in

    unseen = names_in("unseen")
    assert len(unseen) == 7 and not set(unseen) & set(names_in("dev"))
    assert set(unseen) <= set(names_in("all"))


def test_the_sealed_set_shares_no_package_with_the_sets_tuned_on() -> None:
    from eval_packages import names_in

    sealed = set(names_in("sealed"))
    tuned = {
        n for s in ("dev", "heldout", "spare", "fresh", "final", "unseen") for n in names_in(s)
    }
    assert len(sealed) == 9 and not sealed & tuned
    assert sealed <= set(names_in("all"))


def test_the_builds_tokenizer_counts_only_its_own_thread() -> None:
    import threading

    from context_eval import ThreadTokenCount

    counted = ThreadTokenCount(lambda text: list(range(len(text))))
    assert counted("abc") == [0, 1, 2]
    worker = threading.Thread(target=counted, args=("look-ahead",))  # another thread's call
    worker.start()
    worker.join()
    assert (counted.calls, counted.chars) == (1, 3)


def test_a_gold_line_reads_as_the_signature_a_context_shows() -> None:
    """A context shows a definition's header without its body: `=> ({` of an arrow function
    returning an object literal goes, as `{` does; a call's open parenthesis stays."""
    arrow = "export const fromSemigroup = <A>(S: Semigroup<A>): Monoid<A> => ({"
    assert gold_text(arrow) == "export const fromSemigroup = <A>(S: Semigroup<A>): Monoid<A> =>"
    assert gold_text("func (c *Command) Root() *Command {") == "func (c *Command) Root() *Command"
    assert gold_text("    def parse(") == "def parse("
