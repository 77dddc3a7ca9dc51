"""Every command family, registered in one place (gdb's ``monitor`` and the CLI use this list).

Adding a command is one edit: a ``Command`` in its family's module. Adding a family is a module
with a ``FAMILY`` and one line here.
"""

from __future__ import annotations

from . import capabilities, execution, rtos
from .base import CommandFamily, CommandRegistry

FAMILIES: tuple[CommandFamily, ...] = (capabilities.FAMILY, execution.FAMILY, rtos.FAMILY)


def default_registry() -> CommandRegistry:
    return CommandRegistry(FAMILIES)
