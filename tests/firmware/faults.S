# Firmware that ends badly, for the reports of `cheriot-gdbserver run` (tests/run).
#
# Board independent: it touches only the memory root in MTDC and its own image, so it links at
# any board's code address. Each scenario is an entry point; the tests pick one with --entry.
# No trap handler is installed except by `double_fault`, so MTCC keeps its reset value (the
# executable root at address 0, where no board has memory): the first fault cannot be
# delivered and the engine reports a lock-up (isa.md §7.5 step 4).
#
# The `.loc` directives give the image a DWARF line table, standing in for the one a C compiler
# would emit for the `faults.c` lines quoted in the comments.
.include "cheriot.inc"
.file 1 "faults.c"

.section .text.start, "ax"

.globl _start
_start:

# int buf[4]; buf[4] = 42;  -- one word past the end of a 16-byte object
.globl bounds_fault
.type bounds_fault, @function
bounds_fault:
.loc 1 10
	cspecialr ca5, mtdc
	lui t0, %hi(buf)
	addi t0, t0, %lo(buf)
	csetaddr ca0, ca5, t0
.loc 1 11
	csetbounds ca0, ca0, 16
	li a1, 42
.loc 1 12
	csw a1, 16(ca0)
	j bounds_fault
.size bounds_fault, .-bounds_fault

# *(int *)forged = 0;  -- a pointer whose tag was cleared, used for a load
.globl tag_fault
.type tag_fault, @function
tag_fault:
.loc 1 20
	cspecialr ca5, mtdc
	lui t0, %hi(buf)
	addi t0, t0, %lo(buf)
	csetaddr ca1, ca5, t0
	csetbounds ca1, ca1, 16
.loc 1 21
	ccleartag ca1, ca1
.loc 1 22
	clw a0, 4(ca1)
	j tag_fault
.size tag_fault, .-tag_fault

# A trap handler whose first instruction faults: the fault it was entered for cannot be handled.
.globl double_fault
.type double_fault, @function
double_fault:
.loc 1 30
	cllc ct0, broken_handler
	cspecialw mtcc, ct0
.loc 1 31
	ebreak
	j double_fault
.size double_fault, .-double_fault

.balign 4
.type broken_handler, @function
broken_handler:
.loc 1 35
	clw a0, 0(cnull)
	mret
.size broken_handler, .-broken_handler

# Waits for an interrupt that nothing can raise (every interrupt is disabled in mie).
.globl halt
.type halt, @function
halt:
.loc 1 40
	csrw mie, zero
.loc 1 41
	wfi
	j halt
.size halt, .-halt

# for (;;) {}  -- runs until the instruction budget is used up
.globl spin
.type spin, @function
spin:
.loc 1 50
	li a0, 0
1:	addi a0, a0, 1
	j 1b
.size spin, .-spin

.section .bss
.balign 16
buf: .space 16
