"""Import direction across the project (docs/design.md): core/ depends on no other layer, and
only the engine and its fast-path binding touch Unicorn."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "boards", "gdbstub", "rtos", "asm", "cheriot_gdbserver")
UNICORN_ALLOWED = {"core/engine.py", "core/engine_mapping.py", "core/fastpath.py"}


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def imports(path: Path) -> set[str]:
    """Imported names, with relative imports resolved against the installed package layout."""
    rel = path.relative_to(ROOT)
    package = ["cheriot_gdbserver"] if rel.parts[0] == "cheriot_gdbserver" else \
        ["cheriot_gdbserver", *rel.parts[:-1]]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.add(".".join([*base, node.module] if node.module else base))
            else:
                names.add(node.module or "")
    return names


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_import_direction(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    names = imports(path)
    if rel not in UNICORN_ALLOWED:
        assert not any(n == "unicorn" or n.startswith("unicorn.") for n in names), rel
    if rel.startswith("core/"):
        for layer in ("boards", "gdbstub", "rtos"):
            assert not any(n.startswith(f"cheriot_gdbserver.{layer}") for n in names), rel
    if rel.startswith("boards/"):
        assert not any(n.startswith("cheriot_gdbserver.gdbstub") for n in names), rel
