# Firmware for the gdb extension's tests (tests/gdb_extension), on the sail board.
#
# It makes pointers of both kinds where a C program keeps them, described by hand-written DWARF
# (at the end) as CHERIoT's toolchain describes them: pointer types 8 bytes long (a capability:
# address word, then metadata word).
#   g_tagged    int *            a capability to `counter` (4 bytes), stored by csc: tagged
#   g_untagged  int *            the same 8 bytes copied word by word (csw): untagged
#   g_pair      struct pair      .first tagged (to `buffer`, 16 bytes), .second untagged
#   use_locals  twelve int * locals on its stack: p0..p5 tagged, q0..q5 untagged
#   get_pointer int *()          returns a capability to `counter` in ca0 (for `finish`);
#                                its local `result` lives in register 10 (ca0, DW_OP_reg10)
# The code uses the compressed capability forms too (c.cincaddr16csp, c.cscsp, c.clcsp,
# c.cincaddr4cspn, c.csc, c.clc, c.cjal), so that disassembly covers them.
.include "cheriot.inc"
.cfi_sections .debug_frame

.equ STACK_SIZE, 0x400

.macro address_of creg, symbol, size
	lui t0, %hi(\symbol)
	addi t0, t0, %lo(\symbol)
	csetaddr \creg, ca5, t0
	csetbounds \creg, \creg, \size
.endm

.section .text.start, "ax"
.globl _start
.type _start, @function
_start:
	.cfi_startproc
	.cfi_undefined ra
	cspecialr ca5, mtdc                 # the memory root
	address_of csp, stack, STACK_SIZE
	cincoffset csp, csp, STACK_SIZE
	address_of cs0, counter, 4
	address_of ca1, g_tagged, 8
	csc cs0, 0(ca1)                     # g_tagged: tagged
	address_of ca2, g_untagged, 8
	clw a3, 0(ca1)
	csw a3, 0(ca2)
	clw a3, 4(ca1)
	csw a3, 4(ca2)                      # g_untagged: the same bits, no tag
	address_of cs1, buffer, 16
	address_of ca1, g_pair, 16
	csc cs1, 0(ca1)                     # g_pair.first: tagged
	clw a3, 0(ca1)
	csw a3, 8(ca1)
	clw a3, 4(ca1)
	csw a3, 12(ca1)                     # g_pair.second: untagged
	cjal use_locals
	.cfi_endproc
.size _start, .-_start

.globl spin
.type spin, @function
spin:
	j spin
.size spin, .-spin

# use_locals: a 112-byte frame; the locals at csp + 0 .. csp + 88, the saved cra at 96.
.globl use_locals
.type use_locals, @function
use_locals:
	.cfi_startproc
	c.cincaddr16csp csp, -112
	.cfi_def_cfa_offset 112
	c.cscsp cra, 96(csp)
	.cfi_offset ra, -16
	cincoffset ct0, cs1, 0             # p0 = buffer + 0: tagged
	c.cscsp ct0, 0(csp)
	cincoffset ct0, cs1, 1             # p1 = buffer + 1: tagged
	c.cscsp ct0, 8(csp)
	cincoffset ct0, cs1, 2             # p2 = buffer + 2: tagged
	c.cscsp ct0, 16(csp)
	cincoffset ct0, cs1, 3             # p3 = buffer + 3: tagged
	c.cscsp ct0, 24(csp)
	cincoffset ct0, cs1, 4             # p4 = buffer + 4: tagged
	c.cscsp ct0, 32(csp)
	cincoffset ct0, cs1, 5             # p5 = buffer + 5: tagged
	c.cscsp ct0, 40(csp)
	clw a3, 0(csp)                   # q0 = p0's bits, word by word: untagged
	csw a3, 48(csp)
	clw a3, 4(csp)
	csw a3, 52(csp)
	clw a3, 8(csp)                   # q1 = p1's bits, word by word: untagged
	csw a3, 56(csp)
	clw a3, 12(csp)
	csw a3, 60(csp)
	clw a3, 16(csp)                   # q2 = p2's bits, word by word: untagged
	csw a3, 64(csp)
	clw a3, 20(csp)
	csw a3, 68(csp)
	clw a3, 24(csp)                   # q3 = p3's bits, word by word: untagged
	csw a3, 72(csp)
	clw a3, 28(csp)
	csw a3, 76(csp)
	clw a3, 32(csp)                   # q4 = p4's bits, word by word: untagged
	csw a3, 80(csp)
	clw a3, 36(csp)
	csw a3, 84(csp)
	clw a3, 40(csp)                   # q5 = p5's bits, word by word: untagged
	csw a3, 88(csp)
	clw a3, 44(csp)
	csw a3, 92(csp)
	c.cincaddr4cspn ca4, csp, 8
	c.clc ca2, 0(ca4)                   # p1, through a compressed load...
	c.csc ca2, 0(ca4)                   # ...and back
	c.clcsp ca3, 0(csp)
