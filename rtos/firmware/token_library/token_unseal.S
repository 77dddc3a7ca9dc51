# The token library (rtos.md 5.3): a privileged library. Its three sealing-key slots (types
# 11-12 seal and unseal, type 12 unseal, type 11 unseal) precede the import table; the loader
# fills them (rtos.md 5.2).
.include "rtos.inc"

.section .code.token_library, "ax"
.balign 8
.Lcode_start:
__compartment_pcc_start:
__sealingkey_either:
	.dword 0
__sealingkey_static:
	.dword 0
__sealingkey_dynamic:
	.dword 0
.globl .token_library_import_start
.token_library_import_start:
.compartment_switcher:
	.word 0, 0
.balign 8
.globl .token_library_import_end
.token_library_import_end:
__compartment_code_start:

export_table token_library
library_export token_library, token_obj_unseal_static, 2, EXPORT_INTERRUPTS_DISABLED
library_export token_library, token_obj_unseal_dynamic, 2, EXPORT_INTERRUPTS_DISABLED

# token_obj_unseal_static(ca0 = software key, ca1 = sealed handle) -> ca0: the payload, or
# null when the key is not a valid key or does not match the object's header.
func token_obj_unseal_static
	cllc ca2, __sealingkey_static
	j .Lunseal
endfunc
func token_obj_unseal_dynamic
	cllc ca2, __sealingkey_dynamic
.Lunseal:
	clc ca2, 0(ca2)
	# The key: tagged, address = base, length > 0, permit-unseal.
	cgettag t0, ca0
	beqz t0, .Lrefuse
	cgetaddr t0, ca0
	cgetbase t1, ca0
	bne t0, t1, .Lrefuse
	cgetlen t1, ca0
	beqz t1, .Lrefuse
	cgetperm t1, ca0
	andi t1, t1, PERM_US
	beqz t1, .Lrefuse
	# The object: unseal with the architectural key; its header names the software key.
	cunseal ca1, ca1, ca2
	cgettag t1, ca1
	beqz t1, .Lrefuse
	cgetaddr t1, ca1
	andi t1, t1, ~TOKEN_HANDLE_PERMS
	csetaddr ca1, ca1, t1
	clw t2, ca1, -TOKEN_HEADER_SIZE
	bne t2, t0, .Lrefuse
	cgettop t2, ca1
	sub t2, t2, t1
	csetbounds ca0, ca1, t2
	cmove ca1, cnull
	cmove ca2, cnull
	cret
.Lrefuse:
	cmove ca0, cnull
	cmove ca1, cnull
	cmove ca2, cnull
	cret
endfunc
