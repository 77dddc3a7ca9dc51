"""Placeholder of the info feature (filled in by the following commits)."""

from __future__ import annotations


def install() -> None:
    """Nothing yet."""