.globl locals_ready
locals_ready:
	nop
	c.cjal get_pointer
.globl after_get_pointer
after_get_pointer:
	c.clcsp cra, 96(csp)
	c.cincaddr16csp csp, 112
	cret
	.cfi_endproc
.size use_locals, .-use_locals

.globl get_pointer
.type get_pointer, @function
get_pointer:
	.cfi_startproc
	cmove ca0, cs0                      # counter's capability
.globl get_pointer_return
get_pointer_return:
	cret
	.cfi_endproc
.size get_pointer, .-get_pointer
.Ltext_end:

.data
.balign 8
.globl counter
counter: .4byte 7
	.4byte 0
.globl buffer
buffer: .fill 16, 1, 0
.globl g_tagged
g_tagged: .8byte 0
.globl g_untagged
g_untagged: .8byte 0
.globl g_pair
g_pair: .8byte 0, 0
.balign 16
stack: .fill STACK_SIZE, 1, 0

# --- DWARF 4 for the types and variables above --------------------------------------------------
.section .debug_abbrev, "", @progbits
.Labbrev:
	.uleb128 1; .uleb128 0x11; .byte 1                      # compile_unit, children
	.uleb128 0x25; .uleb128 0x08                            #   producer: string
	.uleb128 0x13; .uleb128 0x05                            #   language: data2
	.uleb128 0x03; .uleb128 0x08                            #   name: string
	.uleb128 0x11; .uleb128 0x01                            #   low_pc: addr
	.uleb128 0x12; .uleb128 0x06                            #   high_pc: data4 (length)
	.byte 0, 0
	.uleb128 2; .uleb128 0x24; .byte 0                      # base_type
	.uleb128 0x03; .uleb128 0x08; .uleb128 0x3e; .uleb128 0x0b; .uleb128 0x0b; .uleb128 0x0b
	.byte 0, 0
	.uleb128 3; .uleb128 0x0f; .byte 0                      # pointer_type: byte_size, type
	.uleb128 0x0b; .uleb128 0x0b; .uleb128 0x49; .uleb128 0x13
	.byte 0, 0
	.uleb128 4; .uleb128 0x13; .byte 1                      # structure_type: name, byte_size
	.uleb128 0x03; .uleb128 0x08; .uleb128 0x0b; .uleb128 0x0b
	.byte 0, 0
	.uleb128 5; .uleb128 0x0d; .byte 0                      # member: name, type, offset
	.uleb128 0x03; .uleb128 0x08; .uleb128 0x49; .uleb128 0x13; .uleb128 0x38; .uleb128 0x0b
	.byte 0, 0
	.uleb128 6; .uleb128 0x34; .byte 0                      # variable: name, type, location
	.uleb128 0x03; .uleb128 0x08; .uleb128 0x49; .uleb128 0x13; .uleb128 0x02; .uleb128 0x18
	.byte 0, 0
	.uleb128 7; .uleb128 0x2e; .byte 1                      # subprogram: name, pcs, frame base
	.uleb128 0x03; .uleb128 0x08; .uleb128 0x11; .uleb128 0x01; .uleb128 0x12; .uleb128 0x06
	.uleb128 0x40; .uleb128 0x18; .uleb128 0x3f; .uleb128 0x19
	.byte 0, 0
	.uleb128 8; .uleb128 0x2e; .byte 1                      # subprogram returning a type
	.uleb128 0x03; .uleb128 0x08; .uleb128 0x11; .uleb128 0x01; .uleb128 0x12; .uleb128 0x06
	.uleb128 0x40; .uleb128 0x18; .uleb128 0x3f; .uleb128 0x19; .uleb128 0x49; .uleb128 0x13
	.byte 0, 0
	.byte 0

