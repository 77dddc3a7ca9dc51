# Integer ALU loop: plain RV32E arithmetic, 16 instructions per iteration.
.include "common.inc"
.section .text.start
.globl _start
_start:
	li t0, ITERATIONS
1:	add a0, a0, a1
	addi a1, a1, 1
	xor a2, a2, a0
	slli a3, a2, 3
	or a4, a3, a1
	sub a5, a4, a0
	and a0, a0, a5
	addi a2, a2, 7
	srli a3, a3, 1
	add a4, a4, a3
	xor a5, a5, a4
	add a1, a1, a2
	sltu a3, a1, a0
	mul a4, a4, a1
	addi t0, t0, -1
	bnez t0, 1b
done:
	ebreak
