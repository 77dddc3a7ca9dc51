# Use after free caught by revocation (rtos.md 6.4, 6.5): allocate, keep a copy of the
# capability in a global, free; the copy loads untagged at once (the bitmap), the next
# allocation sweeps memory so the copy in the globals loses its tag there too, and using it
# faults: the error handler reports the tag violation and the function carries on.
.include "rtos.inc"

.equ ES_PCC, 0

globals_begin uaf
.type stale, @object
stale:                                 # the capability kept across heap_free
	.dword 0
caught:
	.word 0, 0
globals_bss uaf
globals_end uaf

code_begin uaf, compartment_error_handler
import_call console, console_print
import_call allocator, heap_allocate
import_call allocator, heap_free
import_sealed_object __default_malloc_capability, 32
text_begin uaf

# Only the deliberate use after free is repaired: skip the load, note it; others unwind.
func compartment_error_handler
	prologue
	cmove cs0, ca0
	clw t0, cs0, ES_PCC
	cllc ca1, .Luse
	cgetaddr t1, ca1
	bne t0, t1, 1f
	mv s1, a2
	li t0, 1
	gcsw t0, caught
	cllc ca0, msg_caught
	andi a1, s1, 0x1f               # the CHERI cause (2: tag violation)
	ccall __import_console_console_print
	clw t0, cs0, ES_PCC
	addi t0, t0, 4
	csw t0, cs0, ES_PCC
	li a0, 0
	j 2f
1:	li a0, 1
2:	epilogue_return
endfunc

.macro say message, value=zero
	mv a1, \value
	cllc ca0, \message
	ccall __import_console_console_print
.endm

.macro allocate bytes
	cmove ca0, cnull
	cllc ca1, "__import.sealed_object.__default_malloc_capability"
	clc ca1, 0(ca1)
	li a2, \bytes
	ccall __import_allocator_heap_allocate
.endm

# uaf_demo() -> 0 when the use after free was caught.
export uaf, uaf_demo, 0, EXPORT_INTERRUPTS_ENABLED, 256
func uaf_demo
	prologue
	allocate 16
	cmove cs0, ca0
	gcsc cs0, stale
	li t0, 42
	csw t0, 0(cs0)
	cgetlen s1, cs0
	say msg_allocated, s1
	cllc ca0, "__import.sealed_object.__default_malloc_capability"
	clc ca0, 0(ca0)
	cmove ca1, cs0
	ccall __import_allocator_heap_free
	gclc cs0, stale
	cgettag s1, cs0
	say msg_freed, s1
	allocate 16                    # sweeps first, then reuses the freed memory
	cgetaddr t0, ca0
	gclc cs0, stale
	cgetaddr t1, cs0
	sub s1, t0, t1
	seqz s1, s1
	say msg_again, s1
	gclc cs0, stale
.Luse:
	clw s1, 0(cs0)                 # the use after free: faults on the untagged capability
	gclw s1, caught
	say msg_done, s1
	li a0, 0
	epilogue_return
endfunc

string msg_allocated, "uaf: allocated # bytes and kept the capability in a global\n"
string msg_freed, "uaf: freed it; the kept copy now loads with tag # (revocation bitmap)\n"
string msg_again, "uaf: allocated again after a revocation sweep; same memory: #\n"
string msg_caught, "uaf: use after free caught: CHERI fault cause # (tag violation)\n"
string msg_done, "uaf: caught = #\n"

.section .sealed_objects.uaf, "a"
.balign 8
.type __default_malloc_capability, @object
__default_malloc_capability:           # an allocator capability: MallocKey, quota 1024 bytes
	.word "__export.sealing_type.allocator.MallocKey", 0
	.word 1024, 0, 0, 0, 0, 0
.size __default_malloc_capability, 32
