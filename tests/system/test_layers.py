"""The package's layers import one way only, function-local imports included.

errors, periods, formatting (and the other foundation modules) -> config -> data -> analytics ->
model -> inputs -> charts, present -> pipeline -> preview -> cli. A module may import its own layer or a
lower one, never a higher one, and no set of modules may import each other in a circle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import kamreports

PACKAGE = Path(kamreports.__file__).resolve().parent

LAYERS = [
    ("foundation", ["kamreports._fast", "kamreports.errors", "kamreports.files", "kamreports.formatting",
                    "kamreports.periods", "kamreports.protocol", "kamreports.urls"]),
    ("config", ["kamreports.config", "kamreports.brand"]),
    ("data", ["kamreports.data"]),
    ("analytics", ["kamreports.analytics"]),
    ("model", ["kamreports.model"]),
    ("inputs", ["kamreports.inputs", "kamreports.plan_drafts", "kamreports.project", "kamreports.records"]),
    ("charts and present", ["kamreports.charts", "kamreports.present"]),
    ("pipeline", ["kamreports.pipeline"]),
    ("preview", ["kamreports.preview"]),
    ("cli and the package's public names", ["kamreports.cli", "kamreports.__main__", "kamreports"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    for index, (_name, prefixes) in enumerate(LAYERS):
        if any(module == p or (p != "kamreports" and module.startswith(p + ".")) for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every kamreports module that ``path`` imports, at any depth of the file (functions too)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            # "from . import formatting" imports the module formatting; "from .x import f", the module x
            names = [n for n in submodules if n in MODULES] or [base]
        else:
            continue
        found |= {n for n in names if n == "kamreports" or n.startswith("kamreports.")}
    return {n for n in found if n in MODULES and n != module}


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    for module in graph():
        layer_of(module)


def test_no_import_goes_up_a_layer():
    upward = [f"{m} ({LAYERS[layer_of(m)][0]}) imports {i} ({LAYERS[layer_of(i)][0]})"
              for m, targets in graph().items() for i in sorted(targets) if layer_of(i) > layer_of(m)]
    assert not upward, "\n".join(upward)


def test_no_modules_import_each_other_in_a_circle():
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_function_local_and_relative_imports(tmp_path):
    """The walk must see what the layers forbid, or a passing test proves nothing."""
    assert "kamreports.model" in imports_of(PACKAGE / "inputs.py")
    local = [m for m, targets in graph().items() if m == "kamreports.model" and "kamreports.analytics.roi" in targets]
    assert local, "model imports analytics.roi inside a function; the walk must see it"
