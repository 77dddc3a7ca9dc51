# Device test firmware for the `sail` board (tests/run/test_board_firmware.py).
#
# Exercises, checking each result itself (a failed check prints why and exits with 10+):
#   * UART output (16550 THR);
#   * a CLINT timer interrupt (standard layout: mtimecmp +0x4000, mtime +0xBFF8);
#   * the software-revoker path, i.e. the load filter alone (isa.md §8.2): a capability stored
#     in memory loses its tag on CLC once the revocation bit of its base is set, and keeps it
#     in memory (only loads are filtered);
#   * the HTIF exit: tohost = 1 | status << 1, with the status linked in as EXIT_STATUS.
.include "cheriot.inc"
.include "testlib.inc"

.include "sail.inc"

.equ TICKS,          100
.equ SHADOW,         0x83000000
.equ REVOCABLE_BASE, 0x80000000
.equ MSTATUS_MIE,    0x8

.weak EXIT_STATUS  # `--defsym EXIT_STATUS=N` at link time; 0 when not defined

.section .text.start, "ax"
.globl _start
_start:
	cllc ct0, trap_handler
	cspecialw mtcc, ct0
	cspecialr ca5, mtdc
	device_at cs0, UART, 0x100

	cllc ca0, hello
	cjal print

	# Timer: mtimecmp = mtime + TICKS (high word parked first), MTIE on, wait in wfi.
	device_at cs1, CLINT, 0x10000
	li t1, CLINT_MTIME
	cincoffset ca1, cs1, t1
	clw a2, 0(ca1)
	clw a3, 4(ca1)
	addi a2, a2, TICKS
	li t1, CLINT_MTIMECMP
	cincoffset ca1, cs1, t1
	li t2, -1
	csw t2, 4(ca1)
	csw a2, 0(ca1)
	csw a3, 4(ca1)
	li gp, 0
	li t0, MIE_MTIE
	csrs mie, t0
	csrsi mstatus, MSTATUS_MIE
1:	bnez gp, 2f
	wfi
	j 1b
2:	csrci mstatus, MSTATUS_MIE
	expect_eq gp, 0x80000007, bad_timer, 10
	cllc ca0, timer_ok
	cjal print

	# Load filter: cs1 -> obj (16 bytes), stored through ca4 into slot.
	address_of cs1, obj, 16
	address_of ca4, slot, 8
	csc cs1, 0(ca4)
	clc ca1, 0(ca4)
	cgettag t0, ca1
	expect_eq t0, 1, bad_store, 11
	# The revocation bit of obj: byte SHADOW + (obj - R) / 64, bit ((obj - R) / 8) % 8.
	lui t0, %hi(obj)
	addi t0, t0, %lo(obj)
	li t1, REVOCABLE_BASE
	sub t0, t0, t1
	srli t1, t0, 6
	li t2, SHADOW
	add t1, t1, t2
	csetaddr ca2, ca5, t1
	srli t0, t0, 3
	andi t0, t0, 7
	li t1, 1
	sll a3, t1, t0
	clbu t0, 0(ca2)
	or t0, t0, a3
	csb t0, 0(ca2)                 # obj is revoked
	clc ca1, 0(ca4)
	cgettag t0, ca1
	expect_eq t0, 0, bad_filter, 12
	cllc ca0, filter_ok
	cjal print
	clbu t0, 0(ca2)
	xor t0, t0, a3
	csb t0, 0(ca2)                 # obj is no longer revoked
	clc ca1, 0(ca4)
	cgettag t0, ca1
	expect_eq t0, 1, bad_memory, 13
	cllc ca0, memory_ok
	cjal print

	cllc ca0, done
	cjal print
	address_of ca1, exit_status, 4
	clw a0, 0(ca1)
	j exit

# Another entry point: print a line, then loop forever without touching a device (the
# Ctrl-C test interrupts it once the line has arrived).
.globl hang
hang:
	cspecialr ca5, mtdc
	device_at cs0, UART, 0x100
	cllc ca0, hanging
	cjal print
.globl hang_loop
hang_loop:
	j hang_loop

# exit(a0 = status): HTIF, tohost = 1 | status << 1 (low word first, then the high word).
exit:
	slli a0, a0, 1
	ori a0, a0, 1
	address_of ca1, tohost, 8
	csw a0, 0(ca1)
	csw zero, 4(ca1)
1:	j 1b

testlib_routines

# The timer interrupt is acknowledged by parking mtimecmp and masking MTIE; anything else is
# unexpected. mcause is left in gp.
.balign 4
trap_handler:
	csrr gp, mcause
	li t0, 0x80000007
	bne gp, t0, 1f
	cspecialr ctp, mtdc
	li t0, CLINT + CLINT_MTIMECMP + 4
	csetaddr ctp, ctp, t0
	li t1, -1
	csw t1, 0(ctp)
	li t0, MIE_MTIE
	csrc mie, t0
	mret
1:	cllc ca0, unexpected_trap
	li a2, 99
	j die

hello:           .asciz "sail: uart output\n"
timer_ok:        .asciz "timer interrupt taken\n"
filter_ok:       .asciz "load filter cleared the tag of a revoked capability\n"
memory_ok:       .asciz "the capability in memory kept its tag\n"
done:            .asciz "done\n"
hanging:         .asciz "hanging\n"
bad_timer:       .asciz "FAIL: the trap was not the timer interrupt\n"
bad_store:       .asciz "FAIL: a stored capability lost its tag\n"
bad_filter:      .asciz "FAIL: CLC of a revoked capability kept its tag\n"
bad_memory:      .asciz "FAIL: the capability in memory lost its tag\n"
unexpected_trap: .asciz "FAIL: unexpected trap\n"

.section .data
.balign 8
.globl tohost
tohost:      .dword 0
fromhost:    .dword 0
exit_status: .word EXIT_STATUS

.section .bss
.balign 16
obj:  .space 16
slot: .space 8
