"""A tiny hand-written DWARF 4 unit for the synthetic images: the scheduler's thread block, the
trusted stack and its frame, with layouts that differ from the documented ones, so a test can
tell whether the model read them from DWARF.

The thread block carries an extra 8-byte member in front (everything moves up by 8, size 88),
its futex fields sit in an anonymous union holding an anonymous struct (as in the real
``ThreadImpl``), and its bit-fields use DWARF 4's ``DW_AT_bit_offset`` counted from the most
significant bit (rtos.md section 0). The trusted stack is the layout without MSHWM (176 bytes,
frames at 152) with the member names of the 2024 images (``c1``... ``c15``).
"""

from __future__ import annotations

# Thread block as the DWARF describes it: name -> (offset, size) or bit-field
# (offset, byte_size, bit_size, dwarf4_bit_offset).
THREAD = {
    "extra": (0, 8), "prev": (8, 8), "next": (16, 8), "timerPrev": (24, 8),
    "timerNext": (32, 8), "sleepQueue": (40, 8), "expiryTime": (48, 8), "cycles": (56, 8),
    "tStackPtr": (72, 8), "threadId": (80, 2), "priority": (82, 1), "OriginalPriority": (83, 1),
}
THREAD_BITS = {"state": (84, 1, 2, 6), "isYielding": (84, 1, 1, 5)}
FUTEX_UNION_AT = 64          # {struct {futexWaitAddress; futexPriorityBoostedThread; PI:1}}
FUTEX_STRUCT = {"futexWaitAddress": (0, 4), "futexPriorityBoostedThread": (4, 2)}
FUTEX_BITS = {"futexPriorityInheriting": (6, 1, 1, 7)}
THREAD_SIZE = 88

# Offsets the test's memory writer uses for this variant (LSB bit positions for bit-fields).
THREAD_OFFSETS = {**{k: v[0] for k, v in THREAD.items()},
                  "futexWaitAddress": 64, "futexPriorityBoostedThread": 68,
                  "futexPriorityInheriting": 70, "multiWaiter": 64, "state": 84}
# MChunkHeader with the two sizes swapped and the flags in the low bits of the u16 at +4,
# described with DW_AT_data_bit_offset (counted from the start of the struct, LSB first).
CHUNK = {"currSize": (0, 2), "prevSize": (2, 2), "claims": (6, 2)}
CHUNK_BITS = {"isCurrInUse": (32, 1), "isPrevInUse": (33, 1), "isSealedObject": (34, 1),
              "ownerID": (35, 13)}
TRUSTED_STACK_NO_MSHWM = {"frameoffset": 144, "threadID": 146, "frames": 152, "mstatus": 136,
                          "mcause": 140}


def _trusted_stack_members() -> list[tuple[str, int, str]]:
    out = [("mepcc", 0, "cap")]
    for n in range(1, 16):
        out.append((f"c{n}" if n not in (2, 3) else ("csp" if n == 2 else "cgp"), 8 * n, "cap"))
    out += [("hazardPointers", 128, "cap"), ("mstatus", 136, "u32"), ("mcause", 140, "u32"),
            ("frameoffset", 144, "u16"), ("threadID", 146, "u16"),
            ("inForcedUnwind", 148, "u8"), ("frames", 152, "frames")]
    return out


