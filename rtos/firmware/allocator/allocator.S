# The allocator (rtos.md 6): a privileged compartment with two sealing-key slots in front of its
# import table (5.2) and the heap as an MMIO-style import of `__export_mem_heap`.
.include "rtos.inc"

globals_begin allocator
.type _ZN12_GLOBAL__N_12gmE, @object
_ZN12_GLOBAL__N_12gmE:
	.dword 0                       # the heap's MState (null until first use)
.size _ZN12_GLOBAL__N_12gmE, 8
globals_bss allocator
globals_end allocator

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
.balign 8
.globl .allocator_import_end
.allocator_import_end:
__compartment_code_start:
	cret

