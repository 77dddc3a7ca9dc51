# Firmware for the daemon tests (tests/serve) on the sail board: the states a daemon must be
# able to stop in. _start prints "spinning\n" and counts in a3 forever. `waiting` (reached by
# setting the pc there) prints "waiting\n" and waits in wfi with every interrupt disabled in
# mie, so nothing can ever wake it (the engine reports the hart halted). Each state is entered
# right after its line is printed, so a test can wait for the line instead of sleeping.
.include "cheriot.inc"

.equ UART_BASE, 0x10000000

.section .text.start, "ax"
.globl _start
_start:
	cspecialr ca5, mtdc
	li t0, UART_BASE
	csetaddr cs0, ca5, t0
	csetbounds cs0, cs0, 0x100
	cllc ca0, spinning
	cjal print
	li a3, 0
1:	addi a3, a3, 1
	j 1b

.globl waiting
waiting:
	cspecialr ca5, mtdc
	li t0, UART_BASE
	csetaddr cs0, ca5, t0
	csetbounds cs0, cs0, 0x100
	cllc ca0, waiting_text
	cjal print
	csrw mie, zero
2:	wfi
	j 2b

# print(ca0 = NUL-terminated string): each byte to the UART's THR through cs0.
print:
	clbu a1, 0(ca0)
	beqz a1, 3f
	csb a1, 0(cs0)
	cincoffset ca0, ca0, 1
	j print
3:	cret

.balign 4
spinning: .asciz "spinning\n"
waiting_text: .asciz "waiting\n"
