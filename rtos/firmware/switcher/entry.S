# The compartment switcher (rtos.md 3): cross-compartment call and return through sealed export
# entries and the trusted stack, the trap entry and context switch, and the fault path (error
# handlers, forced unwind, thread exit). It is the only code with SR in its PCC after boot.
#
# Register use: the trusted stack is in MTDC while a thread runs and null while the scheduler
# runs. RV32E aliases integer and capability registers (s0 is the address of cs0), so each
# register below holds one or the other at a time.
.include "rtos.inc"

.section .switcher, "ax"
.balign 8
.globl compartment_switcher_sealing_key
compartment_switcher_sealing_key:
	.dword 0                       # +0 trusted stacks: seal and unseal (otype 10)
	.dword 0                       # +8 export entries: unseal (otype 9)
.globl switcher_scheduler_entry_pcc
switcher_scheduler_entry_pcc:
	.dword 0                       # the scheduler's exception_entry, a disabling sentry
.globl switcher_scheduler_entry_cgp
switcher_scheduler_entry_cgp:
	.dword 0
.globl switcher_scheduler_entry_csp
switcher_scheduler_entry_csp:
	.dword 0                       # the boot stack, address at the top

# zero_range CAP, FROM, TO: store null capabilities over [FROM, TO) through CAP (8-aligned);
# clobbers CAP's address.
.macro zero_range cap, from, to
	csetaddr \cap, \cap, \from
99:	bgeu \from, \to, 98f
	csc cnull, 0(\cap)
	cincoffset \cap, \cap, 8
	addi \from, \from, 8
	j 99b
98:
.endm

# --- cross-compartment call (3.2) ----------------------------------------------------------------
# In: ct1 sealed export entry, a0-a5/t0 arguments, cra the caller's return sentry, csp the
# caller's stack; interrupts off (we are reached through a disabling sentry).
.globl __Z26compartment_switcher_entryz
__Z26compartment_switcher_entryz:
	# The caller's stack must be a stack capability (exactly 0x7e), 16-aligned.
	cgetperm tp, csp
	addi tp, tp, -PERMS_STACK
	bnez tp, .Lforce_unwind_caller
	cgetbase tp, csp
	andi tp, tp, 15
	bnez tp, .Lforce_unwind_caller
	cgetaddr tp, csp
	andi tp, tp, 15
	bnez tp, .Lforce_unwind_caller
	cincoffset csp, csp, -SPILL_SIZE
.Lswitcher_spill:
	csc cs0, 0(csp)
	csc cs1, 8(csp)
	csc cgp, 16(csp)
	csc cra, 24(csp)
	cspecialr ctp, mtdc
	cjal cra, .Lclear_hazards
	# Push a frame; from here on a fault belongs to the callee.
	clhu t2, ctp, TS_FRAMEOFFSET
	addi s1, t2, TSF_SIZE
	cgetlen s0, ctp
	bltu s0, s1, .Lno_trusted_stack
	cincoffset cs0, ctp, t2
	csc csp, cs0, TSF_CSP
	csc cnull, cs0, TSF_EXPORT
	csw zero, cs0, TSF_HANDLER_COUNT
	csh s1, ctp, TS_FRAMEOFFSET
	# The callee's stack: [base, spill), address 16 below the top (two invocation slots).
	cgetbase s1, csp
	cgetaddr t2, csp
	sub t2, t2, s1
	csetaddr cgp, csp, s1
	csetboundsrounddown cgp, cgp, t2
	cgettop t2, cgp
	andi t2, t2, -16
	csetaddr cgp, cgp, t2
	# Zero what the callee may see: [MSHWM, top) if the high-water mark is below the top.
	csrr s1, CSR_MSHWM
	cmove cra, cgp
	zero_range cra, s1, t2
	addi t2, t2, -STACK_INVOCATION_SLOTS
	csetaddr cgp, cgp, t2
	csrw CSR_MSHWM, t2
	# Unseal the export entry (a bad handle faults on the load: the callee frame is unwound).
	cllc cra, compartment_switcher_sealing_key
	clc cra, 8(cra)
	cunseal ct1, ct1, cra
	clhu tp, ct1, EE_FUNCTION_START
	csc ct1, cs0, TSF_EXPORT
	clbu t2, ct1, EE_MIN_STACK
	slli t2, t2, 3
	addi t2, t2, STACK_INVOCATION_SLOTS
	cgetlen s1, cgp
	bltu s1, t2, .Lnot_enough_stack
	clbu t2, ct1, EE_FLAGS
	cmove csp, cgp
	cgetbase s1, ct1
	csetaddr ct1, ct1, s1
	clc cgp, ct1, ET_CGP
	clc cra, ct1, ET_PCC
	cincoffset cra, cra, tp
	# Clear the argument registers the callee does not take (flags bits 0-2).
	andi s1, t2, EXPORT_ARGS_MASK
	li s0, 1
	bgeu s1, s0, 1f
	li a0, 0
