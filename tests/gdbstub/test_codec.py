"""gdbstub/codec.py: framing, checksums, escaping, run-length encoding, acks and Ctrl-C."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cheriot_gdbserver.gdbstub.codec import (
    Ack,
    BadChecksum,
    Decoder,
    FrameError,
    Interrupt,
    Nak,
    Packet,
    checksum,
    escape,
    frame,
    rle_encode,
    unescape,
)


def decode(data: bytes, max_length: int = 1024) -> list:
    return list(Decoder(max_length).feed(data))


def test_checksum_is_the_byte_sum_mod_256() -> None:
    assert checksum(b"") == 0
    assert checksum(b"OK") == 0x9A
    assert checksum(b"\xff\x02") == 0x01


def test_frame_known_packets() -> None:
    assert frame(b"OK") == b"$OK#9a"
    assert frame(b"") == b"$#00"
    assert frame(b"qSupported") == b"$qSupported#37"


def test_escape_the_four_special_bytes() -> None:
    assert escape(b"#$}*") == b"}\x03}\x04}]}\x0a"
    assert escape(b"plain\x00\x03") == b"plain\x00\x03"
    assert unescape(b"}\x03}\x04}]}\x0a") == b"#$}*"


def test_unescape_rejects_a_trailing_escape() -> None:
    try:
        unescape(b"ab}")
    except ValueError as e:
        assert "unfinished" in str(e)
    else:
        raise AssertionError("a trailing '}' must be rejected")


@given(st.binary(max_size=200))
def test_escape_round_trips_and_never_leaves_specials(data: bytes) -> None:
    escaped = escape(data)
    assert unescape(escaped) == data
    assert not set(escaped) & set(b"#$*")


def test_rle_encoding_examples() -> None:
    assert rle_encode(b"000") == b"000"                  # too short to pay off
    assert rle_encode(b"0000") == b"0* "                 # ' ' = 3 more
    assert rle_encode(b"0" * 8) == b"0*\"00"             # 7 more would be '$': 5 + 2 literal
    assert rle_encode(b"0" * 7) == b"0*\"0"              # 6 more would be '#': 5 + 1 literal


def test_rle_long_run_splits_into_chunks() -> None:
    # 100 'a': 'a' + 97 more ('~'), then 2 left: written literally.
    assert rle_encode(b"a" * 100) == b"a*~aa"
    # 200 'a': 'a*~' (98), 'a*~' (98 more: 196), then 4 left -> 'a* ' (4).
    assert rle_encode(b"a" * 200) == b"a*~a*~a* "


@given(st.binary(max_size=300))
def test_rle_round_trips_through_the_decoder(data: bytes) -> None:
    payload = escape(data)  # what goes on the wire: no bare '#', '$' or '*'
    events = decode(frame(payload, rle=True), max_length=10_000)
    assert events == [Packet(payload)]


def test_decoder_packet_ack_nak_interrupt() -> None:
    assert decode(b"+$g#67-\x03") == [Ack(), Packet(b"g"), Nak(), Interrupt()]


def test_decoder_handles_arbitrary_chunking() -> None:
    wire = b"$qSupported:swbreak+#8b$g#67"
    dec = Decoder(1024)
    events = [e for b in wire for e in dec.feed(bytes((b,)))]
    assert events == [Packet(b"qSupported:swbreak+"), Packet(b"g")]


def test_decoder_bad_checksum_carries_the_data() -> None:
    assert decode(b"$g#00") == [BadChecksum(b"g", 0x67, 0x00)]
    assert decode(b"$g#zz") == [BadChecksum(b"g", 0x67, None)]


def test_decoder_accepts_upper_case_checksum() -> None:
    assert decode(b"$OK#9A") == [Packet(b"OK")]


def test_decoder_rle_in_incoming_packets() -> None:
    # "0* " is 0 followed by 3 more zeros; the checksum covers the encoded bytes.
    body = b"X0* "
    assert decode(b"$" + body + b"#%02x" % checksum(body)) == [Packet(b"X0000")]


def test_decoder_rejects_rle_without_a_previous_byte() -> None:
    body = b"* "
    assert decode(b"$" + body + b"#%02x" % checksum(body)) == [
        FrameError("invalid run-length count 0x20")]


def test_decoder_over_long_packet_is_a_frame_error_then_recovers() -> None:
    long_body = b"M" + b"0" * 40
    wire = b"$" + long_body + b"#%02x" % checksum(long_body) + b"$g#67"
    assert decode(wire, max_length=16) == [FrameError("packet longer than 16 bytes"),
                                           Packet(b"g")]


def test_decoder_drops_a_partial_packet_when_a_new_one_starts() -> None:
    assert decode(b"$m0,4$g#67") == [Packet(b"g")]


def test_ctrl_c_inside_a_packet_is_data() -> None:
    body = b"X0,1:\x03"
    assert decode(b"$" + body + b"#%02x" % checksum(body)) == [Packet(body)]


def test_noise_between_packets_is_ignored() -> None:
    assert decode(b"xyz\r\n$g#67") == [Packet(b"g")]
