# The `crt` library: small string helpers shared by compartments, called through library
# sentries (rtos.md 2.3). Libraries have no globals.
.include "rtos.inc"

code_begin crt
text_begin crt

# strlen(ca0 = NUL-terminated string) -> a0
func strlen
	li a1, 0
1:	cincoffset ca2, ca0, a1
	clbu t0, 0(ca2)
	beqz t0, 2f
	addi a1, a1, 1
	j 1b
2:	mv a0, a1
	cret
endfunc

library_export crt, strlen, 1, 0
