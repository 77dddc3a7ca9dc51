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


# --- the fast paths against their byte-by-byte oracles ------------------------------------------

def reference_rle_encode(data: bytes) -> bytes:
    """The byte-at-a-time encoder the regular-expression one replaced (the oracle)."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        run = 1
        while i + run < n and data[i + run] == b:
            run += 1
        out.append(b)
        extra = run - 1
        while extra >= 3:
            chunk = min(extra, 97)
            while chunk in (ord("#") - 29, ord("$") - 29):
                chunk -= 1
            out += bytes((ord("*"), chunk + 29))
            extra -= chunk
            if extra >= 3:
                out.append(b)
                extra -= 1
        out += bytes((b,)) * extra
        i += run
    return bytes(out)


runs = st.lists(st.tuples(st.sampled_from(b"0af*#$}x\x00"), st.integers(1, 300)), max_size=8)


@given(runs)
def test_rle_encode_matches_the_byte_at_a_time_encoder(pieces: list[tuple[int, int]]) -> None:
    data = b"".join(bytes((b,)) * n for b, n in pieces)
    assert rle_encode(data) == reference_rle_encode(data)


# Wire text built from the bytes that matter to framing, so that whole packets, broken ones,
# run-length counts (valid and not) and stray bytes all occur.
wire = st.lists(st.sampled_from([b"$", b"#", b"*", b" ", b"!", b"\x1d", b"}", b"0", b"g", b"7",
                                 b"67", b"+", b"-", b"\x03", b"$g#67", b"$m0,4#fd", b"*\x7e",
                                 b"0* ", b"$0*!#"]),
                max_size=40).map(b"".join)


@given(wire, st.integers(1, 400))
def test_decoder_whole_chunks_match_byte_at_a_time(data: bytes, max_length: int) -> None:
    """Packets found whole in one chunk take the fast path; fed one byte at a time they never
    can: both must give the same events."""
    whole = list(Decoder(max_length).feed(data))
    dec = Decoder(max_length)
    one_by_one = [e for b in data for e in dec.feed(bytes((b,)))]
    assert whole == one_by_one


def reference_escape(data: bytes) -> bytes:
    return b"".join(bytes((0x7D, b ^ 0x20)) if b in b"#$}*" else bytes((b,)) for b in data)


@given(st.binary(max_size=300))
def test_escape_matches_the_byte_at_a_time_escape(data: bytes) -> None:
    assert escape(data) == reference_escape(data)


def test_whole_gives_the_event_feed_gives_for_a_step_frame() -> None:
    for payload in (b"vCont;s", b"s"):
        chunk = frame(payload)
        assert Decoder(1024).whole(chunk) == decode(chunk)[0] == Packet(payload)


def test_whole_leaves_other_chunks_and_a_packet_in_progress_to_feed() -> None:
    decoder = Decoder(1024)
    assert decoder.whole(frame(b"vCont;c")) is None
    assert decoder.whole(b"+" + frame(b"vCont;s")) is None  # an ack in front: decoded
    assert decoder.whole(b"$vCont;s#00") is None  # a bad checksum: decoded (BadChecksum)
    assert list(decoder.feed(b"$m0,")) == []
    assert decoder.whole(frame(b"s")) is None  # the partial packet is feed's to drop
    assert list(decoder.feed(frame(b"s"))) == [Packet(b"s")]
