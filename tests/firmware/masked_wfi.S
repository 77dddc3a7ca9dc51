# wfi and the interrupt enables (tests/run/test_masked_wfi.py), on the `sail` board.
#
# RISC-V privileged spec, WFI: the hart resumes when an interrupt is pending and enabled in mie,
# even with interrupts globally off (mstatus.MIE = 0); with mie = 0 nothing can resume it.
#   1. mstatus.MIE = 0, mie = MTIE, timer armed: wfi returns once the timer is pending (no trap
#      is taken); prints "woke".
#   2. mie = 0, timer armed again: wfi never returns (the run ends as halted).
.include "cheriot.inc"
.include "testlib.inc"

.include "sail.inc"

.section .text.start, "ax"
.globl _start
_start:
	cspecialr ca5, mtdc
	device_at cs0, UART, 0x100
	device_at cs1, CLINT, 0x10000
	csrci mstatus, 0x8             # interrupts globally off throughout
	cjal arm_timer
	li t0, MIE_MTIE
	csrw mie, t0
.globl first_wait
first_wait:
	wfi
	li a0, 'w'
	csb a0, 0(cs0)
	li a0, 'o'
	csb a0, 0(cs0)
	li a0, 'k'
	csb a0, 0(cs0)
	li a0, 'e'
	csb a0, 0(cs0)
	li a0, '\n'
	csb a0, 0(cs0)
	cjal arm_timer                 # rewriting mtimecmp acknowledges the timer
	csrw mie, zero
.globl second_wait
second_wait:
	wfi
	j second_wait

# mtimecmp = mtime + 100 (high word parked first)
arm_timer:
	li t0, CLINT_MTIME
	cincoffset ca1, cs1, t0
	clw t1, 0(ca1)
	addi t1, t1, 100
	li t0, CLINT_MTIMECMP
	cincoffset ca2, cs1, t0
	li t2, -1
	csw t2, 4(ca2)
	csw t1, 0(ca2)
	csw zero, 4(ca2)
	cret
