"""The extension runs in gdb's own Python with nothing installed (issue 11 item 1): its modules
import only the standard library, ``gdb``, each other and the project's pure-Python core
modules, and those core modules in turn import nothing but the standard library and core."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "cheriot_gdbserver" / "gdb_extension"
ALLOWED = set(sys.stdlib_module_names) | {"gdb"}


def imported(path: Path) -> list[tuple[int, str]]:
    """(level, module) of each import; level 0 for absolute ones."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def core_closure() -> set[str]:
    """The core modules the extension reaches, following relative imports."""
    todo = [m.removeprefix("core.") for p in EXTENSION.glob("*.py")
            for level, m in imported(p) if level == 2 and m.startswith("core.")]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for level, module in imported(ROOT / "core" / f"{name}.py"):
            if level == 1:
                todo.append(module)
            else:
                assert module.split(".")[0] in ALLOWED, f"core/{name}.py imports {module}"
    return seen


def test_extension_modules_import_only_gdb_the_stdlib_and_core() -> None:
    for path in EXTENSION.glob("*.py"):
        for level, module in imported(path):
            if level == 0:
                assert module.split(".")[0] in ALLOWED, f"{path.name} imports {module}"
            elif level == 2:
                assert module.startswith("core."), f"{path.name} imports ..{module}"


def test_the_core_modules_it_reaches_need_nothing_installed() -> None:
    reached = core_closure()
    assert {"decode", "capability"} <= reached
    assert not reached & {"engine", "fastpath"}  # Unicorn's side of core/