1:	li s0, 2
	bgeu s1, s0, 1f
	li a1, 0
1:	li s0, 3
	bgeu s1, s0, 1f
	li a2, 0
1:	li s0, 4
	bgeu s1, s0, 1f
	li a3, 0
1:	li s0, 5
	bgeu s1, s0, 1f
	li a4, 0
1:	li s0, 6
	bgeu s1, s0, 1f
	li a5, 0
1:	li s0, 7
	bgeu s1, s0, 1f
	li t0, 0
1:	andi t2, t2, EXPORT_INTERRUPTS_DISABLED
	cmove ctp, cnull
	cmove ct1, cnull
	cmove cs0, cnull
	cmove cs1, cnull
	bnez t2, 2f
	li t2, 0
	csrsi mstatus, MSTATUS_MIE
	cjalr cra, cra
	j switcher_after_compartment_call
2:	li t2, 0
	cjalr cra, cra
	# fall through: the callee returned (through the return sentry made by cjalr above)

# --- return (3.2) --------------------------------------------------------------------------------
.globl switcher_after_compartment_call
switcher_after_compartment_call:
	csrci mstatus, MSTATUS_MIE     # an enabling return sentry got us here with interrupts on
	cspecialr ctp, mtdc
.Lpop_frame:                           # ctp = trusted stack, a0/a1 = return values
	cjal cra, .Lclear_hazards
	clhu t2, ctp, TS_FRAMEOFFSET
	addi t2, t2, -TSF_SIZE
	li s1, TS_FRAMES
	bgeu s1, t2, .Lthread_exit
	cincoffset cs0, ctp, t2
	clc csp, cs0, TSF_CSP
	csh t2, ctp, TS_FRAMEOFFSET    # before touching the caller's stack
	clc cs0, 0(csp)
	clc cs1, 8(csp)
	clc cgp, 16(csp)
	clc cra, 24(csp)
	cincoffset csp, csp, SPILL_SIZE
	# Zero what the callee used: [MSHWM, caller's csp).
	csrr t1, CSR_MSHWM
	cgetaddr t2, csp
	cmove ct0, csp
	zero_range ct0, t1, t2
	cgetaddr t2, csp
	csrw CSR_MSHWM, t2
	li tp, 0
	li t0, 0
	li t1, 0
	li t2, 0
	li a2, 0
	li a3, 0
	li a4, 0
	li a5, 0
	cret

# .Lclear_hazards(ctp = trusted stack): zero both hazard slots of this thread (6.7); cra link.
.Lclear_hazards:
	clc cs1, ctp, TS_HAZARD_POINTERS
	cgettag s0, cs1
	beqz s0, 1f
	csw zero, 0(cs1)
	csw zero, 8(cs1)
1:	cjr cra

.Lno_trusted_stack:
	li a0, -ENOTENOUGHTRUSTEDSTACK
	j .Lundo_spill
.Lnot_enough_stack:
	li a0, -ENOTENOUGHSTACK
	li a1, 0
	j .Lpop_frame
.Lundo_spill:
	clc cs0, 0(csp)
	clc cs1, 8(csp)
	clc cgp, 16(csp)
	clc cra, 24(csp)
	cincoffset csp, csp, SPILL_SIZE
	li a1, 0
	cret

.Lforce_unwind_caller:
	cspecialr ctp, mtdc
.Lforced_unwind:                       # ctp = trusted stack: the top frame returns -1
	li a0, -ECOMPARTMENTFAIL
	li a1, 0
	j .Lpop_frame

