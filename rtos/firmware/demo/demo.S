# The demo thread (the lowest priority): says hello, then exits.
.include "rtos.inc"

globals_begin demo
counter:
	.word 0, 0
globals_bss demo
globals_end demo

code_begin demo
import_call console, console_print
text_begin demo

export demo, demo_main, 0, EXPORT_INTERRUPTS_ENABLED, 256
demo_main:
	prologue
	cllc ca0, msg_hello
	ccall __import_console_console_print
	cllc ca0, msg_bye
	ccall __import_console_console_print
	epilogue
	cret

string msg_hello, "demo: CHERIoT RTOS demo firmware (cheriot-gdbserver bundled image)\n"
string msg_bye, "demo: done, exiting\n"

.section .sealed_objects.demo, "a"
