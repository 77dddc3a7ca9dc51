# Firmware for the gdb end-to-end tests (tests/e2e) and the pygdbmi examples, on the sail board.
#
# _start prints a greeting, main counts `counter` up to 3 through `bump` (the watched variable), stores
# one word past a 16-byte buffer in `overflow` (a CHERI bounds violation; the trap handler skips
# the store and returns), prints "recovered" and spins in `spin` forever (the Ctrl-C target),
# so the UART ends with "recovered\n\n" once the firmware spins.
# `cap_slot` holds a capability (to `counter`) stored by _start: a tagged granule in memory.
#
# Assembled with `as -g` (line information) and CFI in .debug_frame, so that gdb can step by
# line, unwind and finish. Everything is 4 bytes long (.option norvc): the tests compute
# addresses like `bump + 12` from this layout, so keep the instruction count of bump and
# overflow as documented there.
.include "cheriot.inc"
.option norvc
.cfi_sections .debug_frame

.equ UART_BASE,  0x10000000
.equ STACK_SIZE, 0x400

# address_of CREG, SYMBOL, SIZE: CREG = the memory root (ca5) moved to SYMBOL, SIZE bytes long.
.macro address_of creg, symbol, size
	lui t0, %hi(\symbol)
	addi t0, t0, %lo(\symbol)
	csetaddr \creg, ca5, t0
	csetbounds \creg, \creg, \size
.endm

.section .text.start, "ax"
.globl _start
.type _start, @function
_start:
	.cfi_startproc
	.cfi_undefined ra
	cllc ct0, trap_handler
	cspecialw mtcc, ct0
	cspecialr ca5, mtdc                 # the memory root
	address_of csp, stack, STACK_SIZE
	cincoffset csp, csp, STACK_SIZE     # csp: the top of a 1 KiB stack
	li t0, UART_BASE
	csetaddr cs0, ca5, t0
	csetbounds cs0, cs0, 0x100          # cs0: the UART
	address_of cs1, counter, 4          # cs1: counter, 4 bytes
	address_of ca1, cap_slot, 8
	csc cs1, 0(ca1)                     # cap_slot = cs1 (tagged)
	cllc ca0, greeting
	cjal print
	.cfi_endproc
.size _start, .-_start

# main. Each line starts with a real instruction: cllc is emitted as data (cheriot.inc), which
# gets no line of its own in the line table.
.globl main
.type main, @function
main:
	.cfi_startproc
	.cfi_undefined ra
	li a0, 3
	cjal count_to
	cjal overflow
	cmove ca0, cnull; cllc ca0, recovered
	cjal print
	cjal spin
	.cfi_endproc
.size main, .-main

# print(ca0 = NUL-terminated string): each byte to the UART's THR through cs0.
.globl print
.type print, @function
print:
	.cfi_startproc
	clbu a1, 0(ca0)
	beqz a1, 1f
	csb a1, 0(cs0)
	cincoffset ca0, ca0, 1
	j print
1:	cret
	.cfi_endproc
.size print, .-print

# count_to(a0): call bump a0 times. Keeps cra and a0 on the stack.
.globl count_to
.type count_to, @function
count_to:
	.cfi_startproc
	cincoffset csp, csp, -16
	.cfi_def_cfa_offset 16
	csc cra, 8(csp)
	.cfi_offset ra, -8
	csc ca0, 0(csp)
2:	cjal bump
	clw a0, 0(csp)
	addi a0, a0, -1
	csw a0, 0(csp)
	bnez a0, 2b
	clc cra, 8(csp)
	cincoffset csp, csp, 16
	.cfi_def_cfa_offset 0
	cret
	.cfi_endproc
.size count_to, .-count_to

# bump(): counter += 1 through cs1. The store is at bump + 8, the next instruction at bump + 12.
.globl bump
.type bump, @function
bump:
	.cfi_startproc
	clw t0, 0(cs1)
	addi t0, t0, 1
	csw t0, 0(cs1)
	cret                                # bump returns
	.cfi_endproc
.size bump, .-bump

# overflow(): buffer[4] = 42 for a 16-byte buffer. The faulting store is at overflow + 20.
.globl overflow
.type overflow, @function
overflow:
	.cfi_startproc
	address_of ca0, buffer, 16
	li a1, 42
	csw a1, 16(ca0)
	cret
	.cfi_endproc
.size overflow, .-overflow

# spin(): print an empty line, then count in a3 forever (the loop is at spin + 12). Once the
# empty line is out, the hart is in the loop: the store that prints it is spin's last
# instruction outside the loop, so the tests can interrupt without guessing.
.globl spin
.type spin, @function
spin:
	.cfi_startproc
	li a3, 0
	li a1, 10
	csb a1, 0(cs0)
3:	addi a3, a3, 1
	j 3b
	.cfi_endproc
.size spin, .-spin

# Any trap: count it in `traps`, skip the (4-byte) instruction that trapped and return.
.balign 4
.globl trap_handler
.type trap_handler, @function
trap_handler:
	cspecialr ct0, mepcc
	cincoffset ct0, ct0, 4
	cspecialw mepcc, ct0
	address_of ct1, traps, 4
	clw t2, 0(ct1)
	addi t2, t2, 1
	csw t2, 0(ct1)
	mret
.size trap_handler, .-trap_handler

greeting:  .asciz "hello from the e2e firmware\n"
recovered: .asciz "recovered\n"

.section .data
.balign 8
.globl counter
.type counter, @object
counter: .word 0
.size counter, 4
.globl traps
.type traps, @object
traps: .word 0
.size traps, 4
.globl cap_slot
.type cap_slot, @object
cap_slot: .dword 0
.size cap_slot, 8
.globl buffer
.type buffer, @object
buffer: .space 16
.size buffer, 16

.section .bss
.balign 16
.globl stack
stack: .space STACK_SIZE
