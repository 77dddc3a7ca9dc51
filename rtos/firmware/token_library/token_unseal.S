# The token library (rtos.md 5.3): a privileged library. Its three sealing-key slots (types
# 11-12 seal and unseal, type 12 unseal, type 11 unseal) precede the import table.
.include "rtos.inc"

export_table token_library
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
	cret

