# Cross-compartment calls through a switcher shaped like the CHERIoT RTOS one (rtos.md §3.2):
# the caller loads a disabling sentry to the switcher and a sealed export-entry handle from its
# import table and calls; the switcher checks the stack, spills, clears the hazard slots, pushes
# a trusted-stack frame (MTDC), chops the stack, zeroes it up to the high-water mark (mshwm),
# unseals the handle (CUnseal), loads the callee's PCC and CGP from its export table, enables
# interrupts (csrsi mstatus) and jumps; the callee (no SR) calls a switcher library function
# (thread_id_get, through a disabling sentry: reads MTDC) and returns through its return sentry;
# the return path pops the frame, reloads the spill, zeroes the callee's stack, stashes a value
# in MScratchC, reinstalls MTDC, zeroes the registers and returns through the caller's
# interrupt-enabling return sentry with interrupts off.
# The loop sums callee(i, 5) = i + 3 * 5 + thread id for i = ITERATIONS..1; a0 holds the sum.
.include "cheriot.inc"
.equ CALLER_GLOBALS, 0x80020000
.equ EXPORT_TABLE,   0x80020100
.equ CALLEE_GLOBALS, 0x80020200
.equ TSTACK,         0x80021000
.equ TSTACK_SIZE,    192 + 4 * 24
.equ HAZARDS,        0x80021800
.equ STACK_BASE,     0x8002F000
.equ STACK_SIZE,     0x1000
# Trusted-stack offsets (rtos.md §3.3, MSHWM layout): hazardPointers 128, frameoffset 152,
# threadID 154, frames[] from 168.
.equ TS_FRAMES, 168
.equ CSR_MSHWM, 0xbc1
.equ CSR_MSHWMB, 0xbc2
.section .text.start
# --- the callee compartment (its PCC covers callee_code..callee_end, without SR) ------------
callee_code:
	.word 0                           # keeps functionStart non-zero
callee_fn:
	cincoffset csp, csp, -48
	csc cra, 40(csp)
	csc cs0, 32(csp)
	csc cs1, 24(csp)
	mv s0, a0
	mv s1, a1
	sw s0, 0(sp)
	sw s1, 4(sp)
	clc ct0, 0(cgp)                   # thread_id_get (a disabling sentry)
	cjalr ct0
	lw t0, 0(sp)
	lw t1, 4(sp)
	slli t2, t1, 1
	add t2, t2, t1
	add a0, a0, t0
	add a0, a0, t2
	clc cs1, 24(csp)
	clc cs0, 32(csp)
	clc cra, 40(csp)
	cincoffset csp, csp, 48
	cret
callee_end:
# --- the switcher (runs with SR) ------------------------------------------------------------
	.balign 8
switcher_key:
	.dword 0                          # the export-entry unsealing key (set up at start)
switcher_entry:
	cgetperm t2, csp                  # 1. csp must be exactly a local stack, 16-aligned
	addi t2, t2, -0x7e
	bnez t2, fail
	cgetbase t2, csp
	or t2, t2, sp
	andi t2, t2, 0xf
	bnez t2, fail
	cincoffset csp, csp, -32          # 2. spill
	csc cs0, 0(csp)
	csc cs1, 8(csp)
	csc cgp, 16(csp)
	csc cra, 24(csp)
	cspecialr ctp, mtdc               # 3. trusted stack; clear the hazard slots
	clc ct2, 128(ctp)
	csc cnull, 0(ct2)
	csc cnull, 8(ct2)
	clhu t2, 152(ctp)                 # 4. room for a frame?
	cgetlen s0, ctp
	addi s1, t2, 24
	bltu s0, s1, fail
	cincoffset ct2, ctp, t2           # 5. push the frame
	csc csp, 0(ct2)
	csh zero, 16(ct2)
	csc cnull, 8(ct2)
	csh s1, 152(ctp)
	cgetbase s0, csp                  # 6. chop the stack: [base, spill)
	sub s1, sp, s0
	csetaddr cs0, csp, s0
	csetboundsrounddown cs0, cs0, s1
	andi s1, s1, -16
	cincoffset csp, cs0, s1
	csrr s0, CSR_MSHWM                # 7. zero [mshwm, callee top)
	bgeu s0, sp, 2f
	csetaddr cs1, csp, s0
1:	csc cnull, 0(cs1)
	csc cnull, 8(cs1)
	cincoffset cs1, cs1, 16
	bltu s1, sp, 1b
2:	cllc cs1, switcher_key            # 8. unseal the export entry
	clc cs1, 0(cs1)
	cunseal ct1, ct1, cs1
	clhu s0, 0(ct1)                   # functionStart
	clbu s1, 2(ct1)                   # minimumStack
	csc ct1, 8(ct2)
	slli s1, s1, 3                    # 9. enough stack?
	addi s1, s1, 16
	cgetlen tp, csp
	bltu tp, s1, fail
	cincoffset csp, csp, -16          # 10. invocation-local slots; mshwm = csp
	csrw CSR_MSHWM, sp
	cgetbase tp, ct1                  # 11. callee PCC and CGP from the export table
	csetaddr ct2, ct1, tp
	clc cgp, 8(ct2)
	clc cra, 0(ct2)
	cincoffset cra, cra, s0
	clbu tp, 3(ct1)                   # 12. flags: enable interrupts unless bit 4
	andi t2, tp, 0x10
	bnez t2, 3f
	csrsi mstatus, 8
