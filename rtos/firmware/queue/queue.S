# A one-slot-per-item queue of words shared by the producer and the consumer. The item count is
# a futex word: queue_get waits on it while it is 0, queue_put wakes a waiter (rtos.md 4.5).
.include "rtos.inc"

.equ CAPACITY, 4

globals_begin queue
.type count, @object
count:                                 # the futex word: items queued
	.word 0
head:
	.word 0
items:
	zeros 4 * CAPACITY
globals_bss queue
globals_end queue

code_begin queue
import_call scheduler, futex_timed_wait
import_call scheduler, futex_wake
text_begin queue

# queue_put(a0 = item) -> 0, or -1 when the queue is full.
export queue, queue_put, 1, EXPORT_INTERRUPTS_DISABLED, 128
func queue_put
	prologue
	gclw t1, count
	li t2, CAPACITY
	bgeu t1, t2, 2f
	gclw t2, head
	add t2, t2, t1
	andi t2, t2, CAPACITY - 1
	slli t2, t2, 2
	gaddr ca1, items
	cincoffset ca1, ca1, t2
	csw a0, 0(ca1)
	addi t1, t1, 1
	gcsw t1, count
	gaddr ca0, count
	csetbounds ca0, ca0, 4
	li a1, 1
	ccall __import_scheduler_futex_wake
	li a0, 0
1:	epilogue_return
2:	li a0, -1
	j 1b
endfunc

# queue_get() -> the oldest item, waiting on the count futex while the queue is empty.
export queue, queue_get, 0, EXPORT_INTERRUPTS_DISABLED, 192
func queue_get
	prologue
	stack_alloc 16
1:	gclw t1, count
	bnez t1, 2f
	li t0, 0                       # Timeout {elapsed 0, remaining forever}
	csw t0, 0(csp)
	li t0, -1
	csw t0, 4(csp)
	csetbounds ca0, csp, 8
	gaddr ca1, count
	csetbounds ca1, ca1, 4
	li a2, 0
	li a3, 0
	ccall __import_scheduler_futex_timed_wait
	j 1b
2:	gclw t2, head
	slli t0, t2, 2
	gaddr ca1, items
	cincoffset ca1, ca1, t0
	clw a0, 0(ca1)
	addi t2, t2, 1
	andi t2, t2, CAPACITY - 1
	gcsw t2, head
	addi t1, t1, -1
	gcsw t1, count
	stack_free 16
	epilogue_return
endfunc

