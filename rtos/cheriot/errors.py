"""The one error the RTOS model raises for an image it cannot describe."""

from __future__ import annotations

from ...errors import CheriotGdbError


class NoRtosView(CheriotGdbError):  # noqa: N818 (the name the view contract uses)
    """The image is not a CHERIoT RTOS image, or of a layout (generation) we do not know.

    The message always starts "no RTOS view: " and says why, so every RTOS command can print
    it as its one line of output.
    """

    def __init__(self, why: str) -> None:
        super().__init__(f"no RTOS view: {why}")