3:	li a2, 0                          # zero the unused arguments and the temporaries
	li a3, 0
	li a4, 0
	li a5, 0
	li t0, 0
	li tp, 0
	li t1, 0
	li t2, 0
	li s0, 0
	li s1, 0
	cjalr cra
switcher_after_compartment_call:
	csrci mstatus, 8
	cspecialr ctp, mtdc               # 1. clear the hazard slots
	clc ct2, 128(ctp)
	csc cnull, 0(ct2)
	csc cnull, 8(ct2)
	clhu t0, 152(ctp)                 # 2. pop the frame
	addi t0, t0, -24
	li t1, TS_FRAMES + 24
	bltu t0, t1, fail
	cincoffset ct2, ctp, t0
	clc csp, 0(ct2)
	csh t0, 152(ctp)
	clc cs0, 0(csp)                   # 3. reload the spill
	clc cs1, 8(csp)
	clc cgp, 16(csp)
	clc cra, 24(csp)
	cincoffset csp, csp, 32
	csrr t2, CSR_MSHWM                # 4. zero [mshwm, csp); mshwm = csp
	bgeu t2, sp, 5f
	csetaddr ct1, csp, t2
4:	csc cnull, 0(ct1)
	csc cnull, 8(ct1)
	cincoffset ct1, ct1, 16
	bltu t1, sp, 4b
5:	csrw CSR_MSHWM, sp
	cspecialrw ct2, mscratchc, ctp    # stash and restore, as the trap path does
	cspecialrw ctp, mscratchc, ct2
	cspecialw mtdc, ctp
	li tp, 0                          # 5. zero all but ra, sp, gp, s0, s1, a0, a1
	li t0, 0
	li t1, 0
	li t2, 0
	li a2, 0
	li a3, 0
	li a4, 0
	li a5, 0
	cret
thread_id_get:
	cspecialr ca0, mtdc
	clhu a0, 154(ca0)
	cret
fail:
	li a0, -1
	j done
# --- set-up and the caller's loop -----------------------------------------------------------
.globl _start
_start:
	cspecialr ca5, mtdc               # memory root
	cspecialr ca4, mscratchc          # sealing root
	li t0, STACK_BASE                 # the thread's stack: exactly 0x7e, address at the top
	csetaddr csp, ca5, t0
	li t1, STACK_SIZE
	csetbounds csp, csp, t1
	li t2, 0x7e
	candperm csp, csp, t2
	cincoffset csp, csp, t1
	csrw CSR_MSHWMB, t0
	li t0, STACK_BASE + STACK_SIZE
	csrw CSR_MSHWM, t0
	li t0, TSTACK                     # trusted stack: hazard slots, frameoffset, thread id
	csetaddr ctp, ca5, t0
	li t1, TSTACK_SIZE
	csetbounds ctp, ctp, t1
	li t0, HAZARDS
	csetaddr ct2, ca5, t0
	csetbounds ct2, ct2, 16
	csc ct2, 128(ctp)
	li t1, TS_FRAMES + 24
	csh t1, 152(ctp)
	li t1, 1
	csh t1, 154(ctp)
	cspecialw mtdc, ctp
	cllc ca2, switcher_key            # the unsealing key (object type 9), stored in the switcher
	csetaddr ca2, ca5, a2
	li t1, 9
	csetaddr ca3, ca4, t1
	csc ca3, 0(ca2)
	cllc ca2, callee_code             # callee PCC: bounded to its code, no SR
	cllc ca1, callee_end
	sub t1, a1, a2
	csetbounds ca2, ca2, t1
	li t1, 0xf7f
	candperm ca2, ca2, t1
	li t0, EXPORT_TABLE               # export table: PCC, CGP, then one 4-byte entry at +20
	csetaddr cs1, ca5, t0
	csetbounds cs1, cs1, 24
	csc ca2, 0(cs1)
	li t0, CALLEE_GLOBALS
	csetaddr ca1, ca5, t0
	csetbounds ca1, ca1, 16
	csc ca1, 8(cs1)
	cllc ca0, callee_fn
	sub t1, a0, a2
	li t2, (4 << 16) | (2 << 24)
	or t1, t1, t2
	csw t1, 20(cs1)                   # functionStart, minimumStack 4, flags: 2 arguments
	li t1, 2                          # disabling sentries: the switcher and its library
	csetaddr ca3, ca4, t1
	cllc ca0, thread_id_get
	cseal ca0, ca0, ca3
	csc ca0, 0(ca1)                   # the callee's import of thread_id_get
	li t0, CALLER_GLOBALS             # the caller's imports: switcher sentry, sealed handle
	csetaddr cgp, ca5, t0
	csetbounds cgp, cgp, 16
	cllc ca0, switcher_entry
	cseal ca0, ca0, ca3
	csc ca0, 0(cgp)
	cincoffset ca1, cs1, 20
	li t1, 9
	csetaddr ca3, ca4, t1
	cseal ca1, ca1, ca3
	csc ca1, 8(cgp)
	csrsi mstatus, 8                  # the caller runs with interrupts enabled
	li s1, ITERATIONS
	li s0, 0
loop:
	clc ct2, 0(cgp)
	clc ct1, 8(cgp)
	mv a0, s1
	li a1, 5
	cjalr ct2
	add s0, s0, a0
	addi s1, s1, -1
	bnez s1, loop
	mv a0, s0
done:
	ebreak
