# The compartment-call loop as the nearest plain RV32 code, for Unicorn with no hooks: each
# capability instruction becomes the integer instruction of the same shape (clc/csc -> lw/sw,
# CSpecialRW -> csrrw of mscratch, mshwm -> mtval, CUnseal and the CGet*/CSet* forms -> moves
# and ALU instructions, sentries -> jal/jalr). Without a hardware high-water mark the return
# path zeroes a little less. The loop computes the same sum.
.equ CALLER_GLOBALS, 0x80020000
.equ EXPORT_TABLE,   0x80020100
.equ CALLEE_GLOBALS, 0x80020200
.equ TSTACK,         0x80021000
.equ TSTACK_SIZE,    192 + 4 * 24
.equ HAZARDS,        0x80021800
.equ STACK_BASE,     0x8002F000
.equ STACK_SIZE,     0x1000
.equ TS_FRAMES, 168
.section .text.start
callee_code:
	.word 0
callee_fn:
	addi sp, sp, -48
	sw ra, 40(sp)
	sw s0, 32(sp)
	sw s1, 24(sp)
	mv s0, a0
	mv s1, a1
	sw s0, 0(sp)
	sw s1, 4(sp)
	lw t0, 0(gp)
	jalr t0
	lw t0, 0(sp)
	lw t1, 4(sp)
	slli t2, t1, 1
	add t2, t2, t1
	add a0, a0, t0
	add a0, a0, t2
	lw s1, 24(sp)
	lw s0, 32(sp)
	lw ra, 40(sp)
	addi sp, sp, 48
	ret
callee_end:
	.balign 8
switcher_key:
	.dword 0
switcher_entry:
	li t2, 0x7e
	addi t2, t2, -0x7e
	bnez t2, fail
	andi t2, sp, -2048
	or t2, t2, sp
	andi t2, t2, 0xf
	bnez t2, fail
	addi sp, sp, -32
	sw s0, 0(sp)
	sw s1, 8(sp)
	sw gp, 16(sp)
	sw ra, 24(sp)
	csrr tp, mscratch
	lw t2, 128(tp)
	sw zero, 0(t2)
	sw zero, 8(t2)
	lhu t2, 152(tp)
	li s0, TSTACK_SIZE
	addi s1, t2, 24
	bltu s0, s1, fail
	add t2, tp, t2
	sw sp, 0(t2)
	sh zero, 16(t2)
	sw zero, 8(t2)
	sh s1, 152(tp)
	andi s0, sp, -2048
	sub s1, sp, s0
	mv s0, s0
	mv s0, s0
	andi s1, s1, -16
	add sp, s0, s1
	csrr s0, mtval
	bgeu s0, sp, 2f
	mv s1, s0
1:	sw zero, 0(s1)
	sw zero, 8(s1)
	addi s1, s1, 16
	bltu s1, sp, 1b
2:	la s1, switcher_key
	lw s1, 0(s1)
	and t1, t1, t1
	lhu s0, 0(t1)
	lbu s1, 2(t1)
	sw t1, 8(t2)
	slli s1, s1, 3
	addi s1, s1, 16
	li tp, 1024
	bltu tp, s1, fail
	addi sp, sp, -16
	csrw mtval, sp
	addi tp, t1, -20
	mv t2, tp
	lw gp, 8(t2)
	lw ra, 0(t2)
	add ra, ra, s0
	lbu tp, 3(t1)
	andi t2, tp, 0x10
	bnez t2, 3f
	csrsi mstatus, 8
3:	li a2, 0
	li a3, 0
	li a4, 0
	li a5, 0
	li t0, 0
	li tp, 0
	li t1, 0
	li t2, 0
	li s0, 0
	li s1, 0
	jalr ra
switcher_after_compartment_call:
	csrci mstatus, 8
	csrr tp, mscratch
	lw t2, 128(tp)
	sw zero, 0(t2)
	sw zero, 8(t2)
	lhu t0, 152(tp)
	addi t0, t0, -24
	li t1, TS_FRAMES + 24
	bltu t0, t1, fail
	add t2, tp, t0
	lw sp, 0(t2)
	sh t0, 152(tp)
	lw s0, 0(sp)
	lw s1, 8(sp)
	lw gp, 16(sp)
	lw ra, 24(sp)
	addi sp, sp, 32
	csrr t2, mtval
	bgeu t2, sp, 5f
	mv t1, t2
4:	sw zero, 0(t1)
	sw zero, 8(t1)
	addi t1, t1, 16
	bltu t1, sp, 4b
5:	csrw mtval, sp
	csrrw t2, mscratch, tp
	csrrw tp, mscratch, t2
	csrw mscratch, tp
	li tp, 0
	li t0, 0
	li t1, 0
	li t2, 0
	li a2, 0
	li a3, 0
	li a4, 0
	li a5, 0
	ret
thread_id_get:
	csrr a0, mscratch
	lhu a0, 154(a0)
	ret
fail:
	li a0, -1
	j done
.globl _start
_start:
	li sp, STACK_BASE + STACK_SIZE
	csrw mtval, sp
	li tp, TSTACK
	li t0, HAZARDS
	sw t0, 128(tp)
	li t1, TS_FRAMES + 24
	sh t1, 152(tp)
	li t1, 1
	sh t1, 154(tp)
	csrw mscratch, tp
	li s1, EXPORT_TABLE
	la a2, callee_code
	sw a2, 0(s1)
	li a1, CALLEE_GLOBALS
	sw a1, 8(s1)
	la a0, callee_fn
	sub t1, a0, a2
	li t2, (4 << 16) | (2 << 24)
	or t1, t1, t2
	sw t1, 20(s1)
	la a0, thread_id_get
	sw a0, 0(a1)
	li gp, CALLER_GLOBALS
	la a0, switcher_entry
	sw a0, 0(gp)
	addi a1, s1, 20
	sw a1, 8(gp)
	csrsi mstatus, 8
	li s1, ITERATIONS
	li s0, 0
loop:
	lw t2, 0(gp)
	lw t1, 8(gp)
	mv a0, s1
	li a1, 5
	jalr t2
	add s0, s0, a0
	addi s1, s1, -1
	bnez s1, loop
	mv a0, s0
done:
	ebreak
