"""The project's modules import each other in one direction: no circle, so that a lower layer (the request plumbing,
the API's errors) never knows a higher one (the pages)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "stats"


def project_modules() -> dict[str, Path]:
    """Return every module of `stats` (migrations aside) by its dotted name."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_names(name: str, path: Path):
    """Yield every dotted name that the module imports, at its top or inside a function (which runs on the first
    call: a circle through it still means a lower layer knows a higher one)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            yield from (f"{module}.{alias.name}" for alias in node.names)


def owner(dotted: str, modules: dict[str, Path]) -> str | None:
    """Return the project module that `dotted` (a module, or a name in one) belongs to, if any."""
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {owner(imported, modules) for imported in imported_names(name, path)} - {None, name}
        for name, path in modules.items()
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the graph's strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is not None:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while not component or component[-1] != node:
                    component.append(stack.pop())
                    on_stack.discard(component[-1])
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_project_modules_import_each_other_in_no_circle():
    assert circles(import_graph()) == []


def test_the_read_budget_knows_nothing_of_the_pages():
    assert not {name for name in import_graph()["stats.budget"] if name.startswith("stats.pages")}


def test_the_circle_finder_finds_a_circle_of_three_beside_a_line():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]


def test_relative_imports_name_the_module_they_reach(tmp_path):
    (tmp_path / "__init__.py").write_text("from . import weekly\nfrom .common import blob\n")
    (tmp_path / "weekly.py").write_text("from ..figures import figure\n")
    assert set(imported_names("stats.feeds", tmp_path / "__init__.py")) == {"stats.feeds.weekly", "stats.feeds.common.blob"}
    assert set(imported_names("stats.feeds.weekly", tmp_path / "weekly.py")) == {"stats.figures.figure"}
