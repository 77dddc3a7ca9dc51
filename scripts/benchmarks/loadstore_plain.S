# The load/store loop as the nearest plain RV32 code (capability loads/stores replaced by
# word loads/stores), for running on Unicorn with no hooks.
.equ DATA_BASE, 0x80020000
.equ STACK_TOP, 0x80030000
.section .text.start
.globl _start
_start:
	li a0, DATA_BASE
	li sp, STACK_TOP
	li t0, ITERATIONS
1:	lw a1, 0(a0)
	lw a2, 4(a0)
	add a3, a1, a2
	sw a3, 8(a0)
	lbu a4, 12(a0)
	sb a4, 13(a0)
	lh a1, 16(a0)
	sh a1, 18(a0)
	sw a0, 32(a0)
	lw a1, 32(a0)
	lw a2, 20(a0)
	sw a2, 24(a0)
	addi a1, a1, 1
	addi t0, t0, -1
	sw t0, -4(sp)
	bnez t0, 1b
done:
	ebreak
