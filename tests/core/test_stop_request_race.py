"""A stop request from another thread (Ctrl-C, a dropped client, SIGTERM) is never lost to a
slow-path instruction that recomputes the attention flag at the same moment: once lost, a loop
the fast path runs natively would never stop (issue 7, item 1). The interleaving is forced: the
request lands between the engine's read of the stop flag and its write of the attention flag."""

from __future__ import annotations

from cheriot_gdbserver.core.engine import Engine
from cheriot_gdbserver.core.memory import Memory, RamRegion


class RacingEngine(Engine):
    """Calls request_stop, as another thread would, just after _update_attention has read
    ``_stop_requested`` (it reads ``_exit_requested`` next)."""

    race = False

    @property  # type: ignore[override]
    def _exit_requested(self) -> int | None:
        if self.race:
            self.race = False
            self.request_stop()
        return self.__dict__.get("_exit")

    @_exit_requested.setter
    def _exit_requested(self, value: int | None) -> None:
        self.__dict__["_exit"] = value


def test_a_stop_request_racing_with_the_attention_update_is_kept() -> None:
    engine = RacingEngine(Memory([RamRegion("ram", 0x8000_0000, 0x1000)]))
    engine._update_attention()
    assert engine.core.attention == 0
    engine.race = True
    engine._update_attention()
    assert engine.core.attention == 1  # the fast path will call the slow path, which stops
