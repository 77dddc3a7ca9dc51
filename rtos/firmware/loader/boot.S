# The loader (rtos.md 1.5): boot.S's persistent prologue and epilogue in `.loader_start`, and the
# ephemeral loader (boot.cc's job) in `.loader_code` / `.loader_data`, which boot.S zeroes with
# the rest of the heap before the scheduler runs.
#
# The loader is data-driven, as the real one: it reads the image header (.compartment_headers,
# generation F) and the thread records (.thread_config), and builds every capability from the
# three roots the hardware hands over (PCC = execute root, MTDC = memory root, MScratchC =
# sealing root).
.include "rtos.inc"

.equ THREADS, CONFIG_THREADS_NUM
.equ INFO_SIZE, 32 + 16 * THREADS       # SchedulerEntryInfo, then ThreadLoaderInfo[THREADS]

# la REG, SYMBOL: the integer address of a symbol in another section (cllc cannot reach it).
.macro la reg, sym
	lui \reg, %hi(\sym)
	addi \reg, \reg, %lo(\sym)
.endm

.section .loader_start, "ax"
.globl _start
_start:
	# Boot stack: the memory root without GL, exactly bootStack's 1 KiB, address at the top.
	cspecialr ca4, mtdc
	la t0, bootStack
	csetaddr csp, ca4, t0
	li t1, 0x400
	csetboundsexact csp, csp, t1
	cincoffset csp, csp, t1
	li t1, PERMS_TRUSTED_STACK & ~PERM_GL
	candperm csp, csp, t1

	# Header capability: read-only, not global, bounded to the header and the thread records.
	la t0, __compart_headers
	la t1, __compart_headers_end
	sub t1, t1, t0
	csetaddr ca1, ca4, t0
	csetbounds ca1, ca1, t1
	li t1, PERM_LD
	candperm ca1, ca1, t1

	# The ephemeral loader's code (from PCC, the execute root) and data (from the memory root).
	auipcc ca2, 0
	la t0, .loader_code_start
	la t1, .loader_code_end
	sub t1, t1, t0
	csetaddr cra, ca2, t0
	csetboundsexact cra, cra, t1
	la t0, .loader_data_start
	la t1, .loader_data_end
	sub t1, t1, t0
	csetaddr cgp, ca4, t0
	csetboundsexact cgp, cgp, t1

	# MScratchC: take the sealing root out, park the memory root (boot.S step 6).
	cspecialrw ca3, mscratchc, ca4

	# Carve the top of the boot stack: idle thread's hazard slots, the SchedulerEntryInfo and
	# ThreadLoaderInfo array the loader fills in.
	cincoffset csp, csp, -16
	cincoffset csp, csp, -INFO_SIZE
	csetbounds ca0, csp, INFO_SIZE
	cjalr cra, cra                 # loader_entry_point(ca0 info, ca1 header, ca2 X, ca3 S, ca4 M)
	cmove cs0, ca0                 # info, kept across the epilogue

	# --- epilogue (boot.S) ---
	# The idle thread's trusted stack (thread 0): two frames, one in use.
	cspecialr ca4, mscratchc
	la t0, bootTStack
	csetaddr ctp, ca4, t0
	li t1, TS_FRAMES + 2 * TSF_SIZE
	csetboundsexact ctp, ctp, t1
	li t1, TS_FRAMES + TSF_SIZE
	csh t1, ctp, TS_FRAMEOFFSET
	csh zero, ctp, TS_THREAD_ID
	cincoffset ct0, csp, INFO_SIZE         # the 16 bytes above the info: idle hazard slots
	csetbounds ct0, ct0, 16
	csc ct0, ctp, TS_HAZARD_POINTERS
	cspecialw mtdc, ctp
	cgetbase t0, csp
	csrw CSR_MSHWMB, t0
	cgetaddr t0, csp
	csrw CSR_MSHWM, t0

	# Erase the loader's authority: MEPCC and MScratchC end up null.
	# (CSpecialRW with cnull as the source only reads: writing null needs a register holding it)
	cmove ct0, cnull
	cspecialw mepcc, ct0
	cspecialrw ca4, mscratchc, ct0

	# Zero the heap range, which erases the loader's code and data, the image header, the
	# thread records and the library export tables.
	la t0, __export_mem_heap
	la t1, __export_mem_heap_end
	sub t1, t1, t0
	csetaddr ca5, ca4, t0
	csetbounds ca5, ca5, t1
1:	csc cnull, 0(ca5)
	cincoffset ca5, ca5, 8
	cgetaddr t0, ca5
	la t1, __export_mem_heap_end
	bltu t0, t1, 1b
	cmove ca4, cnull
	cmove ca5, cnull
	cmove cgp, cnull
	cmove ctp, cnull
	cmove ct0, cnull

	# scheduler_entry(ThreadLoaderInfo array) through the switcher, as any compartment call.
	clc ct1, 8(cs0)
	clc ca0, 24(cs0)
	clc ct2, 0(cs0)
	cmove cs0, cnull
	cjalr cra, ct2

	# Become the idle thread: enable timer and external interrupts, yield, then wait forever.
	cmove csp, cnull
	cmove cs0, cnull
	cmove ca0, cnull
	cmove ca1, cnull
	li t0, 0x888                   # mie.MEIE | mie.MTIE | mie.MSIE (the debugger's doorbell)
	csrs mie, t0
	csrsi mstatus, MSTATUS_MIE
	ecall
