"""Board files are JSON5; the common subset (comments, hex numbers, trailing commas) is read
with the json module for start-up speed, and must give exactly what json5 gives."""

from __future__ import annotations

import json

import json5
import pytest

from cheriot_gdbserver.boards import board
from cheriot_gdbserver.boards.board import load_board, shipped_boards


@pytest.mark.parametrize("name", shipped_boards())
def test_shipped_boards_read_the_same_through_the_subset(name: str) -> None:
    text = (board.Path(board.__file__).parent / f"{name}.json").read_text()
    fast = json.loads(board._plain_json(text), object_pairs_hook=board._unique_keys)
    assert fast == json5.loads(text, allow_duplicate_keys=False)


def test_strings_keep_what_looks_like_comments_or_hex() -> None:
    text = '{ "a": "// not a comment 0x10", /* c */ "b": [0x1F, 2,] // tail\n }'
    assert json.loads(board._plain_json(text)) == {"a": "// not a comment 0x10", "b": [31, 2]}


def test_outside_the_subset_json5_still_decides_and_explains(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "b.json"
    path.write_text('{ unquoted: 1, "x": 1, "x": 2 }')
    with pytest.raises(board.BoardError, match="Duplicate key"):
        load_board(path)
