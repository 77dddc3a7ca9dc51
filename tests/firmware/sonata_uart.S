# OpenTitan UART on `sonata` (tests/run/test_sonata.py): initialises the console UART as the
# RTOS driver does (NCO and the TX/RX enables in CTRL), prints a greeting polling STATUS.TXFULL
# before each byte, echoes every byte received until STATUS.RXEMPTY, then waits in `wfi` with
# interrupts disabled, so the run ends halted.
.include "cheriot.inc"

.equ UART,         0x80100000
.equ CTRL,         0x10
.equ STATUS,       0x14
.equ RDATA,        0x18
.equ WDATA,        0x1c
.equ TXFULL,       0x01
.equ RXEMPTY,      0x20
.equ NCO,          24159     # (921600 << 20) / 40 MHz, as the RTOS computes it
.equ TX_RX_ENABLE, 0x3

.section .text.start, "ax"
.globl _start
_start:
	cspecialr ca5, mtdc
	li t0, UART
	csetaddr cs0, ca5, t0
	csetbounds cs0, cs0, 0x34
	li t0, (NCO << 16) | TX_RX_ENABLE
	csw t0, cs0, CTRL

	cllc ca0, hello
greet:
	clbu a1, 0(ca0)
	beqz a1, echo
	cjal putc
	cincoffset ca0, ca0, 1
	j greet

echo:
	clw t0, cs0, STATUS
	andi t0, t0, RXEMPTY
	bnez t0, done
	clw a1, cs0, RDATA
	cjal putc
	j echo

done:
	csrci mstatus, 0x8
	csrw mie, zero
halt:
	wfi
	j halt

# putc(a1 = byte): wait while the TX FIFO is full, then write the byte to WDATA.
putc:
	clw t0, cs0, STATUS
	andi t0, t0, TXFULL
	bnez t0, putc
	csw a1, cs0, WDATA
	cret

hello:
	.asciz "Hello from Sonata\n"