.globl idle_loop
idle_loop:
	wfi
	j idle_loop

# ------------------------------------------------------------------------------------------------
# The ephemeral loader. Calling convention inside: helpers clobber t0-t2, a0-a5 (as capabilities
# too) and keep s0, s1, tp, cgp, csp; routines that call helpers save cra on the stack.

# Loader data (cgp = its start, unbiased).
.equ L_ROOT_X, 0
.equ L_ROOT_S, 8
.equ L_ROOT_M, 16
.equ L_ROOT_RW, 24
.equ L_HEADER, 32
.equ L_INFO, 40
.equ L_SWITCHER_PCC, 48
.equ L_SWITCHER_SENTRY, 56
.equ L_NDESC, 64
.equ L_NEXT_TYPE, 68
.equ L_NLIB, 72
.equ L_NCOMP, 76
.equ L_CUR, 80
.equ L_THREAD_CONFIG, 84
.equ L_DESC, 128
.equ MAX_DESC, 16

# One descriptor per component, normalised from the header's differently shaped records.
.equ D_CODE, 0
.equ D_CODE_SIZE, 4
.equ D_IMPORTS, 8                     # slot 0
.equ D_IMPORTS_END, 12
.equ D_EXPORTS, 16
.equ D_EXPORTS_SIZE, 20
.equ D_GLOBALS, 24
.equ D_GLOBALS_SIZE, 28                # bytes
.equ D_SEALED, 32
.equ D_SEALED_SIZE, 36
.equ D_KIND, 40
.equ D_SIZE, 48
.equ KIND_PRIVILEGED, 0
.equ KIND_PRIVILEGED_LIBRARY, 1
.equ KIND_LIBRARY, 2
.equ KIND_COMPARTMENT, 3
.equ KIND_SWITCHER, 4

.equ HDR_MAGIC, 0xb0531162
.equ HDR_SWITCHER, 0
.equ HDR_PRIVILEGED, 22
.equ HDR_PRIVILEGED_SIZE, 30
.equ HDR_TRAILER, 22 + 3 * 30
.equ HDR_RECORDS, HDR_TRAILER + 14
.equ HDR_RECORD_SIZE, 34
.equ THREAD_RECORD_SIZE, 18

.macro push_ra
	cincoffset csp, csp, -16
	csc cra, 0(csp)
.endm
.macro pop_ra_ret
	clc cra, 0(csp)
	cincoffset csp, csp, 16
	cret
.endm

.section .loader_code, "ax"
.globl loader_entry_point
loader_entry_point:
	push_ra
	csc ca2, cgp, L_ROOT_X
	csc ca3, cgp, L_ROOT_S
	csc ca4, cgp, L_ROOT_M
	li t0, ~PERM_SL
	candperm ca4, ca4, t0
	csc ca4, cgp, L_ROOT_RW
	csc ca1, cgp, L_HEADER
	csc ca0, cgp, L_INFO
	li t0, FIRST_STATIC_SEALING_TYPE
	csw t0, cgp, L_NEXT_TYPE

	li a1, HDR_TRAILER
	cjal hdr32
	li t0, HDR_MAGIC
	beq a0, t0, 1f
	cllc ca0, msg_bad_magic
	j loader_panic
1:

	cjal read_descriptors
	cjal fill_export_tables
	cjal switcher_capabilities
	cjal assign_sealing_types
	cjal fill_import_tables
	cjal create_threads
	cjal scheduler_hand_over
	clc ca0, cgp, L_INFO
	pop_ra_ret

# hdr16 / hdr32 (a1 = header offset) -> a0: packed little-endian fields, read bytewise.
hdr16:
	clc ca2, cgp, L_HEADER
	cincoffset ca2, ca2, a1
	clbu a0, 0(ca2)
	clbu t0, 1(ca2)
	slli t0, t0, 8
	or a0, a0, t0
	cret
hdr32:
	clc ca2, cgp, L_HEADER
	cincoffset ca2, ca2, a1
	clbu a0, 0(ca2)
	clbu t0, 1(ca2)
	slli t0, t0, 8
	or a0, a0, t0
	clbu t0, 2(ca2)
	slli t0, t0, 16
	or a0, a0, t0
	clbu t0, 3(ca2)
	slli t0, t0, 24
	or a0, a0, t0
	cret

# derive(ca0 = root, a1 = base, a2 = length, a3 = permissions) -> ca0, bounds exact or panic.
derive:
	csetaddr ca0, ca0, a1
	csetboundsexact ca0, ca0, a2
	candperm ca0, ca0, a3
	cgettag t0, ca0
	beqz t0, 1f
	cret
1:	cllc ca0, msg_not_exact
	j loader_panic

# memory(a1 = base, a2 = length) -> ca0: a read-write capability from the memory root.
memory:
	clc ca0, cgp, L_ROOT_M
	li a3, PERMS_TRUSTED_STACK
	j derive

# seal(ca0, a1 = otype) -> ca0, with the sealing root.
seal:
	clc ca2, cgp, L_ROOT_S
	csetaddr ca2, ca2, a1
	cseal ca0, ca0, ca2
	cret

