# A compartment that keeps faulting and is micro-rebooted (docs/firmware.md). flaky_work
# counts calls in a global; from the second call on it corrupts its state and faults. Its error
# handler unwinds the first such fault; at the second it frees its heap and asks the scheduler
# for a micro-reboot: the compartment closes (calls fail), threads waiting inside it are
# unwound, its globals come back from a pristine copy, and it reopens a little later.
.include "rtos.inc"

# The initial globals, emitted twice: as the globals and as the pristine copy the scheduler
# restores them from.
.macro flaky_initial_globals
	.word 100                      # calls: counts from 100
	.word 0                        # faults since the last reboot
	.word 0                        # the futex word flaky_wait sleeps on
	.word 0                        # 1 once the heap was freed since the last (re)boot
.endm

globals_begin flaky
.globl flaky_globals_start
flaky_globals_start:
calls:
faults = calls + 4
waiter = calls + 8
heap_clean = calls + 12
	flaky_initial_globals
globals_bss flaky
globals_end flaky

.section .pristine.flaky, "a"
.balign 8
.globl flaky_pristine
flaky_pristine:
	flaky_initial_globals
.globl flaky_pristine_end
flaky_pristine_end:

code_begin flaky, compartment_error_handler
import_call console, console_print
import_call scheduler, compartment_reset
import_call scheduler, futex_timed_wait
import_call allocator, heap_allocate
import_call allocator, heap_free_all
import_call flaky, flaky_work            # its own handle: the reboot request names it
import_sealed_object flaky_malloc_capability, 32
text_begin flaky

.macro say message, value=zero
	mv a1, \value
	cllc ca0, \message
	ccall __import_console_console_print
.endm

func compartment_error_handler
	prologue
	mv s0, a1                      # mcause
	gclw s1, faults
	addi s1, s1, 1
	gcsw s1, faults
	li t0, 2
	bgeu s1, t0, 1f
	say msg_fault, s1
	li a0, 1                       # ForceUnwind
	j 2f
1:	say msg_reboot, s1
	cllc ca0, "__import.sealed_object.flaky_malloc_capability"
	clc ca0, 0(ca0)
	ccall __import_allocator_heap_free_all
	mv s1, a0
	say msg_freed, s1
	cllc ca0, __import_flaky_flaky_work
	clc ca0, 0(ca0)
	mv a1, s0
	ccall __import_scheduler_compartment_reset
	li a0, 1                       # ForceUnwind: the caller sees the failure
2:	epilogue_return
endfunc

# flaky_work() -> the call count; faults from the second call on (corrupting `calls` first).
export flaky, flaky_work, 0, EXPORT_INTERRUPTS_ENABLED, 256
func flaky_work
	prologue
	# The first call since a (re)boot frees what the compartment held before: a reboot the
	# debugger requested leaves the heap to the compartment (the scheduler holds no
	# allocator capability of it), and only flaky's own allocator capability can free it.
	gclw t0, heap_clean
	bnez t0, 1f
	li t0, 1
	gcsw t0, heap_clean
	cllc ca0, "__import.sealed_object.flaky_malloc_capability"
	clc ca0, 0(ca0)
	ccall __import_allocator_heap_free_all
	beqz a0, 1f
	mv s1, a0
	say msg_fresh, s1
1:	cmove ca0, cnull               # some heap memory that the reboot gives back
	cllc ca1, "__import.sealed_object.flaky_malloc_capability"
	clc ca1, 0(ca1)
	li a2, 32
	ccall __import_allocator_heap_allocate
	gclw s1, calls
	addi s1, s1, 1
	gcsw s1, calls
	say msg_work, s1
	li t0, 101
	beq s1, t0, 2f
	li t0, 0xdead
	gcsw t0, calls                 # corrupt state, then fault on it
	cmove ca0, cnull
	clw a0, 0(ca0)
2:	mv a0, s1
	epilogue_return
endfunc

# flaky_wait() -> the result of waiting (for ever) inside flaky on a futex nobody wakes.
export flaky, flaky_wait, 0, EXPORT_INTERRUPTS_ENABLED, 256
func flaky_wait
	prologue
	stack_alloc 16
	csw zero, 0(csp)
	li t0, -1
	csw t0, 4(csp)
	csetbounds ca0, csp, 8
	gaddr ca1, waiter
	csetbounds ca1, ca1, 4
	li a2, 0
	li a3, 0
	ccall __import_scheduler_futex_timed_wait
	stack_free 16
	epilogue_return
endfunc

string msg_work, "flaky: call number #\n"
string msg_fault, "flaky: fault # since the last reboot, unwinding\n"
string msg_reboot, "flaky: fault # since the last reboot: asking for a micro-reboot\n"
string msg_fresh, "flaky: first call since a reboot: heap_free_all released # bytes\n"
string msg_freed, "flaky: heap_free_all released # bytes\n"

.section .sealed_objects.flaky, "a"
.balign 8
.type flaky_malloc_capability, @object
flaky_malloc_capability:
	.word "__export.sealing_type.allocator.MallocKey", 0
	.word 256, 0, 0, 0, 0, 0
.size flaky_malloc_capability, 32