# Thread exit (3.7): the last frame was popped. Join the trap path as mcause 24.
.Lthread_exit:
	cmove csp, ctp
	li t0, MCAUSE_THREAD_EXIT
	csw t0, csp, TS_MCAUSE
	csrw mtval, t0
	cmove ct1, cnull
	cspecialw mtdc, ct1
	j .Linvoke_scheduler

# --- trap entry (3.4) ----------------------------------------------------------------------------
.balign 4
.globl exception_entry_asm
exception_entry_asm:
	cspecialrw csp, mtdc, csp      # csp = trusted stack, MTDC = the thread's stack
	csc cra, 8(csp)
	csc cgp, 24(csp)
	csc ctp, 32(csp)
	csc ct0, 40(csp)
	csc ct1, 48(csp)
	csc ct2, 56(csp)
	csc cs0, 64(csp)
	csc cs1, 72(csp)
	csc ca0, 80(csp)
	csc ca1, 88(csp)
	csc ca2, 96(csp)
	csc ca3, 104(csp)
	csc ca4, 112(csp)
	csc ca5, 120(csp)
	cmove ct0, cnull               # cnull as the source would only read MTDC
	cspecialrw cra, mtdc, ct0
	csc cra, 16(csp)
	cspecialr cra, mepcc
	csc cra, csp, TS_MEPCC
	csrr t0, mstatus
	csw t0, csp, TS_MSTATUS
	csrr t0, CSR_MSHWM
	csw t0, csp, TS_MSHWM
	csrr t0, CSR_MSHWMB
	csw t0, csp, TS_MSHWMB
	csrr t0, mcause
	csw t0, csp, TS_MCAUSE
	li t1, MCAUSE_CHERI
	beq t0, t1, .Lerror
	li t1, 8
	bltu t0, t1, .Lerror
.Linvoke_scheduler:                    # csp = trusted stack, t0 = mcause, MTDC null
	cllc ct1, compartment_switcher_sealing_key
	clc ct1, 0(ct1)
	cseal ca0, csp, ct1
	mv a1, t0
	clc ct2, csp, TS_MEPCC
	cgetaddr a2, ct2
	csrr a3, mtval
	cllc ct2, switcher_scheduler_entry_pcc
	clc cs0, 0(ct2)
	cllc ct2, switcher_scheduler_entry_cgp
	clc cgp, 0(ct2)
	cllc ct2, switcher_scheduler_entry_csp
	clc csp, 0(ct2)
	cmove cra, cnull
	cmove ctp, cnull
	cmove ct0, cnull
	cmove ct1, cnull
	cmove ct2, cnull
	cmove cs1, cnull
	cmove ca4, cnull
	cmove ca5, cnull
	cjalr cra, cs0                 # exception_entry(sealed TS, mcause, mepc, mtval) -> ca0
	cllc ct1, compartment_switcher_sealing_key
	clc ct1, 0(ct1)
	cunseal csp, ca0, ct1          # a bad value faults here with MTDC null: a wedge
	cspecialw mtdc, csp
.Lresume:                              # csp = trusted stack (also in MTDC)
	clc ct0, csp, TS_MEPCC
	clw t1, csp, TS_MCAUSE
	li t2, MCAUSE_ECALL
	bne t1, t2, 1f
	cincoffset ct0, ct0, 4         # resume after the ecall
1:	cspecialw mepcc, ct0
	clw t1, csp, TS_MSTATUS
	csrw mstatus, t1
	clw t1, csp, TS_MSHWM
	csrw CSR_MSHWM, t1
	clw t1, csp, TS_MSHWMB
	csrw CSR_MSHWMB, t1
	clc cra, 8(csp)
	clc cgp, 24(csp)
	clc ctp, 32(csp)
	clc ct0, 40(csp)
	clc ct1, 48(csp)
	clc ct2, 56(csp)
	clc cs0, 64(csp)
	clc cs1, 72(csp)
	clc ca0, 80(csp)
	clc ca1, 88(csp)
	clc ca2, 96(csp)
	clc ca3, 104(csp)
	clc ca4, 112(csp)
	clc ca5, 120(csp)
	clc csp, 16(csp)
	mret

