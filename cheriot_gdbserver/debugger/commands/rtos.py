"""RTOS commands (issue 9 item 5), over the RTOS model in ``context.rtos`` read through
``context.view``: so far ``threads``. On an image that is not a CHERIoT RTOS image each answers
one line, ``error: no RTOS view: <why>``."""

from __future__ import annotations

import argparse

from ...report import where
from ...rtos.cheriot import NoRtosView, RtosImage, RtosState
from ..debug_context import DebugContext
from .base import Command, CommandFamily


def _state(context: DebugContext) -> RtosState:
    image = context.rtos
    if image is None:
        if not context.image.is_elf:
            raise NoRtosView("a raw image has no ELF to model")
        image = RtosImage.from_elf(context.image.elf)  # raises NoRtosView with the reason
        context.rtos = image
    return RtosState(image, context.view)


def threads(context: DebugContext, args: argparse.Namespace) -> str:
    """``thread ID NAME: STATE; priority P[ (base B)]; in COMPARTMENT; pc ADDR <sym>``, one
    line per thread, fields separated by '; '."""
    lines = []
    for t in _state(context).threads():
        fields = [t.describe(), f"priority {t.priority}" + (
            f" (base {t.base_priority})" if t.boosted else "")]
        if t.compartment:
            fields.append(f"in {t.compartment}")
        if t.pc is not None:
            fields.append(f"pc {where(context.image, t.pc)}")
        lines.append(f"thread {t.id} {t.name}: " + "; ".join(fields))
    return "\n".join(lines) + "\n" if lines else "(no threads)\n"


FAMILY = CommandFamily("rtos", (
    Command("threads", "list the RTOS threads: state, priority, compartment, pc", threads),
))
