# UART echo on `sail`: copies every byte the UART receives back to the UART, upper-cased,
# until it receives '\n', then exits with status = the number of bytes received (HTIF).
# Exercises the 16550 receive path: LSR data-ready (bit 0) and RBR reads.
.include "cheriot.inc"

.equ UART_BASE, 0x10000000

.section .text.start, "ax"
.globl _start
_start:
	cspecialr ca5, mtdc
	li t0, UART_BASE
	csetaddr cs0, ca5, t0
	csetbounds cs0, cs0, 0x100
	li a3, 0                       # bytes received
wait:
	clbu a1, 0x14(cs0)               # LSR
	andi a1, a1, 1
	beqz a1, wait
	clbu a2, 0(cs0)                # RBR
	addi a3, a3, 1
	li t1, 'a'
	bltu a2, t1, 1f
	li t1, 'z' + 1
	bgeu a2, t1, 1f
	addi a2, a2, 'A' - 'a'
1:	csb a2, 0(cs0)
	li t1, '\n'
	bne a2, t1, wait
	lui a1, %hi(tohost)
	addi a1, a1, %lo(tohost)
	csetaddr ca1, ca5, a1
	slli a3, a3, 1
	ori a3, a3, 1
	csw a3, 0(ca1)
	csw zero, 4(ca1)
2:	j 2b

.section .data
.balign 8
.globl tohost
tohost: .dword 0