.section .debug_info, "", @progbits
.Lcu:
	.4byte .Lcu_end - .Lcu_version
.Lcu_version:
	.2byte 4
	.4byte .Labbrev
	.byte 4
	.uleb128 1
	.asciz "hand-written (tests/gdb_extension/firmware/pointers.S)"
	.2byte 0x0c                                             # C99
	.asciz "pointers.c"
	.4byte _start
	.4byte .Ltext_end - _start
.Lint:
	.uleb128 2; .asciz "int"; .byte 0x05; .byte 4           # signed, 4 bytes
.Lint_ptr:
	.uleb128 3; .byte 8; .4byte .Lint - .Lcu                # int *: a capability, 8 bytes
.Lpair:
	.uleb128 4; .asciz "pair"; .byte 16
	.uleb128 5; .asciz "first"; .4byte .Lint_ptr - .Lcu; .byte 0
	.uleb128 5; .asciz "second"; .4byte .Lint_ptr - .Lcu; .byte 8
	.byte 0
	.uleb128 6; .asciz "counter"; .4byte .Lint - .Lcu; .uleb128 5; .byte 0x03; .4byte counter
	.uleb128 6; .asciz "g_tagged"; .4byte .Lint_ptr - .Lcu; .uleb128 5; .byte 0x03; .4byte g_tagged
	.uleb128 6; .asciz "g_untagged"; .4byte .Lint_ptr - .Lcu; .uleb128 5; .byte 0x03
	.4byte g_untagged
	.uleb128 6; .asciz "g_pair"; .4byte .Lpair - .Lcu; .uleb128 5; .byte 0x03; .4byte g_pair
	.uleb128 7; .asciz "use_locals"; .4byte use_locals; .4byte get_pointer - use_locals
	.uleb128 2; .byte 0x72; .byte 0                         # frame base: DW_OP_breg2 (sp) 0
	.uleb128 6; .asciz "p0"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x00   # DW_OP_fbreg 0
	.uleb128 6; .asciz "p1"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x08   # DW_OP_fbreg 8
	.uleb128 6; .asciz "p2"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x10   # DW_OP_fbreg 16
	.uleb128 6; .asciz "p3"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x18   # DW_OP_fbreg 24
	.uleb128 6; .asciz "p4"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x20   # DW_OP_fbreg 32
	.uleb128 6; .asciz "p5"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x28   # DW_OP_fbreg 40
	.uleb128 6; .asciz "q0"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x30   # DW_OP_fbreg 48
	.uleb128 6; .asciz "q1"; .4byte .Lint_ptr - .Lcu; .uleb128 2; .byte 0x91, 0x38   # DW_OP_fbreg 56
	.uleb128 6; .asciz "q2"; .4byte .Lint_ptr - .Lcu; .uleb128 3; .byte 0x91, 0xc0, 0x00   # DW_OP_fbreg 64
	.uleb128 6; .asciz "q3"; .4byte .Lint_ptr - .Lcu; .uleb128 3; .byte 0x91, 0xc8, 0x00   # DW_OP_fbreg 72
	.uleb128 6; .asciz "q4"; .4byte .Lint_ptr - .Lcu; .uleb128 3; .byte 0x91, 0xd0, 0x00   # DW_OP_fbreg 80
	.uleb128 6; .asciz "q5"; .4byte .Lint_ptr - .Lcu; .uleb128 3; .byte 0x91, 0xd8, 0x00   # DW_OP_fbreg 88
	.byte 0
	.uleb128 8; .asciz "get_pointer"; .4byte get_pointer; .4byte .Ltext_end - get_pointer
	.uleb128 2; .byte 0x72; .byte 0
	.4byte .Lint_ptr - .Lcu
	.uleb128 6; .asciz "result"; .4byte .Lint_ptr - .Lcu; .uleb128 1; .byte 0x5a  # DW_OP_reg10
	.byte 0
	.byte 0                                                 # end of the compile unit
.Lcu_end:
