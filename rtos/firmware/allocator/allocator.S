# The allocator (rtos.md 6): a privileged compartment owning the heap. Allocations are charged
# to a quota, the payload of a static sealed allocator capability (5.5) that the caller names;
# freed memory goes into quarantine: its body is zeroed and painted in the revocation bitmap
# (6.5), so a loaded capability to it loses its tag at once, and it is reused only after a
# revocation sweep has cleared every stale capability's tag in memory (6.4, 6.6).
#
# Heap layout as rtos.md 6.1 and 6.2 describe it (MState, hazard quarantine, 8-byte chunk
# headers, end sentinel), so the heap-walking recipe of 6.10 works on it. Simplifications
# (docs/firmware.md): first fit over the chunk sequence instead of bins and trees; the sweep is
# synchronous and done by the allocator itself instead of a separate revoker.
.include "rtos.inc"

.equ MSTATE_SIZE, 248
.equ HAZARD_QUARANTINE, 16 * CONFIG_THREADS_NUM
.equ FIRST_CHUNK, MSTATE_SIZE + HAZARD_QUARANTINE
.equ CH_PREV, 0                        # previous chunk size / 8
.equ CH_SIZE, 2                        # this chunk's size / 8
.equ CH_FLAGS, 4                       # owner:13, sealed:1, prev in use:1, in use:1
.equ CH_IN_USE, 0x8000
.equ CH_PREV_IN_USE, 0x4000
.equ CH_OWNER, 0x1fff
.equ MIN_CHUNK, 16
.equ QUOTA_REMAINING, 0
.equ QUOTA_IDENTIFIER, 4

globals_begin allocator
.type _ZN12_GLOBAL__N_12gmE, @object
_ZN12_GLOBAL__N_12gmE:
	.dword 0                       # the heap's MState (null until first use)
.size _ZN12_GLOBAL__N_12gmE, 8
.type _ZN12_GLOBAL__N_15epochE, @object
_ZN12_GLOBAL__N_15epochE:              # revocation epoch: odd while a sweep runs
	.word 0
.size _ZN12_GLOBAL__N_15epochE, 4
.type nextIdentifier, @object
nextIdentifier:
	.word 1
quarantinePending:                     # chunks wait in quarantine for a sweep
	.word 0, 0
globals_bss allocator
globals_end allocator

.equ gm, _ZN12_GLOBAL__N_12gmE
.equ epoch, _ZN12_GLOBAL__N_15epochE

export_table allocator
.section .code.allocator, "ax"
.balign 8
.Lcode_start:
__compartment_pcc_start:
.sealing_key1:
	.dword 0                       # type 11 seal and unseal (allocatorSealingKey)
.sealing_key2:
	.dword 0                       # dynamic software types [0x1000000, 2^32)
.globl .allocator_import_start
.allocator_import_start:
.compartment_switcher:
	.word 0, 0
import_library token_obj_unseal_static
import_sealing_type allocator, MallocKey
.balign 8
__import_mem_heap:
	.word __export_mem_heap, IMPORT_LD | IMPORT_SD | IMPORT_MC | IMPORT_LM
.balign 8
__import_revoker_scan:
	.word __revoker_scan_start, IMPORT_LD | IMPORT_SD | IMPORT_MC | IMPORT_LM
import_mmio shadow, RWcm, IMPORT_LD | IMPORT_SD, BOARD_SHADOW_SIZE
.balign 8
.globl .allocator_import_end
.allocator_import_end:
__compartment_code_start:

sealing_type allocator, MallocKey
export allocator, heap_allocate, 3, EXPORT_INTERRUPTS_DISABLED, 192
export allocator, heap_free, 2, EXPORT_INTERRUPTS_DISABLED, 192
export allocator, heap_free_all, 1, EXPORT_INTERRUPTS_DISABLED, 192
export allocator, heap_quota_remaining, 1, EXPORT_INTERRUPTS_DISABLED, 128

# header CREG, AREG: CREG = the chunk area capability (cs1) at address AREG.
.macro header creg, areg
	csetaddr \creg, cs1, \areg
.endm

# heap_setup -> cs1: the chunk area (MState.heapStart); builds the heap on first use.
func heap_setup
	gclc ca5, gm
	cgettag t0, ca5
	beqz t0, 1f
	clc cs1, 0(ca5)
	cret