# sealing_key(a1 = first type, a2 = count, a3 = permissions) -> ca0.
sealing_key:
	clc ca0, cgp, L_ROOT_S
	j derive

# desc(a0 = index) -> ca5: capability to descriptor a0.
desc:
	li t0, D_SIZE
	mul t0, t0, a0
	addi t0, t0, L_DESC
	cincoffset ca5, cgp, t0
	li t0, D_SIZE
	csetbounds ca5, ca5, t0
	cret

# --- descriptors ---------------------------------------------------------------------------------
# Descriptor 0: the switcher; 1-3: scheduler, allocator, token library; then libraries and
# compartments in header order.
read_descriptors:
	push_ra
	li a1, HDR_TRAILER + 4
	cjal hdr16
	csw a0, cgp, L_NLIB
	mv s0, a0
	li a1, HDR_TRAILER + 6
	cjal hdr16
	csw a0, cgp, L_NCOMP
	add s0, s0, a0
	addi s0, s0, 4
	csw s0, cgp, L_NDESC
	li t0, MAX_DESC
	cllc ca0, msg_too_many
	bltu t0, s0, loader_panic

	li a0, 0
	cjal desc
	li a1, HDR_SWITCHER
	cjal hdr32
	csw a0, ca5, D_CODE
	li a1, HDR_SWITCHER + 4
	cjal hdr16
	csw a0, ca5, D_CODE_SIZE
	li a1, HDR_SWITCHER + 16
	cjal hdr32
	csw a0, ca5, D_EXPORTS
	li a1, HDR_SWITCHER + 20
	cjal hdr16
	csw a0, ca5, D_EXPORTS_SIZE
	li t0, KIND_SWITCHER
	csw t0, ca5, D_KIND

	li s1, 1                       # privileged records
1:	mv a0, s1
	cjal desc
	addi tp, s1, -1
	li t0, HDR_PRIVILEGED_SIZE
	mul tp, tp, t0
	addi tp, tp, HDR_PRIVILEGED
	mv a1, tp
	cjal hdr32
	csw a0, ca5, D_CODE
	addi a1, tp, 4
	cjal hdr16
	csw a0, ca5, D_CODE_SIZE
	addi a1, tp, 6
	cjal hdr32
	csw a0, ca5, D_GLOBALS
	addi a1, tp, 10
	cjal hdr16
	slli a0, a0, 2
	csw a0, ca5, D_GLOBALS_SIZE
	li t0, KIND_PRIVILEGED
	bnez a0, 2f
	li t0, KIND_PRIVILEGED_LIBRARY
2:	csw t0, ca5, D_KIND
	addi a1, tp, 12
	cjal hdr32
	csw a0, ca5, D_IMPORTS
	addi a1, tp, 16
	cjal hdr16
	clw t0, ca5, D_IMPORTS
	add a0, a0, t0
	csw a0, ca5, D_IMPORTS_END
	addi a1, tp, 18
	cjal hdr32
	csw a0, ca5, D_EXPORTS
	addi a1, tp, 22
	cjal hdr16
	csw a0, ca5, D_EXPORTS_SIZE
	addi a1, tp, 24
	cjal hdr32
	csw a0, ca5, D_SEALED
	addi a1, tp, 28
	cjal hdr16
	csw a0, ca5, D_SEALED_SIZE
	addi s1, s1, 1
	li t0, 4
	bltu s1, t0, 1b

3:	bgeu s1, s0, 5f                # library and compartment records
	mv a0, s1
	cjal desc
	addi tp, s1, -4
	li t0, HDR_RECORD_SIZE
	mul tp, tp, t0
	addi tp, tp, HDR_RECORDS
	mv a1, tp
	cjal hdr32
	csw a0, ca5, D_CODE
	csw a0, ca5, D_IMPORTS
	addi a1, tp, 4
	cjal hdr16
	slli a0, a0, 3
	csw a0, ca5, D_CODE_SIZE
	addi a1, tp, 6
	cjal hdr16
	clw t0, ca5, D_CODE
	add a0, a0, t0
	csw a0, ca5, D_IMPORTS_END
	addi a1, tp, 8
	cjal hdr32
	csw a0, ca5, D_EXPORTS
	addi a1, tp, 12
	cjal hdr16
	csw a0, ca5, D_EXPORTS_SIZE
	addi a1, tp, 14
	cjal hdr32
	csw a0, ca5, D_GLOBALS
	addi a1, tp, 18
	cjal hdr16
	slli a0, a0, 2
	csw a0, ca5, D_GLOBALS_SIZE
	addi a1, tp, 28
	cjal hdr32
	csw a0, ca5, D_SEALED
	addi a1, tp, 32
	cjal hdr16
	csw a0, ca5, D_SEALED_SIZE
	clw t0, cgp, L_NLIB
	addi t0, t0, 4
	li t1, KIND_LIBRARY
	bltu s1, t0, 4f
	li t1, KIND_COMPARTMENT
4:	csw t1, ca5, D_KIND
	addi s1, s1, 1
	j 3b
5:	pop_ra_ret

# --- export tables: PCC, CGP, error-handler offsets (1.5 step 7) ---------------------------------
fill_export_tables:
	push_ra
	li s1, 0