def emit(_layout) -> str:
    """Assembly text for .debug_abbrev and .debug_info."""
    abbrev = """
    .section .debug_abbrev, "", @progbits
.Labbrev0:
    .uleb128 1
    .uleb128 0x11
    .byte 1
    .uleb128 0x03
    .uleb128 0x08
    .uleb128 0x13
    .uleb128 0x05
    .byte 0, 0
    .uleb128 2
    .uleb128 0x24
    .byte 0
    .uleb128 0x03
    .uleb128 0x08
    .uleb128 0x0b
    .uleb128 0x0b
    .uleb128 0x3e
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 3
    .uleb128 0x13
    .byte 1
    .uleb128 0x03
    .uleb128 0x08
    .uleb128 0x0b
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 4
    .uleb128 0x0d
    .byte 0
    .uleb128 0x03
    .uleb128 0x08
    .uleb128 0x49
    .uleb128 0x13
    .uleb128 0x38
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 5
    .uleb128 0x0d
    .byte 0
    .uleb128 0x03
    .uleb128 0x08
    .uleb128 0x49
    .uleb128 0x13
    .uleb128 0x0b
    .uleb128 0x0b
    .uleb128 0x0d
    .uleb128 0x0b
    .uleb128 0x0c
    .uleb128 0x0b
    .uleb128 0x38
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 6
    .uleb128 0x17
    .byte 1
    .uleb128 0x0b
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 7
    .uleb128 0x0d
    .byte 0
    .uleb128 0x49
    .uleb128 0x13
    .uleb128 0x38
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 8
    .uleb128 0x13
    .byte 1
    .uleb128 0x0b
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 9
    .uleb128 0x0f
    .byte 0
    .uleb128 0x0b
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 10
    .uleb128 0x01
    .byte 1
    .uleb128 0x49
    .uleb128 0x13
    .byte 0, 0
    .uleb128 11
    .uleb128 0x21
    .byte 0
    .uleb128 0x37
    .uleb128 0x0b
    .byte 0, 0
    .uleb128 12
    .uleb128 0x0d
    .byte 0
    .uleb128 0x03
    .uleb128 0x08
    .uleb128 0x49
    .uleb128 0x13
    .uleb128 0x0d
    .uleb128 0x0b
    .uleb128 0x6b
    .uleb128 0x0b
    .byte 0, 0
    .byte 0
"""
    info: list[str] = [
        '    .section .debug_info, "", @progbits',
        ".Lcu0:",
        "    .4byte .Lcu0_end - .Lcu0_ver",
        ".Lcu0_ver:",
        "    .2byte 4",
        "    .4byte .Labbrev0",
        "    .byte 4",
        "    .uleb128 1",
        '    .asciz "scheduler/main.cc"',
        "    .2byte 0x4",
    ]

    def base(label: str, name: str, size: int) -> None:
        info.extend([f"{label}:", "    .uleb128 2", f'    .asciz "{name}"', f"    .byte {size}",
                     "    .byte 8"])

    base(".Lt_u8", "unsigned char", 1)
    base(".Lt_u16", "unsigned short", 2)
    base(".Lt_u32", "unsigned int", 4)
    base(".Lt_u64", "unsigned long long", 8)
    info.extend([".Lt_cap:", "    .uleb128 9", "    .byte 8"])
    kinds = {"cap": ".Lt_cap", "u8": ".Lt_u8", "u16": ".Lt_u16", "u32": ".Lt_u32",
             "u64": ".Lt_u64", "frames": ".Lt_frames"}
    sizes = {1: ".Lt_u8", 2: ".Lt_u16", 4: ".Lt_u32", 8: ".Lt_u64"}

    def ref(label: str) -> str:
        return f"    .4byte {label} - .Lcu0"

    def member(name: str, typ: str, offset: int) -> None:
        info.extend(["    .uleb128 4", f'    .asciz "{name}"', ref(typ), f"    .byte {offset}"])

    def bitfield(name: str, offset: int, byte_size: int, bits: int, bit_offset: int) -> None:
        info.extend(["    .uleb128 5", f'    .asciz "{name}"', ref(sizes[byte_size]),
                     f"    .byte {byte_size}", f"    .byte {bits}", f"    .byte {bit_offset}",
                     f"    .byte {offset}"])

    # struct TrustedStackFrame (24 bytes)
    info.extend([".Lt_frame:", "    .uleb128 3", '    .asciz "TrustedStackFrame"', "    .byte 24"])
    member("csp", ".Lt_cap", 0)
    member("calleeExportTable", ".Lt_cap", 8)
    member("errorHandlerCount", ".Lt_u16", 16)
    info.append("    .byte 0")
    info.extend([".Lt_frames:", "    .uleb128 10", ref(".Lt_frame"), "    .uleb128 11",
                 "    .byte 1", "    .byte 0"])
    # struct TrustedStackGeneric<0> (no MSHWM, 2024 member names)
    info.extend(["    .uleb128 3", '    .asciz "TrustedStackGeneric<0>"', "    .byte 176"])
    for name, off, kind in _trusted_stack_members():
        member(name, kinds[kind], off)
    info.append("    .byte 0")
    # anonymous struct and union of the futex fields
    info.extend([".Lt_futex_struct:", "    .uleb128 8", "    .byte 8"])
    for name, (off, size) in FUTEX_STRUCT.items():
        member(name, sizes[size], off)
    for name, (off, bsize, bits, boff) in FUTEX_BITS.items():
        bitfield(name, off, bsize, bits, boff)
    info.append("    .byte 0")
    info.extend([".Lt_futex_union:", "    .uleb128 6", "    .byte 8",
                 "    .uleb128 7", ref(".Lt_futex_struct"), "    .byte 0",
                 "    .uleb128 4", '    .asciz "multiWaiter"', ref(".Lt_cap"), "    .byte 0",
                 "    .byte 0"])
    # MChunkHeader (DW_AT_data_bit_offset bit-fields)
    info.extend(["    .uleb128 3", '    .asciz "MChunkHeader"', "    .byte 8"])
    for name, (off, size) in CHUNK.items():
        member(name, sizes[size], off)
    for name, (dbo, bits) in CHUNK_BITS.items():
        info.extend(["    .uleb128 12", f'    .asciz "{name}"', ref(".Lt_u16"),
                     f"    .byte {bits}", f"    .byte {dbo}"])
    info.append("    .byte 0")
    # (anonymous namespace)::ThreadImpl<32>
    info.extend(["    .uleb128 3", '    .asciz "ThreadImpl<32>"', f"    .byte {THREAD_SIZE}"])
    for name, (off, size) in THREAD.items():
        member(name, ".Lt_cap" if size == 8 and name not in ("expiryTime", "cycles", "extra")
               else sizes[size], off)
    info.extend(["    .uleb128 7", ref(".Lt_futex_union"), f"    .byte {FUTEX_UNION_AT}"])
    for name, (off, bsize, bits, boff) in THREAD_BITS.items():
        bitfield(name, off, bsize, bits, boff)
    info.append("    .byte 0")
    info.extend(["    .byte 0", ".Lcu0_end:"])
    return abbrev + "\n".join(info) + "\n"
