"""Placeholder of the disasm feature (filled in by the following commits)."""

from __future__ import annotations


def install() -> None:
    """Nothing yet."""