1:	mv a0, s1
	cjal desc
	cmove cs0, ca5
	clw a2, cs0, D_EXPORTS_SIZE
	beqz a2, 4f
	clw a1, cs0, D_EXPORTS
	cjal memory
	cmove ctp, ca0                 # the export table, writable
	clc ca0, cgp, L_ROOT_X
	clw a1, cs0, D_CODE
	clw a2, cs0, D_CODE_SIZE
	li a3, PERMS_USER_PCC
	clw t0, cs0, D_KIND
	li t1, KIND_SWITCHER
	bne t0, t1, 2f
	li a3, PERMS_SWITCHER_PCC
2:	cjal derive
	csc ca0, ctp, ET_PCC
	clw a2, cs0, D_GLOBALS_SIZE
	beqz a2, 3f
	clc ca0, cgp, L_ROOT_RW
	clw a1, cs0, D_GLOBALS
	li a3, PERMS_CGP
	cjal derive
	clw a2, cs0, D_GLOBALS_SIZE
	srli a2, a2, 1
	cincoffset ca0, ca0, a2        # biased to the middle, as the linker assumes
	csc ca0, ctp, ET_CGP
3:	clw t0, cs0, D_KIND
	li t1, KIND_COMPARTMENT
	bne t0, t1, 4f
	clw t2, cs0, D_IMPORTS_END     # handler offsets: .text-relative -> PCC-relative
	clw t0, cs0, D_CODE
	sub t2, t2, t0
	clhu t0, ctp, ET_ERROR_HANDLER
	li t1, NO_HANDLER
	beq t0, t1, 5f
	add t0, t0, t2
	csh t0, ctp, ET_ERROR_HANDLER
5:	clhu t0, ctp, ET_ERROR_HANDLER_STACKLESS
	beq t0, t1, 4f
	add t0, t0, t2
	csh t0, ctp, ET_ERROR_HANDLER_STACKLESS
4:	addi s1, s1, 1
	clw t0, cgp, L_NDESC
	bltu s1, t0, 1b
	cmove ctp, cnull
	pop_ra_ret

# --- the switcher: its PCC, entry sentry and sealing keys (1.5 steps 5, 6) ------------------------
switcher_capabilities:
	push_ra
	li a0, 0
	cjal desc
	cmove cs0, ca5
	clw a1, cs0, D_EXPORTS
	li a2, ET_ENTRIES + 4
	cjal memory
	clc ca1, ca0, ET_PCC           # switcher PCC, made by fill_export_tables
	csc ca1, cgp, L_SWITCHER_PCC
	clhu t0, ca0, ET_ENTRIES       # first export: the switcher entry
	cincoffset ca0, ca1, t0
	li a1, OTYPE_SENTRY_DISABLE
	cjal seal
	csc ca0, cgp, L_SWITCHER_SENTRY
	# Key slots (header offset 8): +0 trusted stacks (seal and unseal), +8 export entries (unseal).
	li a1, HDR_SWITCHER + 8
	cjal hdr16
	clw a1, cs0, D_CODE
	add a1, a1, a0
	li a2, 16
	cjal memory
	cmove ctp, ca0
	li a1, OTYPE_TRUSTED_STACK
	li a2, 1
	li a3, PERM_GL | PERM_SE | PERM_US
	cjal sealing_key
	csc ca0, 0(ctp)
	li a1, OTYPE_EXPORT_ENTRY
	li a2, 1
	li a3, PERM_GL | PERM_US
	cjal sealing_key
	csc ca0, 8(ctp)
	# Token library: +0 types 11-12 seal and unseal, +8 type 12 unseal, +16 type 11 unseal.
	li a0, 3
	cjal desc
	clw a1, ca5, D_CODE
	li a2, 24
	cjal memory
	cmove ctp, ca0
	li a1, OTYPE_TOKEN_DYNAMIC
	li a2, 2
	li a3, PERM_GL | PERM_SE | PERM_US
	cjal sealing_key
	csc ca0, 0(ctp)
	li a1, OTYPE_TOKEN_STATIC
	li a2, 1
	li a3, PERM_GL | PERM_US
	cjal sealing_key
	csc ca0, 8(ctp)
	li a1, OTYPE_TOKEN_DYNAMIC
	li a2, 1
	li a3, PERM_GL | PERM_US
	cjal sealing_key
	csc ca0, 16(ctp)
	# Allocator: +0 type 11 seal and unseal, +8 the dynamic software types [0x1000000, 2^32).
	li a0, 2
	cjal desc
	clw a1, ca5, D_CODE
	li a2, 16
	cjal memory
	cmove ctp, ca0
	li a1, OTYPE_TOKEN_DYNAMIC
	li a2, 1
	li a3, PERM_GL | PERM_SE | PERM_US
	cjal sealing_key
	csc ca0, 0(ctp)
	clc ca0, cgp, L_ROOT_S
	li a1, 0x1000000
	csetaddr ca0, ca0, a1
	li a1, -0x1000000              # length 2^32 - 2^24: representable
	csetboundsexact ca0, ca0, a1
	li a1, PERM_GL | PERM_SE | PERM_US
	candperm ca0, ca0, a1
	csc ca0, 8(ctp)
	cmove ctp, cnull
	pop_ra_ret

# --- imports -------------------------------------------------------------------------------------
# For every slot of every import table: s0 = descriptor cap (cs0), s1 = slot address, tp = end.