# --- faults (3.5) --------------------------------------------------------------------------------
# csp = trusted stack with the faulting context saved, MTDC null.
.Lerror:
	cspecialw mtdc, csp
	cmove ctp, csp
	# A fault inside the switcher itself unwinds the frame being set up.
	auipcc cs0, 0
	cgetbase s0, cs0
	clc cs1, ctp, TS_MEPCC
	cgetbase s1, cs1
	beq s0, s1, .Lforced_unwind
	clhu t1, ctp, TS_FRAMEOFFSET
	li t2, TS_FRAMES + TSF_SIZE
	bltu t1, t2, .Lthread_exit
	addi t1, t1, -TSF_SIZE
	cincoffset cs0, ctp, t1        # the top frame
	clc cs1, cs0, TSF_EXPORT
	cgettag t2, cs1
	beqz t2, .Lforced_unwind
	cgetbase t2, cs1
	csetaddr cs1, cs1, t2          # the callee's export table
	clhu t2, cs1, ET_ERROR_HANDLER
	li t1, NO_HANDLER
	beq t2, t1, .Lforced_unwind
	# An odd count means a handler is running: a fault in the handler unwinds.
	clhu t1, cs0, TSF_HANDLER_COUNT
	andi t0, t1, 1                 # (not s0: that is cs0, the frame)
	bnez t0, .Lforced_unwind
	li t0, 1024
	bgeu t1, t0, .Lforced_unwind
	addi t1, t1, 1
	csh t1, cs0, TSF_HANDLER_COUNT
	# The ErrorState (untagged mepcc, 15 registers) goes 128 bytes below the faulting csp.
	clc ca0, 16(ctp)
	cgettag t1, ca0
	beqz t1, .Lforced_unwind
	cgetaddr t1, ca0
	cgetbase s0, ca0
	sub t1, t1, s0
	li s0, ERROR_STATE_SIZE
	bltu t1, s0, .Lforced_unwind
	cincoffset ca0, ca0, -ERROR_STATE_SIZE
	clc ca1, ctp, TS_MEPCC
	ccleartag ca1, ca1
	csc ca1, 0(ca0)
	li t1, 8
1:	cincoffset ca1, ctp, t1
	clc ca1, 0(ca1)
	cincoffset ca2, ca0, t1
	csc ca1, 0(ca2)
	addi t1, t1, 8
	li s0, ERROR_STATE_SIZE
	bltu t1, s0, 1b
	# Call the handler: csp = ca0 = ErrorState, a1 = mcause, a2 = mtval, interrupts on.
	clw a1, ctp, TS_MCAUSE
	csrr a2, mtval
	clc cgp, cs1, ET_CGP
	clc cra, cs1, ET_PCC
	cincoffset cra, cra, t2
	cmove csp, ca0
	cmove ctp, cnull
	cmove ct0, cnull
	cmove ct1, cnull
	cmove ct2, cnull
	cmove cs0, cnull
	cmove cs1, cnull
	cmove ca3, cnull
	cmove ca4, cnull
	cmove ca5, cnull
	csrsi mstatus, MSTATUS_MIE
	cjalr cra, cra
	csrci mstatus, MSTATUS_MIE
	cspecialr ctp, mtdc
	bnez a0, .Lforced_unwind       # 1 (or anything else): ForceUnwind
	# InstallContext: registers from the ErrorState at the handler's csp, PC within the
	# compartment's PCC at the address the handler left there.
	clhu t1, ctp, TS_FRAMEOFFSET
	addi t1, t1, -TSF_SIZE
	cincoffset cs0, ctp, t1
	clhu t1, cs0, TSF_HANDLER_COUNT
	addi t1, t1, 1
	csh t1, cs0, TSF_HANDLER_COUNT
	clc cs1, cs0, TSF_EXPORT
	cgetbase t2, cs1
	csetaddr cs1, cs1, t2
	clc cs1, cs1, ET_PCC
	clw t2, 0(csp)
	csetaddr cs1, cs1, t2
	csc cs1, ctp, TS_MEPCC
	li t1, 8
