"""Logging set-up: structlog events with fields, filtered by level (warnings by default)."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str | int = "warning") -> None:
    """Route structlog events at or above ``level`` to stderr (stdout carries UART output)."""
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        cache_logger_on_first_use=False,
    )
