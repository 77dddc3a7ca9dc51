# Load/store loop through capabilities: 11 of 16 instructions access memory through ca0
# (a bounded 256-byte object) and csp.
.include "common.inc"
.section .text.start
.globl _start
_start:
	bench_prologue
	li t0, ITERATIONS
1:	lw a1, 0(a0)
	lw a2, 4(a0)
	add a3, a1, a2
	sw a3, 8(a0)
	lbu a4, 12(a0)
	sb a4, 13(a0)
	lh a1, 16(a0)
	sh a1, 18(a0)
	csc ca0, 32(ca0)
	clc ca1, 32(ca0)
	lw a2, 20(a0)
	sw a2, 24(a0)
	addi a1, a1, 1
	addi t0, t0, -1
	sw t0, -4(sp)
	bnez t0, 1b
	ebreak
