# The bundled firmware: boots on the `sail` board, prints a greeting on the UART, takes one
# machine-timer interrupt, and exits with status 0 through HTIF `tohost`.
#
# It follows the boot contract of a CHERIoT core (isa.md §7.7): PCC holds the executable root,
# MTDC the memory root, MScratchC the sealing root; everything else is derived from those.
.include "cheriot.inc"

.equ UART_BASE,      0x10000000
.equ CLINT_BASE,     0x02000000
.equ CLINT_MTIMECMP, 0x4000
.equ CLINT_MTIME,    0xBFF8
.equ TICKS,          50            # timer interrupt this many mtime ticks from now
.equ MIE_MTIE,       0x80
.equ MSTATUS_MIE,    0x8

.section .text.start, "ax"
.globl _start
_start:
	# Trap vector: an executable capability to trap_handler, bounded to the handler.
	cllc ct0, trap_handler
	cspecialw mtcc, ct0

	# Memory capabilities derived from the memory root in MTDC.
	cspecialr ca5, mtdc
	lui t0, %hi(stack)
	addi t0, t0, %lo(stack)
	csetaddr csp, ca5, t0
	csetbounds csp, csp, 0x400
	cincoffset csp, csp, 0x400     # csp points at the top of a 1 KiB stack
	li t0, UART_BASE
	csetaddr cs0, ca5, t0
	csetbounds cs0, cs0, 0x100     # cs0: the UART

	cllc ca0, greeting
	cjal print                     # prints the NUL-terminated string at ca0

	# Arm the CLINT timer: mtimecmp = mtime + TICKS (high word parked at ~0 first, as the
	# CHERIoT RTOS does), then enable the timer interrupt and wait for it.
	li t0, CLINT_BASE
	csetaddr cs1, ca5, t0
	li t1, 0x10000
	csetbounds cs1, cs1, t1        # cs1: the CLINT
	li t1, CLINT_MTIME
	cincoffset ca1, cs1, t1
	clw a2, 0(ca1)                  # mtime (low)
	clw a3, 4(ca1)                  # mtime (high)
	addi a2, a2, TICKS
	li t1, CLINT_MTIMECMP
	cincoffset ca1, cs1, t1
	li t2, -1
	csw t2, 4(ca1)
	csw a2, 0(ca1)
	csw a3, 4(ca1)
	li t0, MIE_MTIE
	csrs mie, t0
	li a4, 0                       # set to 1 by the trap handler
	csrsi mstatus, MSTATUS_MIE
1:	wfi
	beqz a4, 1b
	csrci mstatus, MSTATUS_MIE

	cllc ca0, goodbye
	cjal print

	# Exit: tohost = 1 | (status << 1), status 0 (the HTIF convention of the sail board).
	lui a1, %hi(tohost)
	addi a1, a1, %lo(tohost)
	csetaddr ca1, ca5, a1
	csetbounds ca1, ca1, 8
	li a2, 1
	csw a2, 0(ca1)
	csw zero, 4(ca1)
2:	j 2b

# print(ca0 = NUL-terminated string); writes each byte to the UART THR through cs0.
print:
	clbu a1, 0(ca0)
	beqz a1, 3f
	csb a1, 0(cs0)
	cincoffset ca0, ca0, 1
	j print
3:	cret

# The trap handler: acknowledges the machine-timer interrupt by parking mtimecmp, says so, and
# returns. Any other trap is fatal: exit with status 2 + mcause.
.balign 4
trap_handler:
	csrr a1, mcause
	li a2, 0x80000007
	bne a1, a2, fatal
	li t1, CLINT_MTIMECMP
	cincoffset ca1, cs1, t1
	li t2, -1
	csw t2, 4(ca1)                  # mtimecmp = far future: the interrupt is acknowledged
	li a4, 1
	cmove ct1, ca0
	cmove ct2, cra
	cllc ca0, tick
	cjal print
	cmove cra, ct2
	cmove ca0, ct1
	mret
fatal:
	lui a3, %hi(tohost)
	addi a3, a3, %lo(tohost)
	cspecialr ca2, mtdc
	csetaddr ca2, ca2, a3
	addi a1, a1, 2
	slli a1, a1, 1
	ori a1, a1, 1
	csw a1, 0(ca2)
4:	j 4b

greeting: .asciz "Hello from CHERIoT! (cheriot-gdbserver bundled firmware)\n"
tick:     .asciz "timer interrupt taken\n"
goodbye:  .asciz "goodbye\n"

.section .data
.balign 8
.globl tohost
tohost: .dword 0
.globl fromhost
fromhost: .dword 0

.section .bss
.balign 16
stack: .space 0x400
stack_top:
