"""Layers point down: no two folders of `campaign/` import each other, and no module cycles.

Every import counts, at the top of a module or inside a function. The modules directly under
`campaign/` (database, extensions, identity, tokens, …) are one layer, `campaign`, that may
import no feature folder; `campaign/__init__.py` (create_app) and `campaign/models.py` are
the top wiring and may import anything. See docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "campaign"
PLATFORM = "campaign"
WIRING = {"campaign", "campaign.models"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                # `from campaign.x import y` imports the module campaign.x.y when there is one.
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
    return {target for target in found if target in modules and target != name}


def _folder(name: str) -> str:
    """The feature folder a module belongs to, or PLATFORM for modules under campaign/."""
    parts = name.split(".")
    if len(parts) >= 3 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return parts[1]
    return PLATFORM


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def two_way_folder_pairs(graph: dict[str, set[str]]) -> list[str]:
    """Each pair of folders that import each other, with the imports of both directions."""
    between: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, targets in graph.items():
        if module in WIRING:
            continue
        for target in targets:
            source_folder, target_folder = _folder(module), _folder(target)
            if source_folder != target_folder:
                between[(source_folder, target_folder)].append(f"{module} -> {target}")
    problems = []
    for (a, b), imports in sorted(between.items()):
        if a < b and (b, a) in between:
            lines = sorted(imports) + sorted(between[(b, a)])
            problems.append(f"{a} <-> {b}:\n    " + "\n    ".join(lines))
    return problems


def platform_imports_of_features(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module not in WIRING and _folder(module) == PLATFORM
        for target in targets
        if _folder(target) != PLATFORM
    )


def module_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_no_two_folders_import_each_other() -> None:
    problems = two_way_folder_pairs(import_graph())
    assert not problems, "Folders that import each other:\n" + "\n".join(problems)


def test_modules_directly_under_campaign_import_no_feature_folder() -> None:
    problems = platform_imports_of_features(import_graph())
    assert not problems, "Platform modules importing a feature:\n" + "\n".join(problems)


def test_identity_imports_nothing_of_the_project() -> None:
    assert import_graph()["campaign.identity"] == set()


def test_no_module_imports_itself_through_others() -> None:
    cycles = module_cycles(import_graph())
    assert not cycles, "Import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        "def f():\n    from campaign.signing import models\n    import campaign.identity\n",
        encoding="utf-8",
    )
    modules = _modules()
    assert _imports("campaign.probe", source, modules) == {
        "campaign.signing.models",
        "campaign.identity",
    }
    graph = {"campaign.a.x": {"campaign.b.y"}, "campaign.b.y": {"campaign.a.x"}}
    assert module_cycles(graph) == [["campaign.a.x", "campaign.b.y"]]
