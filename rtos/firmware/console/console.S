# The console writer: the only compartment holding the UART. Lines are written with interrupts
# disabled, so threads' lines never interleave.
.include "rtos.inc"

globals_begin console
lines_written:
	.word 0, 0
globals_bss console
globals_end console

code_begin console
import_mmio uart, RWcm, IMPORT_LD | IMPORT_SD, BOARD_UART_SIZE
import_library strlen
text_begin console

# console_print(ca0 = string, a1 = value): writes the string; each '#' in it is replaced by
# `value` in decimal. Returns the number of characters of the string.
export console, console_print, 2, EXPORT_INTERRUPTS_DISABLED, 64
func console_print
	prologue
	cmove cs0, ca0
	mv s1, a1
	libcall __library_import_libcalls_strlen
	cmove ca2, cs0
	cincoffset ca2, ca2, a0        # end of the string
	cgetaddr a3, ca2
	cllc ca4, __import_mem_uart_RWcm
	clc ca4, 0(ca4)
1:	cgetaddr t1, cs0
	bgeu t1, a3, 4f
	clbu t0, 0(cs0)
	li t1, '#'
	bne t0, t1, 3f
	# The value in decimal: digits pushed on the stack, most significant first out.
	mv t2, s1
	stack_alloc 16
	li a5, 0
2:	li t1, 10
	remu t0, t2, t1
	divu t2, t2, t1
	addi t0, t0, '0'
	cincoffset ca1, csp, a5
	csb t0, 0(ca1)
	addi a5, a5, 1
	bnez t2, 2b
5:	addi a5, a5, -1
	cincoffset ca1, csp, a5
	clbu t0, 0(ca1)
	uart_write t0, ca4, t1
	bnez a5, 5b
	stack_free 16
	j 6f
3:	uart_write t0, ca4, t1
6:	cincoffset cs0, cs0, 1
	j 1b
4:	gclw t0, lines_written
	addi t0, t0, 1
	gcsw t0, lines_written
	epilogue_return
endfunc

# console_read() -> the next received byte, or -1 when the receiver is empty.
export console, console_read, 0, EXPORT_INTERRUPTS_DISABLED, 64
func console_read
	cllc ca1, __import_mem_uart_RWcm
	clc ca1, 0(ca1)
	uart_rx_ready t0, ca1
	li a0, -1
	beqz t0, 1f
	uart_read a0, ca1
1:	cmove ca1, cnull
	cret
endfunc