1:	cincoffset ca1, csp, t1
	clc ca1, 0(ca1)
	cincoffset ca2, ctp, t1
	csc ca1, 0(ca2)
	addi t1, t1, 8
	li s0, ERROR_STATE_SIZE
	bltu t1, s0, 1b
	li t1, MSTATUS_MPP_M | MSTATUS_MPIE
	csw t1, ctp, TS_MSTATUS
	csw zero, ctp, TS_MCAUSE
	csrr t1, CSR_MSHWM
	csw t1, ctp, TS_MSHWM
	cmove csp, ctp
	j .Lresume

# --- switcher library functions -----------------------------------------------------------------
# thread_id_get() -> a0: the running thread's ID (0 for the idle thread).
.globl thread_id_get
thread_id_get:
	cspecialr ca0, mtdc
	clhu a0, ca0, TS_THREAD_ID
	cmove ca1, cnull
	cret

# stack_lowest_used_address() -> a0: MSHWM.
.globl stack_lowest_used_address
stack_lowest_used_address:
	csrr a0, CSR_MSHWM
	cret

# switcher_unwind_compartment(ca0 = sealed trusted stack, a1 = export table address) -> a0:
# 1 if the thread was inside that compartment. Its trusted stack is cut back so that the
# lowest frame entering the compartment is on top, and the thread is set to resume in the
# forced-unwind path: when it next runs, that call returns -ECOMPARTMENTFAIL to its caller (or
# the thread exits if the compartment was its entry). Used by micro-reboots (docs/firmware.md).
.globl switcher_unwind_compartment
switcher_unwind_compartment:
	cllc ca2, compartment_switcher_sealing_key
	clc ca2, 0(ca2)
	cunseal ca0, ca0, ca2
	cgettag t0, ca0
	beqz t0, 3f
	clhu t1, ca0, TS_FRAMEOFFSET
	li t0, TS_FRAMES
1:	bgeu t0, t1, 3f                # no frame of that compartment
	cincoffset ca2, ca0, t0
	clc ca2, ca2, TSF_EXPORT
	cgetbase t2, ca2
	beq t2, a1, 2f
	addi t0, t0, TSF_SIZE
	j 1b
2:	addi t0, t0, TSF_SIZE
	csh t0, ca0, TS_FRAMEOFFSET
	cllc ca2, .Lunwind_resume
	csc ca2, ca0, TS_MEPCC
	csw zero, ca0, TS_MCAUSE
	li t0, MSTATUS_MPP_M
	csw t0, ca0, TS_MSTATUS
	li a0, 1
	j 4f
3:	li a0, 0
4:	cmove ca1, cnull
	cmove ca2, cnull
	cret
.Lunwind_resume:                        # the switcher's PCC: a thread cut back by the above
	cspecialr ctp, mtdc
	j .Lforced_unwind

.Lswitcher_end:

# The switcher's export table (in .library_export_tables, discarded after boot): the entry,
# then its library functions.
.section .export_table.switcher, "a"
.balign 8
	.dword 0, 0
	.half NO_HANDLER, NO_HANDLER
.Lswitcher_entry_export:
	.set .Loff___Z26compartment_switcher_entryz, __Z26compartment_switcher_entryz - compartment_switcher_sealing_key
	.half .Loff___Z26compartment_switcher_entryz
	.byte 0, EXPORT_INTERRUPTS_DISABLED
.globl __library_export_libcalls_thread_id_get
__library_export_libcalls_thread_id_get:
	.set .Loff_thread_id_get, thread_id_get - compartment_switcher_sealing_key
	.half .Loff_thread_id_get
	.byte 0, EXPORT_INTERRUPTS_DISABLED
.globl __library_export_libcalls_stack_lowest_used_address
__library_export_libcalls_stack_lowest_used_address:
	.set .Loff_stack_lowest_used_address, stack_lowest_used_address - compartment_switcher_sealing_key
	.half .Loff_stack_lowest_used_address
	.byte 0, EXPORT_INTERRUPTS_DISABLED
.globl __library_export_libcalls_switcher_unwind_compartment
__library_export_libcalls_switcher_unwind_compartment:
	.set .Loff_switcher_unwind_compartment, switcher_unwind_compartment - compartment_switcher_sealing_key
	.half .Loff_switcher_unwind_compartment
	.byte 0, EXPORT_INTERRUPTS_DISABLED | 2