1:	cllc ca5, __import_mem_heap
	clc ca5, 0(ca5)                # [heap base, heap end)
	cgetbase t0, ca5
	li t1, MSTATE_SIZE
	csetbounds ca4, ca5, t1
	gcsc ca4, gm
	addi t0, t0, FIRST_CHUNK
	cgettop t1, ca5
	cgetbase t2, ca5
	sub t2, t1, t2
	addi t2, t2, -FIRST_CHUNK
	csetaddr cs1, ca5, t0          # heapStart: address = the first chunk, top = heap end
	csc cs1, 0(ca4)
	# One free chunk up to the 8-byte end sentinel (in use, so nothing merges past it).
	addi t2, t2, -8
	srli t2, t2, 3
	csh zero, cs1, CH_PREV
	csh t2, cs1, CH_SIZE
	li t1, CH_PREV_IN_USE
	csh t1, cs1, CH_FLAGS
	csh zero, 6(cs1)
	cgettop t0, cs1
	addi t0, t0, -8
	header ca4, t0
	csh t2, ca4, CH_PREV
	li t1, 1
	csh t1, ca4, CH_SIZE
	li t1, CH_IN_USE
	csh t1, ca4, CH_FLAGS
	cret
endfunc

# quota(ca1 = allocator capability) -> ca2: its payload (quota, identifier), or null.
func quota
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	cllc ca0, "__import.sealing_type.allocator.MallocKey"
	clc ca0, 0(ca0)
	libcall __library_import_libcalls_token_obj_unseal_static
	cmove ca2, ca0
	cgettag t0, ca2
	beqz t0, 1f
	clhu t0, ca2, QUOTA_IDENTIFIER   # identifiers are handed out on first use
	bnez t0, 1f
	gclw t0, nextIdentifier
	csh t0, ca2, QUOTA_IDENTIFIER
	addi t0, t0, 1
	gcsw t0, nextIdentifier
1:	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# heap_allocate(ca0 = timeout, ca1 = allocator capability, a2 = bytes) -> ca0, null on failure
func heap_allocate
	prologue
	stack_alloc 16
	csw a2, 0(csp)
	cjal quota
	cgettag t0, ca2
	beqz t0, .Lalloc_fail
	csc ca2, 8(csp)
	cjal heap_setup
	gclw t0, quarantinePending     # freed memory is reused only after a sweep
	beqz t0, 0f
	cjal revoke
0:	clw a2, 0(csp)
	addi a2, a2, 7 + 8             # the body rounded up to 8, plus the header
	andi a2, a2, -8
	li t0, MIN_CHUNK
	bgeu a2, t0, 1f
	mv a2, t0
1:	clc ca3, 8(csp)
	clw t0, ca3, QUOTA_REMAINING
	bltu t0, a2, .Lalloc_fail
	csw a2, 0(csp)
	cjal find_free
	bnez a0, 2f
	cjal revoke                    # nothing free: sweep, then reuse the quarantine
	clw a2, 0(csp)
	cjal find_free
	beqz a0, .Lalloc_fail
2:	# a0 = chunk, a1 = its size; split off the rest when it can hold a chunk.
	clw a2, 0(csp)
	header ca4, a0
	sub t1, a1, a2
	li t0, MIN_CHUNK
	bltu t1, t0, 3f
	srli t2, a2, 3
	csh t2, ca4, CH_SIZE
	add t0, a0, a2
	header ca5, t0
	csh t2, ca5, CH_PREV
	srli t1, t1, 3
	csh t1, ca5, CH_SIZE
	li t2, CH_PREV_IN_USE
	csh t2, ca5, CH_FLAGS
	slli t1, t1, 3
	add t0, t0, t1
	header ca5, t0
	srli t1, t1, 3
	csh t1, ca5, CH_PREV
	mv a1, a2
3:	clc ca3, 8(csp)
	clw t0, ca3, QUOTA_REMAINING
	sub t0, t0, a1
	csw t0, ca3, QUOTA_REMAINING
	clhu t0, ca3, QUOTA_IDENTIFIER
	clhu t1, ca4, CH_FLAGS
	li t2, CH_PREV_IN_USE
	and t1, t1, t2
	or t0, t0, t1
	li t2, CH_IN_USE
	or t0, t0, t2
	csh t0, ca4, CH_FLAGS
	add t0, a0, a1                 # the next chunk's "previous in use"
	header ca5, t0
	clhu t1, ca5, CH_FLAGS
	li t2, CH_PREV_IN_USE
	or t1, t1, t2
	csh t1, ca5, CH_FLAGS
	addi t0, a0, 8
	header ca0, t0
	addi t1, a1, -8
	csetboundsexact ca0, ca0, t1
	li t0, PERMS_RWGLOBAL
	candperm ca0, ca0, t0
	j .Lalloc_done
