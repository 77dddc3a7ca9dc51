# The consumer thread (the highest priority): waits on the queue's futex for three items.
.include "rtos.inc"

globals_begin consumer
consumed:
	.word 0, 0
globals_bss consumer
globals_end consumer

code_begin consumer
import_call console, console_print
import_call queue, queue_get
import_call flaky, flaky_wait
text_begin consumer

export consumer, consumer_run, 0, EXPORT_INTERRUPTS_ENABLED, 256
func consumer_run
	prologue
	li s1, 0
	cllc ca0, msg_wait
	ccall __import_console_console_print
1:	ccall __import_queue_queue_get
	mv a1, a0
	cllc ca0, msg_got
	ccall __import_console_console_print
	addi s1, s1, 1
	gcsw s1, consumed
	li t0, 3
	bltu s1, t0, 1b
	cllc ca0, msg_done
	ccall __import_console_console_print
	# Wait inside flaky until its micro-reboot unwinds this thread with an error.
	ccall __import_flaky_flaky_wait
	neg a1, a0
	cllc ca0, msg_unwound
	ccall __import_console_console_print
	epilogue_return
endfunc

string msg_wait, "consumer: waiting for items\n"
string msg_got, "consumer: got item #\n"
string msg_done, "consumer: done; now waiting inside flaky\n"
string msg_unwound, "consumer: flaky_wait() = -# (unwound by flaky's micro-reboot), exiting\n"

