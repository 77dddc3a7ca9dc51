# The producer thread: three items into the queue, sleeping a tick between them.
.include "rtos.inc"

globals_begin producer
produced:
	.word 0, 0
globals_bss producer
globals_end producer

code_begin producer
import_call console, console_print
import_call queue, queue_put
import_call scheduler, thread_sleep
import_call echo, echo_run
text_begin producer

export producer, producer_run, 0, EXPORT_INTERRUPTS_ENABLED, 256
func producer_run
	prologue
	li s1, 1
1:	cllc ca0, msg_put
	mv a1, s1
	ccall __import_console_console_print
	mv a0, s1
	ccall __import_queue_queue_put
	gcsw s1, produced
	stack_alloc 16
	csw zero, 0(csp)
	li t0, 1
	csw t0, 4(csp)
	csetbounds ca0, csp, 8
	li a1, 0
	ccall __import_scheduler_thread_sleep
	stack_free 16
	addi s1, s1, 1
	li t0, 3
	bgeu t0, s1, 1b
	cllc ca0, msg_done
	ccall __import_console_console_print
	ccall __import_echo_echo_run
	epilogue_return
endfunc

string msg_put, "producer: queueing item #\n"
string msg_done, "producer: done; now the echo\n"

