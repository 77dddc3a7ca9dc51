# Firmware that faults on purpose, as the RTOS and its test suite do, and exits 0 (sail, HTIF):
# `poke` stores one word past a 16-byte buffer twice (CHERI bounds violations); the trap handler
# counts each in `handled`, skips the store and returns. Then the firmware exits with status 0.
# The pygdbmi fault report must show both faults and end with the firmware's own status.
.include "cheriot.inc"
.option norvc

.section .text.start, "ax"
.globl _start
_start:
	cllc ct0, handler
	cspecialw mtcc, ct0
	cspecialr ca5, mtdc
	lui t0, %hi(buffer)
	addi t0, t0, %lo(buffer)
	csetaddr ca0, ca5, t0
	csetbounds ca0, ca0, 16
	cjal poke
	cjal poke
	li a0, 1                            # tohost = 1 | status << 1: exit(0)
	lui t0, %hi(tohost)
	addi t0, t0, %lo(tohost)
	csetaddr ca1, ca5, t0
	csw a0, 0(ca1)
	csw zero, 4(ca1)
1:	j 1b

.globl poke
.type poke, @function
poke:
	li a1, 42
	csw a1, 16(ca0)                     # one past the end: a bounds violation
	cret
.size poke, .-poke

.balign 4
.globl handler
handler:
	cspecialr ct0, mepcc
	cincoffset ct0, ct0, 4
	cspecialw mepcc, ct0
	lui t1, %hi(handled)
	addi t1, t1, %lo(handled)
	csetaddr ct1, ca5, t1
	clw t2, 0(ct1)
	addi t2, t2, 1
	csw t2, 0(ct1)
	mret

.section .data
.balign 8
.globl tohost
tohost: .dword 0
.globl handled
handled: .word 0
.globl buffer
buffer: .space 16
