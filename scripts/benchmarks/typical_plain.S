# The typical mix as the nearest plain RV32 code (capability instructions replaced by the
# integer instructions of the same shape), for running on Unicorn with no hooks.
.equ DATA_BASE, 0x80020000
.equ STACK_TOP, 0x80030000
.section .text.start
.globl _start
_start:
	li sp, STACK_TOP
	li a0, DATA_BASE
	la a2, leaf
	li t0, ITERATIONS
loop:
	addi sp, sp, -16
	sw ra, 8(sp)
	sw s0, 0(sp)
	mv s0, a0
	lw a1, 0(a0)
	lw a4, 4(s0)
	add a1, a1, a4
	slli a4, a1, 2
	jal middle
	sw a1, 8(a0)
	xor a4, a4, a1
	andi a4, a4, 0xff
	add a1, a1, a4
	jalr a2
	lw s0, 0(sp)
	lw ra, 8(sp)
	addi sp, sp, 16
	addi t0, t0, -1
	bnez t0, loop
done:
	ebreak
middle:
	addi sp, sp, -16
	sw ra, 8(sp)
	addi a4, a0, 16
	andi a5, a4, 16
	sltu a5, a5, a4
	and a4, a4, a4
	lw a5, 0(a4)
	addi a5, a5, 3
	sw a5, 4(a4)
	or a1, a1, a5
	srli a5, a5, 1
	add a1, a1, a5
	lw ra, 8(sp)
	addi sp, sp, 16
	ret
leaf:
	lw a5, 12(a0)
	add a5, a5, a1
	sw a5, 12(a0)
	sub a1, a1, a5
	xor a1, a1, t0
	ret
