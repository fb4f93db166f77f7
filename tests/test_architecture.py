"""The layers of docs/architecture.md, kept true: imports only run downward, and no module imports itself round a cycle.

Every ``import`` in ``src/seglab`` is read with :mod:`ast` (imports inside
functions count too: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: (layer, module prefixes), bottom up. A module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("seglab.core",)),
    ("arrays", ("seglab.postprocess", "seglab.metrics")),
    ("files", ("seglab.io",)),
    ("methods", ("seglab.classical", "seglab.deep", "seglab.modes")),
    ("run", ("seglab.run",)),
    ("services", ("seglab.evaluation", "seglab.tiling", "seglab.deep._torch.train", "seglab.deep._torch.data",
                  "seglab.deep._torch.scoring", "seglab.deep._torch.augment", "seglab.deep._torch.losses",
                  "seglab.deep.training", "seglab.deep._torch.instances.train", "seglab.deep._torch.instances.data")),
    ("web", ("seglab.web",)),
    ("command line", ("seglab.cli",)),
]
#: Packages of one layer that must not import each other.
SIBLINGS = [("seglab.classical", "seglab.deep"), ("seglab.evaluation", "seglab.tiling")]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """The seglab modules `path` imports (relative imports resolved; ``from x import y`` counts x.y if a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("seglab")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("seglab"):
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names}
    return found


MODULES = {_module_name(p): p for p in SRC.joinpath("seglab").rglob("*.py")}
GRAPH = {name: {m for m in _imports(path, name) if m in MODULES and m != name} for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    return None if best is None else best[1]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "seglab"))
def test_every_module_has_a_layer(module):
    assert _layer(module) is not None or module.startswith("seglab.samples"), (
        f"{module} is in no layer of docs/architecture.md; add it to LAYERS here and in the doc")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) is not None))
def test_imports_only_run_downward(module):
    own = _layer(module)
    for target in GRAPH[module]:
        if target == "seglab":  # the package root: __version__ and the lazy public names
            continue
        assert _layer(target) is not None and _layer(target) <= own, (
            f"{module} ({LAYERS[own][0]}) imports {target} ({LAYERS[_layer(target)][0] if _layer(target) is not None else '?'}), "
            "a higher layer")
        for a, b in SIBLINGS:
            for x, y in ((a, b), (b, a)):
                assert not ((module == x or module.startswith(x + ".")) and (target == y or target.startswith(y + "."))), (
                    f"{module} imports its sibling {target}")


def test_no_import_cycle():
    """Tarjan's strongly connected components of the module graph: every one is a single module."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w == "seglab":
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index and v != "seglab":
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_doc_lists_the_same_layers():
    doc = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, prefixes in LAYERS:
        assert name in doc and all(f"`{p}`" in doc for p in prefixes), f"docs/architecture.md misses layer {name}"