.Lalloc_fail:
	cmove ca0, cnull
.Lalloc_done:
	stack_free 16
	epilogue_return
endfunc

# find_free(a2 = chunk size, cs1 = chunk area) -> a0 = first free chunk that fits (0: none),
# a1 = its size.
func find_free
	cgetaddr t0, cs1
	cgettop t2, cs1
1:	bgeu t0, t2, 3f
	header ca4, t0
	clhu t1, ca4, CH_SIZE
	slli a1, t1, 3
	clhu t1, ca4, CH_FLAGS
	srli t1, t1, 15
	bnez t1, 2f
	bgeu a1, a2, 4f
2:	add t0, t0, a1
	j 1b
3:	li a0, 0
	cret
4:	mv a0, t0
	cret
endfunc

# shadow(a0 = address) -> ca5 = the bitmap byte, t2 = the bit's mask (rtos.md 6.5).
# (Not a5 for the mask: that is the address of ca5.)
func shadow
	li t1, BOARD_REVOCABLE_BASE
	sub t1, a0, t1
	srli t2, t1, 3
	andi t2, t2, 7
	li t0, 1
	sll t2, t0, t2
	srli t1, t1, 6
	cllc ca5, __import_mem_shadow_RWcm
	clc ca5, 0(ca5)
	cincoffset ca5, ca5, t1
	cret
endfunc

# paint(a2 = start, a3 = end, a4 = 1 set / 0 clear): the revocation bits of [start, end).
func paint
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
1:	bgeu a2, a3, 3f
	mv a0, a2
	cjal shadow
	clbu t0, 0(ca5)
	or t0, t0, t2
	bnez a4, 2f
	xor t0, t0, t2
2:	csb t0, 0(ca5)
	addi a2, a2, 8
	j 1b
3:	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# heap_free(ca0 = allocator capability, ca1 = allocation) -> 0, or -EINVAL
func heap_free
	prologue
	stack_alloc 16
	csc ca1, 0(csp)
	cmove ca1, ca0
	cjal quota
	cgettag t0, ca2
	beqz t0, .Lfree_invalid
	csc ca2, 8(csp)
	cjal heap_setup
	clc ca1, 0(csp)
	cgettag t0, ca1
	beqz t0, .Lfree_invalid
	cgetaddr a0, ca1
	cgetbase t0, ca1
	bne a0, t0, .Lfree_invalid
	addi a0, a0, -8
	header ca4, a0
	clhu t1, ca4, CH_FLAGS
	li t0, CH_IN_USE
	and t2, t1, t0
	beqz t2, .Lfree_invalid
	slli t1, t1, 19                # the owner: bits 0-12
	srli t1, t1, 19
	clc ca2, 8(csp)
	clhu t0, ca2, QUOTA_IDENTIFIER
	bne t0, t1, .Lfree_invalid
	addi a0, a0, 8
	cjal shadow
	clbu t0, 0(ca5)
	and t0, t0, t2
	bnez t0, .Lfree_invalid         # already in quarantine
	cjal quarantine
	li a0, 0
	j .Lfree_done
.Lfree_invalid:
	li a0, -EINVAL
.Lfree_done:
	stack_free 16
	epilogue_return
endfunc

# quarantine(a0 = body address, ca2 = quota, cs1 = chunk area): refund, zero, paint.
func quarantine
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	addi t0, a0, -8
	header ca4, t0
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	clw t2, ca2, QUOTA_REMAINING
	add t2, t2, t1
	csw t2, ca2, QUOTA_REMAINING
	add a3, t0, t1                 # end of the chunk
	header ca4, a0
1:	cgetaddr t0, ca4
	bgeu t0, a3, 2f
	csc cnull, 0(ca4)
	cincoffset ca4, ca4, 8
	j 1b
2:	mv a2, a0
	li a4, 1
	cjal paint
	li t0, 1
	gcsw t0, quarantinePending
	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# revoke: sweep every capability in [__revoker_scan_start, heap end), reloading and storing
# it back, so the load filter clears the tag of each one whose base is painted; then release
# the quarantine (clear the paint, free the chunks, merge neighbours).
func revoke
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	gclw t0, epoch
	addi t0, t0, 1
	gcsw t0, epoch
	cllc ca4, __import_revoker_scan
	clc ca4, 0(ca4)
	cgettop t2, ca4