# slot_words(a1 = slot address) -> ca4 = writable slot, a0 = address word, a1 = size word
slot_words:
	push_ra
	li a2, 8
	cjal memory
	cmove ca4, ca0
	clw a0, 0(ca4)
	clw a1, 4(ca4)
	pop_ra_ret

# find_export(a0 = address) -> a0 = descriptor index whose export table holds it, or -1.
find_export:
	clw t2, cgp, L_NDESC
	li t1, 0
1:	li t0, D_SIZE
	mul t0, t0, t1
	addi t0, t0, L_DESC
	cincoffset ca2, cgp, t0
	clw t0, ca2, D_EXPORTS
	bltu a0, t0, 2f
	clw a3, ca2, D_EXPORTS_SIZE
	add t0, t0, a3
	bltu a0, t0, 3f
2:	addi t1, t1, 1
	bltu t1, t2, 1b
	li a0, -1
	cret
3:	mv a0, t1
	cret

# First pass (5.4): number the static sealing types each component exports to itself.
assign_sealing_types:
	push_ra
	li t0, 1
	csw t0, cgp, L_CUR
1:	clw a0, cgp, L_CUR
	cjal desc
	cmove cs0, ca5
	clw s1, cs0, D_IMPORTS
	addi s1, s1, 8
	clw tp, cs0, D_IMPORTS_END
2:	bgeu s1, tp, 4f
	mv a1, s1
	cjal slot_words
	bnez a1, 3f
	clw t0, cs0, D_EXPORTS
	bltu a0, t0, 3f
	clw t1, cs0, D_EXPORTS_SIZE
	add t0, t0, t1
	bgeu a0, t0, 3f
	mv a1, a0                      # the sealing-type export entry
	li a2, 4
	cjal memory
	clbu t0, ca0, EE_FLAGS
	andi t0, t0, EXPORT_SEALING_TYPE
	beqz t0, 3f
	clw a1, cgp, L_NEXT_TYPE
	csh a1, ca0, EE_FUNCTION_START
	addi t0, a1, 1
	csw t0, cgp, L_NEXT_TYPE
	li a2, 1
	li a3, PERMS_SEALING_KEY
	cjal sealing_key
	csc ca0, 0(ca4)
3:	addi s1, s1, 8
	j 2b
4:	clw t0, cgp, L_CUR
	addi t0, t0, 1
	csw t0, cgp, L_CUR
	clw t1, cgp, L_NDESC
	bltu t0, t1, 1b
	cmove cs0, cnull
	cmove ctp, cnull
	pop_ra_ret

# Second pass (2.3): every other slot, in the loader's classification order.
# The descriptor index lives in L_CUR (s0 and cs0 are one register); s1 = slot, tp = end.
fill_import_tables:
	push_ra
	cincoffset csp, csp, -16
	li t0, 1
	csw t0, cgp, L_CUR
1:	clw a0, cgp, L_CUR
	cjal desc
	cmove cs0, ca5
	clw s1, cs0, D_IMPORTS
	clw tp, cs0, D_IMPORTS_END
	bgeu s1, tp, 4f
	mv a1, s1                      # slot 0: the switcher's entry sentry
	li a2, 8
	cjal memory
	clc ca1, cgp, L_SWITCHER_SENTRY
	csc ca1, 0(ca0)
	addi s1, s1, 8
2:	bgeu s1, tp, 4f
	mv a1, s1
	cjal slot_words
	clc ca5, 0(ca4)
	cgettag t0, ca5
	bnez t0, 3f                    # a sealing key from the first pass
	csc ca4, 0(csp)
	cjal import_one
	clc ca4, 0(csp)
	csc ca0, 0(ca4)
3:	addi s1, s1, 8
	j 2b
4:	clw t0, cgp, L_CUR
	addi t0, t0, 1
	csw t0, cgp, L_CUR
	clw t1, cgp, L_NDESC
	bltu t0, t1, 1b
	cmove cs0, cnull
	cmove ctp, cnull
	cincoffset csp, csp, 16
	pop_ra_ret

# import_one(a0 = address word, a1 = size word, cs0 = importer's descriptor) -> ca0
import_one:
	push_ra
	cincoffset csp, csp, -16
	csw a0, 0(csp)
	csw a1, 4(csp)
	andi t0, a0, 1
	beqz t0, 5f
	# Odd: an entry of a library, the token library, the switcher or the importer's own table
	# becomes a sentry on that component's PCC; anything else is an MMIO byte address.
	addi a0, a0, -1
	cjal find_export
	bltz a0, 7f
	cjal desc
	clw t0, ca5, D_KIND
	li t1, KIND_PRIVILEGED
	beq t0, t1, 7f
	li t1, KIND_COMPARTMENT
	bne t0, t1, 1f
	cgetaddr t0, ca5
	cgetaddr t1, cs0
	bne t0, t1, 7f
1:	clw a1, ca5, D_EXPORTS         # sentry: the exporter's PCC + functionStart
	li a2, 8
	cjal memory
	clc ca4, ca0, ET_PCC           # (not ca3: a3 is derive's argument)
	clw a1, 0(csp)
	addi a1, a1, -1
	li a2, 4
	cjal memory
	clhu t0, ca0, EE_FUNCTION_START
	clbu t1, ca0, EE_FLAGS
	cincoffset ca0, ca4, t0
	andi t1, t1, EXPORT_INTERRUPTS_ENABLED | EXPORT_INTERRUPTS_DISABLED
	li a1, OTYPE_SENTRY_INHERIT
	beqz t1, 2f
	li a1, OTYPE_SENTRY_ENABLE
	li t0, EXPORT_INTERRUPTS_ENABLED
	beq t1, t0, 2f
	li a1, OTYPE_SENTRY_DISABLE
