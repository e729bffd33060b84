"""What a Lambda handler needs from the repository: its books_api modules, data files and
third-party imports, found by reading the source (ast), never by importing it."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "books_api"
# Lambda code must never reach these (they pull in the local gateway's web stack).
FORBIDDEN = ("books_api.local", "books_api.cli")


@dataclass
class Closure:
    """Modules (dotted names), data files (paths under the package) and top-level imports."""

    modules: set[str] = field(default_factory=set)
    data_files: set[str] = field(default_factory=set)
    third_party: set[str] = field(default_factory=set)

    def files(self, root: Path = SOURCE_ROOT) -> dict[str, Path]:
        """Archive name -> source file, for every module, its packages and data files."""
        entries: dict[str, Path] = {}
        for module in self.modules:
            path = module_path(module, root)
            assert path is not None
            entries[path.relative_to(root).as_posix()] = path
        for data in self.data_files:
            entries[f"{PACKAGE}/{data}"] = root / PACKAGE / data
        return entries


class ForbiddenImport(Exception):
    """A Lambda module imports the local gateway or the CLI."""


def module_path(module: str, root: Path = SOURCE_ROOT) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def handler_closure(handler: str, root: Path = SOURCE_ROOT) -> Closure:
    """The closure of `package.module.function` (a Lambda handler string)."""
    module = handler.rsplit(".", 1)[0]
    closure = Closure()
    pending = [module]
    while pending:
        name = pending.pop()
        if name in closure.modules:
            continue
        if name.startswith(FORBIDDEN):
            raise ForbiddenImport(
                f"{name} is reached from {handler}; Lambda code must not import it"
            )
        path = module_path(name, root)
        if path is None:
            raise FileNotFoundError(f"module {name} (reached from {handler}) has no source file")
        closure.modules.add(name)
        pending.extend(_parents(name))
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for imported in _runtime_imports(tree, name, path.name == "__init__.py"):
            top = imported.split(".")[0]
            if top == PACKAGE:
                pending.append(_as_module(imported, root))
            elif top not in sys.stdlib_module_names and top != "__future__":
                closure.third_party.add(top)
        closure.data_files |= _data_files(tree, root / PACKAGE)
    return closure


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _as_module(name: str, root: Path) -> str:
    """`books_api.core.codec` or, for `from books_api.core import Thing`, `books_api.core`."""
    while module_path(name, root) is None and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _runtime_imports(tree: ast.Module, module: str, is_package: bool) -> list[str]:
    """Every module named by an import, lazy ones included; `if TYPE_CHECKING:` ones excluded."""
    names: list[str] = []
    for node in _walk_runtime(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(node, module, is_package)
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _walk_runtime(tree: ast.AST) -> list[ast.AST]:
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve_relative(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if not is_package:
        package = package[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, *([node.module] if node.module else [])])


def _data_files(tree: ast.Module, package_dir: Path) -> set[str]:
    """String constants naming a non-Python file of the package (e.g. "data/books.json")."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if "/" in text and len(text) < 200 and not text.endswith(".py"):
                candidate = package_dir / text
                if candidate.is_file():
                    found.add(candidate.relative_to(package_dir).as_posix())
    return found