1:	cgetaddr t0, ca4
	bgeu t0, t2, 2f
	clc ca5, 0(ca4)
	csc ca5, 0(ca4)
	cincoffset ca4, ca4, 8
	j 1b
2:	cmove ca4, cnull
	cmove ca5, cnull
	gclw t0, epoch
	addi t0, t0, 1
	gcsw t0, epoch
	gcsw zero, quarantinePending
	# Release: every in-use chunk whose body is painted leaves quarantine.
	cgetaddr s0, cs1
3:	cgettop t2, cs1
	addi t2, t2, -8
	bgeu s0, t2, 6f
	header ca4, s0
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	clhu t0, ca4, CH_FLAGS
	srli t0, t0, 15
	beqz t0, 5f
	addi a0, s0, 8
	cjal shadow
	clbu t0, 0(ca5)
	and t0, t0, t2
	beqz t0, 5f
	header ca4, s0
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	addi a2, s0, 8
	add a3, s0, t1
	li a4, 0
	cjal paint
	header ca4, s0
	clhu t0, ca4, CH_FLAGS
	li t1, CH_PREV_IN_USE
	and t0, t0, t1
	csh t0, ca4, CH_FLAGS
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	add t0, s0, t1
	header ca5, t0
	clhu t0, ca5, CH_FLAGS
	li t2, ~CH_PREV_IN_USE
	and t0, t0, t2
	csh t0, ca5, CH_FLAGS
5:	header ca4, s0
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	add s0, s0, t1
	j 3b
6:	cjal merge
	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# merge: join each free chunk with the free chunks that follow it.
func merge
	cgetaddr t0, cs1
	cgettop a3, cs1
	addi a3, a3, -8
1:	bgeu t0, a3, 4f
	header ca4, t0
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	clhu t2, ca4, CH_FLAGS
	srli t2, t2, 15
	bnez t2, 3f
2:	add a1, t0, t1                 # the next chunk
	header ca5, a1
	clhu t2, ca5, CH_FLAGS
	srli t2, t2, 15
	bnez t2, 3f
	clhu t2, ca5, CH_SIZE
	slli t2, t2, 3
	add t1, t1, t2
	srli t2, t1, 3
	csh t2, ca4, CH_SIZE
	csw zero, 0(ca5)               # the absorbed header
	csw zero, 4(ca5)
	add a1, t0, t1
	header ca5, a1
	csh t2, ca5, CH_PREV
	j 2b
3:	add t0, t0, t1
	j 1b
4:	cret
endfunc

# heap_free_all(ca0 = allocator capability) -> bytes released: every allocation of the quota.
func heap_free_all
	prologue
	stack_alloc 16
	cmove ca1, ca0
	cjal quota
	cgettag t0, ca2
	li a0, -EINVAL
	beqz t0, 4f
	csc ca2, 8(csp)
	cjal heap_setup
	csw zero, 0(csp)
	cgetaddr s0, cs1
1:	cgettop t2, cs1
	addi t2, t2, -8
	bgeu s0, t2, 3f
	header ca4, s0
	clhu t0, ca4, CH_FLAGS
	srli t1, t0, 15
	beqz t1, 2f
	slli t0, t0, 19
	srli t0, t0, 19
	clc ca2, 8(csp)
	clhu t1, ca2, QUOTA_IDENTIFIER
	bne t0, t1, 2f
	addi a0, s0, 8
	cjal shadow
	clbu t0, 0(ca5)
	and t0, t0, t2
	bnez t0, 2f                    # already quarantined
	header ca4, s0
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	clw t0, 0(csp)
	add t0, t0, t1
	csw t0, 0(csp)
	addi a0, s0, 8
	clc ca2, 8(csp)
	cjal quarantine
2:	header ca4, s0
	clhu t1, ca4, CH_SIZE
	slli t1, t1, 3
	add s0, s0, t1
	j 1b
3:	clw a0, 0(csp)
4:	stack_free 16
	epilogue_return
endfunc

# heap_quota_remaining(ca0 = allocator capability) -> bytes, or -EINVAL
func heap_quota_remaining
	prologue
	cmove ca1, ca0
	cjal quota
	cgettag t0, ca2
	li a0, -EINVAL
	beqz t0, 1f
	clw a0, ca2, QUOTA_REMAINING
1:	epilogue_return
endfunc