2:	cjal seal
	j 9f

5:	# Even: a static sealed object in the importer's range, an export entry, or MMIO.
	clw t0, cs0, D_SEALED
	bltu a0, t0, 6f
	clw t1, cs0, D_SEALED_SIZE
	add t1, t1, t0
	li t2, 0xffffff
	and t2, a1, t2
	add t2, t2, a0
	bltu t1, t2, 6f
	cjal sealed_object
	j 9f
6:	clw t0, cs0, D_KIND            # the micro-reboot extension comes first: its export-table
	bnez t0, 21f                   # range starts at the scheduler's export table
	la t0, __export_tables_start
	beq a0, t0, 7f
21:	cjal find_export
	bltz a0, 7f
	cjal desc
	clw t0, ca5, D_KIND
	li t1, KIND_LIBRARY
	beq t0, t1, 7f
	clc ca0, cgp, L_ROOT_RW        # sealed export entry: bounds = the callee's whole table
	clw a1, ca5, D_EXPORTS
	clw a2, ca5, D_EXPORTS_SIZE
	li a3, PERMS_EXPORT_HANDLE
	cjal derive
	clw t0, 0(csp)
	csetaddr ca0, ca0, t0
	li a1, OTYPE_EXPORT_ENTRY
	cjal seal
	j 9f

7:	# MMIO or a pre-shared object: bounded to the request, permissions masked to it.
	clw a1, 0(csp)
	clw t2, 4(csp)
	li t0, 0xffffff
	and a2, t2, t0
	# The allocator's heap (__export_mem_heap) and its revocation sweep range
	# (__revoker_scan_start) both run to the heap's end.
	clw t0, cs0, D_KIND
	bnez t0, 16f
	la t0, __export_mem_heap
	beq a1, t0, 17f
	la t0, __export_tables_start
	beq a1, t0, 19f
	la t0, __compart_cgps
	beq a1, t0, 20f
	la t0, __revoker_scan_start
	bne a1, t0, 16f
	clc ca0, cgp, L_ROOT_M         # the sweep loads and stores local capabilities: SL, not GL
	la a2, __export_mem_heap_end
	sub a2, a2, a1
	li a3, PERMS_STACK
	cjal derive
	j 9f
19:	la a2, __export_tables_end
	j 18f
20:	la a2, __compart_cgps_end
18:	sub a2, a2, a1                 # export tables or globals: exactly that range
	clc ca0, cgp, L_ROOT_RW
	li a3, PERMS_RWGLOBAL
	cjal derive
	j 9f
17:	la a2, __export_mem_heap_end   # heap: base rounded up until the length is representable
	sub t0, a2, a1
	cram t0, t0
	not t1, t0
	add a1, a1, t1
	and a1, a1, t0
	sub a2, a2, a1
	clc ca0, cgp, L_ROOT_RW
	li a3, PERMS_RWGLOBAL
	cjal derive
	j 9f
16:
	la t0, __mmio_region_start
	bltu a1, t0, 8f
	la t0, __mmio_region_end
	add t1, a1, a2
	bltu t0, t1, 8f
	j 10f
8:	la t0, __shared_objects_start
	cllc ca0, msg_bad_import
	bltu a1, t0, loader_panic
	la t0, __shared_objects_end
	add t1, a1, a2
	bltu t0, t1, loader_panic
10:	li a3, PERM_GL
	srli t0, t2, 31
	beqz t0, 11f
	ori a3, a3, PERM_LD
11:	slli t0, t2, 1
	srli t0, t0, 31
	beqz t0, 12f
	ori a3, a3, PERM_SD
12:	slli t0, t2, 2
	srli t0, t0, 31
	beqz t0, 13f
	ori a3, a3, PERM_MC
13:	slli t0, t2, 3
	srli t0, t0, 31
	beqz t0, 14f
	ori a3, a3, PERM_LM
14:	slli t0, t2, 4
	srli t0, t0, 31
	beqz t0, 15f
	ori a3, a3, PERM_LG
15:	clc ca0, cgp, L_ROOT_RW
	cjal derive
9:	cincoffset csp, csp, 16
	pop_ra_ret

# sealed_object(a0 = object, a1 = size incl. header) -> ca0: a static token handle (5.3, 5.4):
# the header's first word becomes the sealing type, the handle covers the object and addresses
# the payload plus the three software permission bits, sealed with the static token type.
sealed_object:
	push_ra
	cincoffset csp, csp, -16
	csw a0, 0(csp)
	li t0, 0xffffff
	and a1, a1, t0
	csw a1, 4(csp)
	mv a1, a0
	li a2, 8
	cjal memory
	clw a1, 0(ca0)
	li t0, 0xffff
	bgeu t0, a1, 1f                # already a type number
	cmove ca4, ca0
	li a2, 4
	cjal memory                    # the sealing-type export entry it names
	clhu t0, ca0, EE_FUNCTION_START
	csw t0, 0(ca4)
