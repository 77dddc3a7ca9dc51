# A compartment with an error handler (rtos.md 3.5). A bounds fault inside faulty_read is
# handled: the handler skips the faulting load and makes the function return -EINVAL
# (InstallContext). Any other fault, such as faulty_crash's load through null, is answered with
# ForceUnwind: the switcher unwinds to the caller, which sees -ECOMPARTMENTFAIL.
.include "rtos.inc"

.equ ES_PCC, 0
.equ ES_A0, 8 * 10

globals_begin faulty
table:
	.word 10, 20, 30, 40
.type faults_handled, @object
faults_handled:
	.word 0, 0
globals_bss faulty
globals_end faulty

code_begin faulty, compartment_error_handler
import_call console, console_print
text_begin faulty

# compartment_error_handler(ca0 = ErrorState, a1 = mcause, a2 = mtval) -> 0 install, 1 unwind.
func compartment_error_handler
	prologue
	cmove cs0, ca0
	mv s1, a1
	clw t0, cs0, ES_PCC
	cllc ca1, faulty_read
	cgetaddr t1, ca1
	bltu t0, t1, 1f
	cllc ca1, .Lfaulty_read_end
	cgetaddr t1, ca1
	bgeu t0, t1, 1f
	gclw t1, faults_handled
	addi t1, t1, 1
	gcsw t1, faults_handled
	cllc ca0, msg_handled
	mv a1, s1
	ccall __import_console_console_print
	clw t0, cs0, ES_PCC
	addi t0, t0, 4                 # past the faulting 4-byte load
	csw t0, cs0, ES_PCC
	li t0, -EINVAL
	csw t0, cs0, ES_A0             # an integer now: the store clears the register's tag
	csw zero, cs0, ES_A0 + 4
	li a0, 0                       # InstallContext
	j 2f
1:	cllc ca0, msg_unwind
	mv a1, s1
	ccall __import_console_console_print
	li a0, 1                       # ForceUnwind
2:	epilogue_return
endfunc

# faulty_read(a0 = index) -> table[index], through a capability bounded to the table.
export faulty, faulty_read, 1, EXPORT_INTERRUPTS_ENABLED, 128
func faulty_read
	gaddr ca1, table
	csetbounds ca1, ca1, 16
	slli a0, a0, 2
	cincoffset ca1, ca1, a0
	clw a0, 0(ca1)                 # a bounds fault for an index past the end
	cret
.Lfaulty_read_end:
endfunc

# faulty_crash(): loads through a null capability.
export faulty, faulty_crash, 0, EXPORT_INTERRUPTS_ENABLED, 128
func faulty_crash
	cmove ca0, cnull
	clw a0, 0(ca0)
	cret
endfunc

string msg_handled, "faulty: bounds fault in faulty_read (mcause #) handled, returning -EINVAL\n"
string msg_unwind, "faulty: unexpected fault (mcause #), forcing an unwind\n"
