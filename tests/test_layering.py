"""The layering rule, checked on the source: plugins are leaves, the core has no import cycle.

Every import counts: module level, inside ``if TYPE_CHECKING:``, inside functions, relative ones
(resolved), and the string targets of ``lazy("module:attr")`` / ``importlib.import_module("module")``.
The checkers are run on synthetic sources too, so a violation is known to make them fail.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = "esrgan_plugins"
CORE = "esrgan_core"
STRING_IMPORTERS = {"lazy", "import_module", "__import__"}  # calls whose first argument names a module


def imported_names(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """``(line, dotted name)`` of everything ``module``'s source imports (``from a import b`` gives
    ``a.b``, which may be a module or a name in ``a``: callers cut it to the longest module prefix)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in STRING_IMPORTERS and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value.partition(":")[0]


def modules_under(folder: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """``{dotted module name: (file, is_package)}`` for every ``.py`` file under ``folder``."""
    out: dict[str, tuple[Path, bool]] = {}
    for path in sorted(folder.rglob("*.py")):
        parts = [package, *path.relative_to(folder).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


# -- (a) plugins are leaves -------------------------------------------------------------------------
def foreign_plugin_imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Imports in ``module`` (``esrgan_plugins.<own>...``) of another plugin ``esrgan_plugins.<other>``."""
    own = module.split(".")[1]
    bad: dict[int, str] = {}  # one report per import statement
    for line, name in imported_names(source, module, is_package):
        parts = name.split(".")
        if parts[0] == PLUGINS and len(parts) > 1 and parts[1] != own:
            bad.setdefault(line, name)
    return sorted(bad.items())


def test_plugins_import_no_other_plugin() -> None:
    found = []
    for module, (path, is_package) in modules_under(ROOT / "plugins", PLUGINS).items():
        if module == PLUGINS:  # plugins/__init__.py: the namespace, not a plugin
            continue
        for line, name in foreign_plugin_imports(path.read_text(encoding="utf-8"), module, is_package):
            found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    assert not found, "a plugin imports another plugin (reach it through the registries):\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    "from esrgan_plugins.modelfiles.loader import read\n",
    "import esrgan_plugins.degradations.crop as c\n",
    "def f():\n    from esrgan_plugins.losses import gan\n",
    "from esrgan_plugins import losses\n",
    "from ... import losses\n",  # from esrgan_plugins.training.sub.mod: esrgan_plugins.losses
    "register('x', lazy('esrgan_plugins.losses.gan:GANLoss'))\n",
    "importlib.import_module('esrgan_plugins.losses.gan')\n",
])
def test_foreign_plugin_import_is_found(source: str) -> None:
    found = foreign_plugin_imports(source, "esrgan_plugins.training.sub.mod")
    assert [line for line, _ in found] == [source.count("\n")]
    assert all(name.startswith("esrgan_plugins.") and ".training" not in name for _, name in found)


def test_own_plugin_imports_are_allowed() -> None:
    source = ("from esrgan_plugins.training.base import X\nfrom . import sibling\nfrom .. import pairs\n"
              "import esrgan_core.registry\nlazy('esrgan_plugins.training.command:handler')\n")
    assert foreign_plugin_imports(source, "esrgan_plugins.training.sub.mod") == []


def imports_inside_functions(source: str) -> list[tuple[int, str]]:
    """``(line, function name)`` of every import statement inside a function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [(m.lineno, node.name) for m in ast.walk(node) if isinstance(m, (ast.Import, ast.ImportFrom))]
    return sorted(set(found))


def test_registration_modules_defer_imports_only_with_lazy() -> None:
    """One lazy-registration mechanism (esrgan_core.lazy): a plugin's registration module imports at
    the top, or registers ``lazy("module:attr")``; no import inside a hook or a wrapper factory."""
    found = [f"{path.relative_to(ROOT)}:{line}: import inside {name}()"
             for path in sorted((ROOT / "plugins").glob("*/__init__.py"))
             for line, name in imports_inside_functions(path.read_text(encoding="utf-8"))]
    assert not found, "use esrgan_core.lazy.lazy('module:attr') instead:\n" + "\n".join(found)


def test_import_inside_a_hook_is_found() -> None:
    source = "@hookimpl\ndef register_tasks(register):\n    from .preview import P\n    register('p', P)\n"
    assert imports_inside_functions(source) == [(3, "register_tasks")]


# -- (b) the core's module graph has no cycle; (c) the core imports no plugin ---------------------------
def import_graph(modules: dict[str, tuple[Path, bool]], sources: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Edges ``module -> modules of the graph it imports``. ``from a import b`` is an edge to ``a.b``
    when that is a module, else to ``a``. Importing ``a.b.c`` also runs ``a`` and ``a.b``: an edge
    to each such package, except the importer's own packages (they are already being imported)."""
    edges: dict[str, set[str]] = {}
    for module, (path, is_package) in modules.items():
        source = sources[module] if sources is not None else path.read_text(encoding="utf-8")
        own_packages = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        out: set[str] = set()
        for _, name in imported_names(source, module, is_package):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            parts = name.split(".") if name else []
            for i in range(1, len(parts) + 1):
                target = ".".join(parts[:i])
                if target in modules and target not in own_packages:
                    out.add(target)
        out.discard(module)
        edges[module] = out
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the graph, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(edges):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(edges[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges.get(nxt, ()))))
    return None


def core_modules() -> dict[str, tuple[Path, bool]]:
    return modules_under(ROOT / CORE, CORE)


def test_core_import_graph_has_no_cycle() -> None:
    edges = import_graph(core_modules())
    assert edges["esrgan_core.registry"] >= {"esrgan_core.values"}  # the graph sees real edges
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle in esrgan_core: " + " -> ".join(cycle or [])


def test_config_values_are_a_leaf() -> None:
    edges = import_graph(core_modules())
    assert edges["esrgan_core.values"] == set()


def test_cycle_is_found_with_function_local_and_relative_imports() -> None:
    mods = {"esrgan_core": (Path(), True), "esrgan_core.a": (Path(), False), "esrgan_core.b": (Path(), False),
            "esrgan_core.pkg": (Path(), True), "esrgan_core.pkg.c": (Path(), False)}
    sources = {"esrgan_core": "", "esrgan_core.a": "from esrgan_core.b import thing\n",
               "esrgan_core.b": "def f():\n    from .pkg import c\n",
               "esrgan_core.pkg": "", "esrgan_core.pkg.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                                           "    from ..a import X\n"}
    cycle = find_cycle(import_graph(mods, sources))
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"esrgan_core.a", "esrgan_core.b", "esrgan_core.pkg.c"}
    sources["esrgan_core.pkg.c"] = "import esrgan_core\n"  # the root package only: no cycle
    assert find_cycle(import_graph(mods, sources)) is None


def test_package_init_counts_for_a_cycle() -> None:
    """``from esrgan_core.pkg.c import x`` runs ``esrgan_core/pkg/__init__.py`` first."""
    mods = {"esrgan_core.a": (Path(), False), "esrgan_core.pkg": (Path(), True), "esrgan_core.pkg.c": (Path(), False)}
    sources = {"esrgan_core.a": "from esrgan_core.pkg.c import x\n", "esrgan_core.pkg": "from esrgan_core.a import y\n",
               "esrgan_core.pkg.c": "from . import other\n"}
    assert set(find_cycle(import_graph(mods, sources)) or []) == {"esrgan_core.a", "esrgan_core.pkg"}


def test_core_imports_no_plugin() -> None:
    found = []
    for module, (path, is_package) in core_modules().items():
        for line, name in imported_names(path.read_text(encoding="utf-8"), module, is_package):
            if name.split(".")[0] == PLUGINS:
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    assert not found, "esrgan_core imports a plugin:\n" + "\n".join(found)


def test_core_plugin_import_is_found() -> None:
    names = [n for _, n in imported_names("def f():\n    lazy('esrgan_plugins.x.y:z')\n", "esrgan_core.m", False)]
    assert names == ["esrgan_plugins.x.y"]


def test_config_values_are_imported_from_their_leaf_module() -> None:
    """``ComponentSpec`` lives in esrgan_core.values; nothing imports it through esrgan_core.registry."""
    found = []
    for folder in ("esrgan_core", "plugins", "tests", "benchmarks", "examples"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "esrgan_core.registry" and \
                        any(a.name == "ComponentSpec" for a in node.names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "import ComponentSpec from esrgan_core.values:\n" + "\n".join(found)