1:	clc ca0, cgp, L_ROOT_RW
	clw a1, 0(csp)
	clw a2, 4(csp)
	li a3, PERMS_RWGLOBAL
	cjal derive
	cincoffset ca0, ca0, TOKEN_HEADER_SIZE + TOKEN_HANDLE_PERMS
	li a1, OTYPE_TOKEN_STATIC
	cjal seal
	cincoffset csp, csp, 16
	pop_ra_ret

# --- threads (1.5 step 11, 4.9) -------------------------------------------------------------------
create_threads:
	push_ra
	li a1, HDR_RECORDS             # .thread_config follows the last record
	clw t0, cgp, L_NLIB
	clw t1, cgp, L_NCOMP
	add t0, t0, t1
	li t1, HDR_RECORD_SIZE
	mul t0, t0, t1
	add a1, a1, t0
	csw a1, cgp, L_THREAD_CONFIG
	cjal hdr16
	li t0, THREADS
	beq a0, t0, 2f
	cllc ca0, msg_thread_count
	j loader_panic
2:
	li s1, 0
1:	li t0, THREAD_RECORD_SIZE
	mul s0, s1, t0
	clw t0, cgp, L_THREAD_CONFIG
	add s0, s0, t0
	addi s0, s0, 2                 # s0 = record offset
	cjal create_thread
	addi s1, s1, 1
	li t0, THREADS
	bltu s1, t0, 1b
	pop_ra_ret

# create_thread(s0 = record offset, s1 = index)
create_thread:
	push_ra
	cincoffset csp, csp, -48       # 0 entry, 4 stack, 8 size, 12 flags, 16 TS cap, 24 csp, 32 desc
	addi a1, s0, 2
	cjal hdr32
	csw a0, 0(csp)
	cjal find_export
	bgez a0, 2f
	cllc ca0, msg_bad_entry
	j loader_panic
2:
	cjal desc
	csc ca5, 32(csp)
	addi a1, s0, 6
	cjal hdr32
	csw a0, 4(csp)
	addi a1, s0, 10
	cjal hdr16
	csw a0, 8(csp)
	# The trusted stack: the memory root (GL and SL), exactly its range.
	addi a1, s0, 12
	cjal hdr32
	mv t2, a0
	addi a1, s0, 16
	cjal hdr16
	mv a2, a0
	mv a1, t2
	cjal memory
	csc ca0, 16(csp)
	# The stack: store-local, not global (0x7e), address 16 below the top.
	clc ca0, cgp, L_ROOT_M
	clw a1, 4(csp)
	clw a2, 8(csp)
	li a3, PERMS_STACK
	cjal derive
	clw t0, 8(csp)
	addi t0, t0, -STACK_INVOCATION_SLOTS
	cincoffset ca0, ca0, t0
	csc ca0, 24(csp)
	clc ctp, 16(csp)
	csc ca0, 16(ctp)                       # csp
	csc ca0, ctp, TS_FRAMES + TSF_CSP      # frames[0].csp: the initial stack
	# Entry point: the compartment's PCC at functionStart; CGP from its export table.
	clc ca5, 32(csp)
	clw a1, ca5, D_EXPORTS
	clw a2, ca5, D_EXPORTS_SIZE
	cjal memory
	cmove ca3, ca0
	clw t0, 0(csp)
	csetaddr ca3, ca3, t0
	clhu t1, ca3, EE_FUNCTION_START
	clbu t2, ca3, EE_FLAGS
	csw t2, 12(csp)
	cgetbase t0, ca3
	csetaddr ca3, ca3, t0
	clc ca0, ca3, ET_PCC
	cincoffset ca0, ca0, t1
	csc ca0, ctp, TS_MEPCC
	clc ca0, ca3, ET_CGP
	csc ca0, 24(ctp)                       # cgp
	# frames[0].calleeExportTable: the table, address at its start (unsealed, no SD).
	clc ca0, cgp, L_ROOT_RW
	clc ca5, 32(csp)
	clw a1, ca5, D_EXPORTS
	clw a2, ca5, D_EXPORTS_SIZE
	li a3, PERMS_EXPORT_HANDLE
	cjal derive
	csc ca0, ctp, TS_FRAMES + TSF_EXPORT
	# cra: an interrupt-disabling return sentry to the switcher's return path, so returning
	# from the entry function exits the thread.
	li a1, HDR_SWITCHER + 6
	cjal hdr16
	mv a1, a0
	clc ca0, cgp, L_SWITCHER_PCC
	cincoffset ca0, ca0, a1
	li a1, OTYPE_RETURN_DISABLE
	cjal seal
	csc ca0, 8(ctp)
	# Hazard slots: 16 bytes of allocator_hazard_pointers per thread.
	la a1, __cheriot_shared_object_allocator_hazard_pointers
	slli t0, s1, 4
	add a1, a1, t0
	clc ca0, cgp, L_ROOT_M
	li a2, 16
	li a3, PERMS_STACK
	cjal derive
	csc ca0, ctp, TS_HAZARD_POINTERS
	# mstatus: M mode; interrupts on unless the entry is interrupt-disabled.
	li t0, MSTATUS_MPP_M | MSTATUS_MPIE
	clw t2, 12(csp)
	andi t2, t2, EXPORT_INTERRUPTS_DISABLED
	beqz t2, 1f
	li t0, MSTATUS_MPP_M
