# Interrupt-driven echo (rtos.md 4.8): waits on the UART-receive interrupt's futex word (through
# an interrupt capability, a static sealed object of the scheduler's InterruptKey), echoes what
# arrived, completes the interrupt and waits again; gives up after a few ticks without input.
.include "rtos.inc"

.equ IDLE_TICKS, 30

globals_begin echo
echoed:
	.word 0, 0
globals_bss echo
globals_end echo

code_begin echo
import_call console, console_print
import_call console, console_read
import_call scheduler, interrupt_futex_get
import_call scheduler, interrupt_complete
import_call scheduler, futex_timed_wait
import_sealed_object uart_interrupt_capability, 12
text_begin echo

.macro say message, value=zero
	mv a1, \value
	cllc ca0, \message
	ccall __import_console_console_print
.endm

.macro interrupt_cap creg
	cllc \creg, "__import.sealed_object.uart_interrupt_capability"
	clc \creg, 0(\creg)
.endm

# echo_run(): echo UART input line by line until IDLE_TICKS pass without any.
export echo, echo_run, 0, EXPORT_INTERRUPTS_ENABLED, 320
func echo_run
	prologue
	stack_alloc 16
	say msg_waiting
	interrupt_cap ca0
	ccall __import_scheduler_interrupt_futex_get
	csc ca0, 8(csp)                # the futex word, read-only
1:	ccall __import_console_console_read   # drain the receiver
	bltz a0, 2f
	mv s1, a0
	say msg_byte, s1
	gclw t0, echoed
	addi t0, t0, 1
	gcsw t0, echoed
	j 1b
2:	# Note the firing count, then complete: a firing after that changes the word, so the
	# wait below returns at once instead of missing it.
	clc ca1, 8(csp)
	clw s1, 0(ca1)
	interrupt_cap ca0
	ccall __import_scheduler_interrupt_complete
	csw zero, 0(csp)
	li t0, IDLE_TICKS
	csw t0, 4(csp)
	csetbounds ca0, csp, 8
	clc ca1, 8(csp)
	mv a2, s1
	li a3, 0
	ccall __import_scheduler_futex_timed_wait
	beqz a0, 1b                    # woken (or the word moved on): echo what arrived
3:	gclw s1, echoed
	say msg_done, s1
	stack_free 16
	epilogue_return
endfunc

string msg_waiting, "echo: waiting for UART input (interrupt futex)\n"
string msg_byte, "echo: received byte #\n"
string msg_done, "echo: no input for a while after # bytes, exiting\n"

.section .sealed_objects.echo, "a"
.balign 8
.type uart_interrupt_capability, @object
uart_interrupt_capability:             # InterruptKey: {number, mayWait, mayComplete}
	.word "__export.sealing_type.scheduler.InterruptKey", 0
	.half UART_RECEIVE_INTERRUPT
	.byte 1, 1
.size uart_interrupt_capability, 12
