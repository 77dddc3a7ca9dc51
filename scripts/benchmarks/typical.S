# A CHERIoT-typical mix, 40 instructions per iteration: 13 loads/stores (32%, 6 of them
# capability spills and reloads), 9 capability instructions (22%: address arithmetic, cmove,
# csetbounds, cgettag, candperm) and 4 calls and returns through sentries (cjal links a return
# sentry into cra; cjalr calls through a forward sentry; cret returns).
.include "common.inc"
.section .text.start
.globl _start
_start:
	bench_prologue
	cllc ca2, leaf                    # executable capability to leaf
	cspecialr ca3, mscratchc          # sealing root
	li t1, 1
	csetaddr ca3, ca3, t1
	cseal ca2, ca2, ca3               # an interrupt-inheriting sentry to leaf
	li t2, 0xffe
	li t0, ITERATIONS
loop:
	cincoffset csp, csp, -16
	csc cra, 8(csp)
	csc cs0, 0(csp)
	cmove cs0, ca0
	lw a1, 0(a0)
	lw a4, 4(s0)
	add a1, a1, a4
	slli a4, a1, 2
	cjal middle
	sw a1, 8(a0)
	xor a4, a4, a1
	andi a4, a4, 0xff
	add a1, a1, a4
	cjalr ca2
	clc cs0, 0(csp)
	clc cra, 8(csp)
	cincoffset csp, csp, 16
	addi t0, t0, -1
	bnez t0, loop
	ebreak
middle:
	cincoffset csp, csp, -16
	csc cra, 8(csp)
	cincoffset ca4, ca0, 16
	csetbounds ca4, ca4, 16           # a bounded sub-object, as compilers make for &local
	cgettag a5, ca4
	candperm ca4, ca4, t2             # t2 = all permissions but GL (set in the prologue)
	lw a5, 0(a4)
	addi a5, a5, 3
	sw a5, 4(a4)
	or a1, a1, a5
	srli a5, a5, 1
	add a1, a1, a5
	clc cra, 8(csp)
	cincoffset csp, csp, 16
	cret
leaf:
	lw a5, 12(a0)
	add a5, a5, a1
	sw a5, 12(a0)
	sub a1, a1, a5
	xor a1, a1, t0
	cret
