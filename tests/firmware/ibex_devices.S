# Device test firmware for the `ibex-safe-simulator` board (tests/run/test_board_firmware.py).
#
# Exercises, checking each result itself (a failed check prints why and exits with 10+):
#   * UART output (16550 THR at 0x8f00b000);
#   * a CLINT timer interrupt (cheriot-safe layout: mtime +0x10, mtimecmp +0x18);
#   * the load filter (isa.md §8.2): a stored capability loses its tag on CLC once the
#     revocation bit of its base is set, and keeps it in memory;
#   * the hardware revoker (isa.md §8.3) and the PLIC: a sweep of the heap with its completion
#     interrupt requested; PLIC source 1 is claimed and completed in the trap handler; after
#     the sweep the revoked capability's tag is gone from memory (CLC sees no tag even with the
#     revocation bit clear again) while an unrevoked one kept its tag;
#   * the UART exit: byte 0x80 + status, with the status linked in as EXIT_STATUS.
.include "cheriot.inc"
.include "testlib.inc"

.equ UART,           0x8f00b000
.equ CLINT,          0x14001000
.equ TICKS,          100
.equ PLIC,           0x10000000
.equ PLIC_ENABLE,    0x2000
.equ PLIC_THRESHOLD, 0x200000
.equ PLIC_CLAIM,     0x200004
.equ REVOKER,        0x14000000
.equ SHADOW,         0x200fe000
.equ REVOCABLE_BASE, 0x20040000
.equ MIE_MTIE,       0x80
.equ MIE_MEIE,       0x800
.equ MSTATUS_MIE,    0x8

.weak EXIT_STATUS  # `--defsym EXIT_STATUS=N` at link time; 0 when not defined

.section .text.start, "ax"
.globl _start
_start:
	cllc ct0, trap_handler
	cspecialw mtcc, ct0
	cspecialr ca5, mtdc
	li t0, UART
	csetaddr cs0, ca5, t0
	csetbounds cs0, cs0, 0x100

	cllc ca0, hello
	cjal print

	# Timer: mtimecmp = mtime + TICKS (high word parked first), MTIE on, wait in wfi.
	li t0, CLINT
	csetaddr cs1, ca5, t0
	csetbounds cs1, cs1, 0x100
	clw a2, 0x10(cs1)
	clw a3, 0x14(cs1)
	addi a2, a2, TICKS
	li t2, -1
	csw t2, 0x1c(cs1)
	csw a2, 0x18(cs1)
	csw a3, 0x1c(cs1)
	li gp, 0
	li t0, MIE_MTIE
	csrs mie, t0
	csrsi mstatus, MSTATUS_MIE
1:	bnez gp, 2f
	wfi
	j 1b
2:	csrci mstatus, MSTATUS_MIE
	expect_eq gp, 0x80000007, bad_timer, 10
	cllc ca0, timer_ok
	cjal print

	# Load filter: cs1 -> obj (16 bytes), stored through ca4 into slot; a control capability
	# to `kept`, never revoked, in kept_slot.
	address_of cs1, obj, 16
	address_of ca4, slot, 8
	csc cs1, 0(ca4)
	address_of ca1, kept, 16
	address_of ca2, kept_slot, 8
	csc ca1, 0(ca2)
	# The revocation bit of obj: byte SHADOW + (obj - R) / 64, bit ((obj - R) / 8) % 8.
	lui t0, %hi(obj)
	addi t0, t0, %lo(obj)
	li t1, REVOCABLE_BASE
	sub t0, t0, t1
	srli t1, t0, 6
	li t2, SHADOW
	add t1, t1, t2
	csetaddr ca2, ca5, t1
	srli t0, t0, 3
	andi t0, t0, 7
	li t1, 1
	sll a3, t1, t0
	clbu t0, 0(ca2)
	or t0, t0, a3
	csb t0, 0(ca2)                 # obj is revoked
	clc ca1, 0(ca4)
	cgettag t0, ca1
	expect_eq t0, 0, bad_filter, 12
	cllc ca0, filter_ok
	cjal print
	clbu t0, 0(ca2)
	xor t0, t0, a3
	csb t0, 0(ca2)                 # not revoked for a moment: memory still holds the tag
	clc ca1, 0(ca4)
	cgettag t0, ca1
	expect_eq t0, 1, bad_memory, 13
	clbu t0, 0(ca2)
	or t0, t0, a3
	csb t0, 0(ca2)                 # obj is revoked again, for the sweep

	# PLIC: source 1 (the revoker) at priority 1, enabled, threshold 0.
	li t0, PLIC
	csetaddr ca1, ca5, t0
	li t1, 1
	csw t1, 4(ca1)
	li t0, PLIC + PLIC_ENABLE
	csetaddr ca1, ca5, t0
	li t1, 2
	csw t1, 0(ca1)
	li t0, PLIC + PLIC_THRESHOLD
	csetaddr ca1, ca5, t0
	csw zero, 0(ca1)
	# Revoker: sweep [heap, heap_end) and interrupt on completion.
	li t0, REVOKER
	csetaddr ca1, ca5, t0
	csetbounds ca1, ca1, 0x100
	lui t1, %hi(heap)
	addi t1, t1, %lo(heap)
	csw t1, 0(ca1)
	lui t1, %hi(heap_end)
	addi t1, t1, %lo(heap_end)
	csw t1, 4(ca1)
	li t1, 1
	csw t1, 0x14(ca1)              # interruptRequested
	li gp, 0
	li s1, 0
	li t0, MIE_MEIE
	csrs mie, t0
	csrsi mstatus, MSTATUS_MIE
	csw t1, 8(ca1)                 # control: start the sweep
