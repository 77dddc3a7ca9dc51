# The demo thread (the lowest priority): drives the fault-handling demonstrations while the
# producer and consumer sleep.
.include "rtos.inc"

globals_begin demo
counter:
	.word 0, 0
globals_bss demo
globals_end demo

code_begin demo
import_call console, console_print
import_call faulty, faulty_read
import_call faulty, faulty_crash
import_call uaf, uaf_demo
import_call flaky, flaky_work
import_call scheduler, thread_sleep
import_library token_obj_unseal_static
import_sealing_type demo, SecretKey
import_sealing_type demo, OtherKey
import_sealed_object secret, SECRET_SIZE
text_begin demo

# Static sealing types of this compartment and a static sealed object of one (rtos.md 5.4).
sealing_type demo, SecretKey
sealing_type demo, OtherKey

# say MESSAGE, VALUE: console_print(MESSAGE, VALUE) (VALUE a register or omitted).
.macro say message, value=zero
	mv a1, \value
	cllc ca0, \message
	ccall __import_console_console_print
.endm

export demo, demo_main, 0, EXPORT_INTERRUPTS_ENABLED, 256
func demo_main
	prologue
	say msg_hello
	# An error handler that installs a corrected context (rtos.md 3.5).
	li a0, 2
	ccall __import_faulty_faulty_read
	mv s1, a0
	say msg_read_ok, s1
	li a0, 8
	ccall __import_faulty_faulty_read
	neg s1, a0
	say msg_read_bad, s1
	# A fault the handler does not repair: forced unwind, the call returns -ECOMPARTMENTFAIL.
	ccall __import_faulty_faulty_crash
	neg s1, a0
	say msg_crash, s1
	# Static token objects: unsealing needs this compartment's key for the object's type.
	cllc ca1, "__import.sealed_object.secret"
	clc ca1, 0(ca1)
	cllc ca0, "__import.sealing_type.demo.OtherKey"
	clc ca0, 0(ca0)
	libcall __library_import_libcalls_token_obj_unseal_static
	cgettag s1, ca0
	say msg_wrong_key, s1
	cllc ca1, "__import.sealed_object.secret"
	clc ca1, 0(ca1)
	cllc ca0, "__import.sealing_type.demo.SecretKey"
	clc ca0, 0(ca0)
	libcall __library_import_libcalls_token_obj_unseal_static
	clw s1, 0(ca0)
	say msg_secret, s1
	ccall __import_uaf_uaf_demo
	# Micro-reboot: wait until the others are done, then call flaky until it is rebooted.
	li a0, 10
	cjal sleep
	li s1, 4
1:	cjal flaky_round
	addi s1, s1, -1
	bnez s1, 1b
	li a0, 3                       # the reboot keeps flaky closed for two ticks
	cjal sleep
	ccall __import_flaky_flaky_work
	mv s1, a0
	say msg_flaky_back, s1
	say msg_bye
	epilogue_return
endfunc

# sleep(a0 = ticks): thread_sleep with a Timeout on the stack.
func sleep
	stack_alloc 16
	csc cra, 8(csp)
	.cfi_rel_offset 1, 8
	csw zero, 0(csp)
	csw a0, 4(csp)
	csetbounds ca0, csp, 8
	li a1, 0
	ccall __import_scheduler_thread_sleep
	clc cra, 8(csp)
	.cfi_restore 1
	stack_free 16
	cret
endfunc

# flaky_round(): one call of flaky_work, and its result on the console.
func flaky_round
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	ccall __import_flaky_flaky_work
	cjal report_flaky
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
endfunc

# report_flaky(a0 = what flaky_work returned): "demo: flaky_work() = N" (or "= -N").
func report_flaky
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	mv a1, a0
	cllc ca0, msg_flaky_ok
	bgez a1, 1f
	neg a1, a1
	cllc ca0, msg_flaky_failed
1:	ccall __import_console_console_print
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
endfunc

string msg_flaky_ok, "demo: flaky_work() = #\n"
string msg_flaky_failed, "demo: flaky_work() = -#\n"
string msg_flaky_back, "demo: after the reboot flaky_work() = # (its globals were restored)\n"
string msg_hello, "demo: CHERIoT RTOS demo firmware (cheriot-gdbserver bundled image)\n"
string msg_read_ok, "demo: faulty_read(2) = #\n"
string msg_read_bad, "demo: faulty_read(8) = -# (the handler repaired the bounds fault)\n"
string msg_crash, "demo: faulty_crash() = -# (forced unwind to the caller)\n"
string msg_wrong_key, "demo: unsealing the static object with OtherKey: tag #\n"
string msg_secret, "demo: the static sealed object unsealed with SecretKey holds #\n"
string msg_bye, "demo: done, exiting\n"

.section .sealed_objects.demo, "a"
.balign 8
.type secret, @object
secret:                                # {type (the sealing-type export until loaded), 0, payload}
	.word "__export.sealing_type.demo.SecretKey", 0
	.word 1234567, 0
.size secret, 16
.equ SECRET_SIZE, 16