1:	csw t0, ctp, TS_MSTATUS
	clw t0, 4(csp)
	clw t1, 8(csp)
	add t1, t1, t0
	csw t1, ctp, TS_MSHWM
	csw t0, ctp, TS_MSHWMB
	li t0, TS_FRAMES + TSF_SIZE
	csh t0, ctp, TS_FRAMEOFFSET
	addi t0, s1, 1
	csh t0, ctp, TS_THREAD_ID
	# ThreadLoaderInfo[s1] = {sealed trusted stack, priority}
	cmove ca0, ctp
	li a1, OTYPE_TRUSTED_STACK
	cjal seal
	clc ca1, cgp, L_INFO
	slli t0, s1, 4
	addi t0, t0, 32
	cincoffset ca1, ca1, t0
	csc ca0, 0(ca1)
	cmove ca5, ca1
	mv a1, s0
	cjal hdr16
	csh a0, 8(ca5)
	cmove ctp, cnull
	cincoffset csp, csp, 48
	pop_ra_ret

# --- hand-over (1.5 steps 12, 14, 15) --------------------------------------------------------------
scheduler_hand_over:
	push_ra
	# Switcher slots: the scheduler's exception_entry (its first export) as a disabling sentry,
	# its CGP, and the boot stack with the address at the top.
	li a0, 0
	cjal desc
	clw a1, ca5, D_CODE
	clw a2, ca5, D_CODE_SIZE
	cjal memory
	cmove cs0, ca0                 # the switcher, writable
	li a0, 1
	cjal desc
	clw a1, ca5, D_EXPORTS
	clw a2, ca5, D_EXPORTS_SIZE
	cjal memory
	cmove cs1, ca0                 # the scheduler's export table
	clhu t0, cs1, ET_ENTRIES
	clc ca0, cs1, ET_PCC
	cincoffset ca0, ca0, t0
	li a1, OTYPE_SENTRY_DISABLE
	cjal seal
	cmove ca3, ca0
	li a1, HDR_SWITCHER + 10
	cjal hdr16
	cincoffset ca1, cs0, a0
	csc ca3, 0(ca1)
	li a1, HDR_SWITCHER + 12
	cjal hdr16
	cincoffset ca1, cs0, a0
	clc ca3, cs1, ET_CGP
	csc ca3, 0(ca1)
	li a1, HDR_SWITCHER + 14
	cjal hdr16
	cincoffset ca1, cs0, a0
	cgettop t0, csp
	csetaddr ca3, csp, t0
	csc ca3, 0(ca1)
	# MTCC: the switcher's trap entry, on the switcher PCC (keeps SR).
	clc ca0, cgp, L_SWITCHER_PCC
	la t0, exception_entry_asm
	csetaddr ca0, ca0, t0
	cspecialw mtcc, ca0
	# SchedulerEntryInfo: switcher sentry, sealed scheduler_entry, initialisers, threads.
	clc ca4, cgp, L_INFO
	clc ca0, cgp, L_SWITCHER_SENTRY
	csc ca0, 0(ca4)
	li a0, 1
	cjal desc
	clw a1, ca5, D_EXPORTS
	clw a2, ca5, D_EXPORTS_SIZE
	li a3, PERMS_EXPORT_HANDLE
	clc ca0, cgp, L_ROOT_RW
	cjal derive
	la t0, __export_scheduler_scheduler_entry
	csetaddr ca0, ca0, t0
	li a1, OTYPE_EXPORT_ENTRY
	cjal seal
	clc ca4, cgp, L_INFO
	csc ca0, 8(ca4)
	csc cnull, 16(ca4)
	cincoffset ca0, ca4, 32
	li t0, 16 * THREADS
	csetbounds ca0, ca0, t0
	csc ca0, 24(ca4)
	cmove cs0, cnull
	cmove cs1, cnull
	pop_ra_ret

# loader_panic(ca0 = message): print it on the UART and stop the simulation with status 1.
loader_panic:
	clc ca1, cgp, L_ROOT_RW
	li t0, BOARD_UART_BASE
	csetaddr ca1, ca1, t0
1:	clbu t0, 0(ca0)
	beqz t0, 2f
	csb t0, 0(ca1)
	cincoffset ca0, ca0, 1
	j 1b
2:	li a0, 1
	clc ca1, cgp, L_ROOT_RW
.if BOARD_EXIT_UART
	li t0, BOARD_UART_BASE
	csetaddr ca1, ca1, t0
	li t0, 0x80 + 1
	csb t0, 0(ca1)
.else
	la t0, tohost
	csetaddr ca1, ca1, t0
	li t0, 1 | (1 << 1)
	csw t0, 0(ca1)
	csw zero, 4(ca1)
.endif
3:	j 3b

string msg_bad_magic, "loader: image header magic is not 0xb0531162\n"
string msg_not_exact, "loader: a capability's bounds are not exact\n"
string msg_too_many, "loader: too many components\n"
string msg_bad_import, "loader: an import names no export, sealed object, device or shared object\n"
string msg_thread_count, "loader: .thread_config does not hold CONFIG_THREADS_NUM threads\n"
string msg_bad_entry, "loader: a thread entry point is not an export entry\n"

.section .loader_data, "aw"
.balign 16
	.space L_DESC + MAX_DESC * D_SIZE