1:	bnez gp, 2f
	wfi
	j 1b
2:	csrci mstatus, MSTATUS_MIE
	expect_eq gp, 0x8000000b, bad_external, 14
	expect_eq s1, 1, bad_claim, 15
	li t0, PLIC + PLIC_CLAIM
	csetaddr ca0, ca5, t0
	clw t0, 0(ca0)
	expect_eq t0, 0, bad_complete, 16
	clw t0, 0xc(ca1)               # epoch: one sweep completed, none running
	expect_eq t0, 2, bad_epoch, 17
	cllc ca0, plic_ok
	cjal print                     # (print clobbers ca1)

	# After the sweep: obj's capability has no tag in memory, kept's still has one.
	clbu t0, 0(ca2)
	xor t0, t0, a3
	csb t0, 0(ca2)                 # obj is not revoked any more
	clc ca1, 0(ca4)
	cgettag t0, ca1
	expect_eq t0, 0, bad_sweep, 18
	address_of ca2, kept_slot, 8
	clc ca1, 0(ca2)
	cgettag t0, ca1
	expect_eq t0, 1, bad_kept, 19
	cllc ca0, sweep_ok
	cjal print

	cllc ca0, done
	cjal print
	address_of ca1, exit_status, 4
	clw a0, 0(ca1)
	j exit

# exit(a0 = status): the UART byte 0x80 + status (the CHERIoT-SAFE simulator's convention).
exit:
	addi a0, a0, 0x80
	csb a0, 0(cs0)
1:	j 1b

testlib_routines

# Timer: park mtimecmp, mask MTIE. External: claim the PLIC source (left in s1) and complete
# it. Anything else is unexpected. mcause is left in gp.
.balign 4
trap_handler:
	csrr gp, mcause
	li t0, 0x80000007
	beq gp, t0, 1f
	li t0, 0x8000000b
	beq gp, t0, 2f
	cllc ca0, unexpected_trap
	li a2, 99
	j die
1:	cspecialr ctp, mtdc
	li t0, CLINT + 0x1c
	csetaddr ctp, ctp, t0
	li t1, -1
	csw t1, 0(ctp)
	li t0, MIE_MTIE
	csrc mie, t0
	mret
2:	cspecialr ctp, mtdc
	li t0, PLIC + PLIC_CLAIM
	csetaddr ctp, ctp, t0
	clw s1, 0(ctp)
	csw s1, 0(ctp)
	mret

hello:           .asciz "ibex-safe-simulator: uart output\n"
timer_ok:        .asciz "timer interrupt taken\n"
filter_ok:       .asciz "load filter cleared the tag of a revoked capability\n"
plic_ok:         .asciz "revoker interrupt: PLIC source 1 claimed and completed\n"
sweep_ok:        .asciz "revoker sweep cleared the revoked capability in memory\n"
done:            .asciz "done\n"
bad_timer:       .asciz "FAIL: the trap was not the timer interrupt\n"
bad_filter:      .asciz "FAIL: CLC of a revoked capability kept its tag\n"
bad_memory:      .asciz "FAIL: the capability in memory lost its tag before the sweep\n"
bad_external:    .asciz "FAIL: the trap was not the external interrupt\n"
bad_claim:       .asciz "FAIL: the claim did not return source 1\n"
bad_complete:    .asciz "FAIL: an interrupt is still pending after completion\n"
bad_epoch:       .asciz "FAIL: the revoker epoch is not 2 after one sweep\n"
bad_sweep:       .asciz "FAIL: the sweep left the revoked capability tagged\n"
bad_kept:        .asciz "FAIL: the sweep cleared an unrevoked capability\n"
unexpected_trap: .asciz "FAIL: unexpected trap\n"

.section .data
.balign 8
exit_status: .word EXIT_STATUS

.section .bss
.balign 64
heap:
obj:       .space 16
kept:      .space 16
slot:      .space 8
kept_slot: .space 8
heap_end:
