# The scheduler (rtos.md 4): thread control blocks in the layout of sdk/core/scheduler/thread.h,
# priority scheduling with round robin among equals on the timer tick, yield, sleep, futex wait
# and wake with timeouts, thread exit, and the simulation's exit when the last thread exits.
#
# Simplification (documented in docs/firmware.md): threads are found by scanning
# threadSpaces (a handful of threads), so the ready, timer and futex list heads exist with
# their official names but stay empty; each thread block's state, sleepQueue,
# futexWaitAddress and expiryTime are kept exactly as the RTOS keeps them.
.include "rtos.inc"

.equ THREADS, CONFIG_THREADS_NUM
.equ MICRO_REBOOT_RECORD_SIZE, 24
.if BOARD_PLIC_SIZE
.equ MASTER_PLIC_SIZE, 40 + 4 * BOARD_INTERRUPTS
.else
.equ MASTER_PLIC_SIZE, 4 + 4 * BOARD_INTERRUPTS
.endif
# The PLIC (rtos.md 4.8; both variants): priorities at 4 * source, enables, threshold, claim.
.equ PLIC_ENABLE, 0x2000
.equ PLIC_THRESHOLD, 0x200000
.equ PLIC_CLAIM, 0x200004
.equ UART_IRQ_PRIORITY, 3              # as the RTOS's ibex-arty-a7-100 board gives it
.equ UART_IER, 0x04                    # 16550 interrupt enable; bit 0: received data
.equ MR_CAUSE_DEBUGGER, 0xffffffff     # mr_cause of a reboot the debugger requested
.equ PRIORITIES, CONFIG_THREAD_MAX_PRIORITY + 1
.equ INFINITY_HIGH, 0xffffffff

# --- globals (4.1; current-tree symbol names, template argument P = PRIORITIES) -----------------
globals_begin scheduler
.type _ZN12_GLOBAL__N_112threadSpacesE, @object
_ZN12_GLOBAL__N_112threadSpacesE:
	zeros TCB_SIZE * THREADS
.size _ZN12_GLOBAL__N_112threadSpacesE, TCB_SIZE * THREADS
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE7currentE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE7currentE:
	.dword 0
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE7currentE, 8
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE12priorityListE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE12priorityListE:
	zeros 8 * PRIORITIES
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE12priorityListE, 8 * PRIORITIES
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE11waitingListE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE11waitingListE:
	.dword 0
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE11waitingListE, 8
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE11schedTStackE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE11schedTStackE:
	.dword 0
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE11schedTStackE, 8
.type _ZN12_GLOBAL__N_116futexWaitingListE, @object
_ZN12_GLOBAL__N_116futexWaitingListE:
	.dword 0
.size _ZN12_GLOBAL__N_116futexWaitingListE, 8
.type _ZN19MultiWaiterInternal7threadsE, @object
_ZN19MultiWaiterInternal7threadsE:
	.dword 0
.size _ZN19MultiWaiterInternal7threadsE, 8
.type _ZN13StandardClint7pmtimerE, @object
_ZN13StandardClint7pmtimerE:
	.dword 0
.size _ZN13StandardClint7pmtimerE, 8
.type _ZN13StandardClint10pmtimercmpE, @object
_ZN13StandardClint10pmtimercmpE:
	.dword 0
.size _ZN13StandardClint10pmtimercmpE, 8
# The HTIF exit word of simulation builds (the sail board's exit).
.globl tohost
.type tohost, @object
tohost:
	.dword 0
.size tohost, 8
.globl fromhost
fromhost:
	.dword 0
# InterruptController (rtos.md 4.8): the PLIC wrapper (40 bytes; this scheduler keeps the
# PLIC's capability in its import table instead) or, without a PLIC, a 1-byte stub; then one
# futex word per board interrupt.
.type _ZN12_GLOBAL__N_119InterruptController10masterPlicE, @object
_ZN12_GLOBAL__N_119InterruptController10masterPlicE:
	zeros MASTER_PLIC_SIZE
.size _ZN12_GLOBAL__N_119InterruptController10masterPlicE, MASTER_PLIC_SIZE
	zeros MASTER_PLIC_SIZE % 8         # what follows holds capabilities: 8-aligned
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE14ticksSinceBootE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE14ticksSinceBootE:
	.dword 0
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE14ticksSinceBootE, 8
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE11priorityMapE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE11priorityMapE:
	.word 0
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE11priorityMapE, 4
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE15highestPriorityE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE15highestPriorityE:
	.half 0
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE15highestPriorityE, 2
.type _ZN12_GLOBAL__N_110ThreadImplILj3EE11threadCountE, @object
_ZN12_GLOBAL__N_110ThreadImplILj3EE11threadCountE:
	.half THREADS
.size _ZN12_GLOBAL__N_110ThreadImplILj3EE11threadCountE, 2
# Micro-reboot records (docs/firmware.md), one per rebootable compartment: export table
# address, reboot count, mcause of the last fault that asked for the reboot, the tick at which
# the compartment reopens (0: open), and its PCC while it is closed.
# The UART-receive interrupt's futex word (docs/firmware.md), counting firings: the PLIC's
# UART source where the board wires one (ibex-safe-simulator: source 2), else data-ready
# polled on every scheduler entry (sail has no PLIC); interrupt_complete re-arms it.
.globl uart_receive_futex
.type uart_receive_futex, @object
uart_receive_futex:
	.word 0
.size uart_receive_futex, 4
uart_receive_pending:
	.word 0
# The debugger's micro-reboot request (docs/firmware.md): the export table address of the
# compartment to reboot, 0 for none. A plain word in a granule of its own (a debugger write
# clears no capability's tag); honoured at the next scheduler entry, which the debugger brings
# about at once with a machine software interrupt (the CLINT's msip). 8-aligned here.
.globl micro_reboot_request
.type micro_reboot_request, @object
micro_reboot_request:
	.word 0
.size micro_reboot_request, 4
	.word 0
.globl micro_reboots
.type micro_reboots, @object
micro_reboots:                         # (labels per field: symbol+offset would not
mr_table:                              #  assemble to a constant CGP offset)
	.word flaky_export_table_address
mr_count:
	.word 0
mr_cause:
	.word 0
mr_reopen:
	.word 0
mr_pcc:
	.dword 0
.size micro_reboots, MICRO_REBOOT_RECORD_SIZE
globals_bss scheduler
globals_end scheduler

.equ current, _ZN12_GLOBAL__N_110ThreadImplILj3EE7currentE
.equ threadSpaces, _ZN12_GLOBAL__N_112threadSpacesE
.equ schedTStack, _ZN12_GLOBAL__N_110ThreadImplILj3EE11schedTStackE
.equ futexWaitingList, _ZN12_GLOBAL__N_116futexWaitingListE
.equ pmtimer, _ZN13StandardClint7pmtimerE
.equ pmtimercmp, _ZN13StandardClint10pmtimercmpE
.equ threadCount, _ZN12_GLOBAL__N_110ThreadImplILj3EE11threadCountE
.equ ticksSinceBoot, _ZN12_GLOBAL__N_110ThreadImplILj3EE14ticksSinceBootE
# The record layout for readers without DWARF (rtos/cheriot/reboots.py): the field labels
# above give the offsets, this absolute symbol the record size.
.globl micro_reboot_record_size
.set micro_reboot_record_size, MICRO_REBOOT_RECORD_SIZE
.equ MR_TABLE, 0
.equ MR_COUNT, 4
.equ MR_CAUSE, 8
.equ MR_REOPEN, 12
.equ MR_PCC, 16
.equ REBOOT_TICKS, 2                   # how long a rebooted compartment stays closed

# --- code: import table at code start (the scheduler has no sealing-key slots) ------------------
export_table scheduler
.section .code.scheduler, "ax"
.balign 8
.Lcode_start:
__compartment_pcc_start:
.globl .scheduler_import_start
.scheduler_import_start:
.compartment_switcher:
	.word 0, 0
import_mmio clint, RWcm, IMPORT_LD | IMPORT_SD, BOARD_CLINT_SIZE
import_library switcher_unwind_compartment
import_library token_obj_unseal_static
import_sealing_type scheduler, InterruptKey
# Micro-reboots write export tables and globals (a loader extension for privileged imports).
.balign 8
__import_export_tables:
	.word __export_tables_start, IMPORT_LD | IMPORT_SD | IMPORT_MC | IMPORT_LM
.balign 8
__import_globals:
	.word __compart_cgps, IMPORT_LD | IMPORT_SD | IMPORT_MC | IMPORT_LM
import_mmio uart, RWcm, IMPORT_LD | IMPORT_SD, BOARD_UART_SIZE
.if BOARD_UART_IRQ
import_mmio plic, RWcm, IMPORT_LD | IMPORT_SD, BOARD_PLIC_SIZE
.endif
.balign 8
.globl .scheduler_import_end
.scheduler_import_end:
__compartment_code_start:

# The export table; exception_entry must be the first entry (the loader gives it to the
# switcher's scheduler slot).
export scheduler, exception_entry, 4, EXPORT_INTERRUPTS_DISABLED, 64
export scheduler, scheduler_entry, 1, EXPORT_INTERRUPTS_DISABLED, 64
export scheduler, futex_timed_wait, 4, EXPORT_INTERRUPTS_DISABLED, 64
export scheduler, futex_wake, 2, EXPORT_INTERRUPTS_DISABLED, 64
export scheduler, thread_sleep, 2, EXPORT_INTERRUPTS_DISABLED, 64
export scheduler, thread_count, 0, EXPORT_INTERRUPTS_DISABLED, 0
export scheduler, compartment_reset, 2, EXPORT_INTERRUPTS_DISABLED, 128
export scheduler, interrupt_futex_get, 1, EXPORT_INTERRUPTS_DISABLED, 128
export scheduler, interrupt_complete, 1, EXPORT_INTERRUPTS_DISABLED, 128
sealing_type scheduler, InterruptKey

# tcb CREG, IREG: CREG = the control block of thread index IREG (0-based); clobbers t0.
.macro tcb creg, ireg
	li t0, TCB_SIZE
	mul t0, t0, \ireg
	gaddr \creg, threadSpaces
	cincoffset \creg, \creg, t0
	li t0, TCB_SIZE
	csetbounds \creg, \creg, t0
.endm

# la_scheduler REG, SYMBOL: the integer address of a symbol outside this section.
.macro la_scheduler reg, sym
	lui \reg, %hi(\sym)
	addi \reg, \reg, %lo(\sym)
.endm

# plic_register CREG, OFFSET: CREG = the PLIC's register at OFFSET; clobbers t1.
.macro plic_register creg, offset
	cllc \creg, __import_mem_plic_RWcm
	clc \creg, 0(\creg)
	li t1, \offset
	cincoffset \creg, \creg, t1
.endm

# now A: A = the low word of mtime (runs here stay far below 2^32 ticks).
.macro now reg
	gclc ct2, pmtimer
	clw \reg, 0(ct2)
.endm

# --- scheduler_entry(ca0 = ThreadLoaderInfo[THREADS]) (4.4) --------------------------------------
func scheduler_entry
	li a1, 0
1:	tcb ca2, a1
	slli t1, a1, 4
	cincoffset ca3, ca0, t1
	clc ca4, 0(ca3)
	csc ca4, ca2, TCB_TSTACK
	clhu t1, 8(ca3)
	csb t1, ca2, TCB_PRIORITY
	csb t1, ca2, TCB_ORIGINAL_PRIORITY
	addi t1, a1, 1
	csh t1, ca2, TCB_THREAD_ID
	li t1, -1
	csw t1, ca2, TCB_EXPIRY
	csw t1, ca2, TCB_EXPIRY + 4
	csh t1, ca2, TCB_FUTEX_BOOSTED
	csb zero, ca2, TCB_STATE       # Ready
	addi a1, a1, 1
	li t1, THREADS
	bltu a1, t1, 1b
	# The timer: mtime and mtimecmp inside the CLINT, mtimecmp parked in the far future.
	cllc ca1, __import_mem_clint_RWcm
	clc ca1, 0(ca1)
	li t1, BOARD_CLINT_MTIME
	cincoffset ca2, ca1, t1
	csetbounds ca2, ca2, 8
	gcsc ca2, pmtimer
	li t1, BOARD_CLINT_MTIMECMP
	cincoffset ca2, ca1, t1
	csetbounds ca2, ca2, 8
	gcsc ca2, pmtimercmp
	li t1, -1
	csw t1, 4(ca2)
.if BOARD_UART_IRQ
	# The UART-receive interrupt through the PLIC: the source's priority and enable bit, the
	# threshold at 0, and the UART's received-data interrupt (IER bit 0).
	plic_register ca2, 4 * BOARD_UART_IRQ
	li t1, UART_IRQ_PRIORITY
	csw t1, 0(ca2)
	plic_register ca2, PLIC_ENABLE + 4 * (BOARD_UART_IRQ / 32)
	clw t2, 0(ca2)
	li t1, 1 << (BOARD_UART_IRQ % 32)
	or t2, t2, t1
	csw t2, 0(ca2)
	plic_register ca2, PLIC_THRESHOLD
	csw zero, 0(ca2)
	cllc ca1, __import_mem_uart_RWcm
	clc ca1, 0(ca1)
.if BOARD_UART_OPENTITAN
	li t1, 1 << 1                  # rx_watermark
	csw t1, ca1, OT_UART_INTR_ENABLE
.else
	li t1, 1
	csb t1, ca1, UART_IER
.endif
.endif
.if BOARD_UART_OPENTITAN
	# OpenTitan's UART sends and receives only once enabled, with its baud rate (the RTOS's
	# driver does this in init()): TX, RX, NCO for 115200 baud at the board's clock.
	cllc ca1, __import_mem_uart_RWcm
	clc ca1, 0(ca1)
	li t1, (OT_UART_NCO << 16) | 3
	csw t1, ca1, OT_UART_CTRL
.endif
	li a0, 0
	cret
endfunc

# --- exception_entry(ca0 = sealed trusted stack, a1 = mcause, a2 = mepc, a3 = mtval) -> ca0 -----
# Called by the switcher on the boot stack with interrupts off, for every trap that is not a
# fault: yield (ecall), timer, external interrupt, thread exit.
func exception_entry
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	gclc ca2, current
	cgettag t0, ca2
	bnez t0, 1f
	gcsc ca0, schedTStack          # the idle thread
	j 2f
1:	csc ca0, ca2, TCB_TSTACK       # whether or not it is still Ready (4.4)
2:	li t0, MCAUSE_TIMER
	beq a1, t0, .Ltick
	li t0, MCAUSE_ECALL
	beq a1, t0, .Lschedule
	li t0, MCAUSE_THREAD_EXIT
	beq a1, t0, .Lthread_exited
	li t0, MCAUSE_EXTERNAL
	beq a1, t0, .Lexternal
	li t0, MCAUSE_SOFTWARE
	beq a1, t0, .Ldoorbell
	li a0, 1                       # anything else: panic (simulation: exit 1)
	j simulation_exit
.Ltick:
	gclw t0, ticksSinceBoot
	addi t0, t0, 1
	gcsw t0, ticksSinceBoot
	j .Lschedule
.Lthread_exited:
	li t0, THREAD_EXITED
	csb t0, ca2, TCB_STATE
	gclhu t0, threadCount
	addi t0, t0, -1
	gcsh t0, threadCount
	bnez t0, .Lschedule
	li a0, 0
	j simulation_exit
.Lexternal:
.if BOARD_UART_IRQ
	cjal plic_claim
.endif
	j .Lschedule
.Ldoorbell:                            # the debugger's doorbell: acknowledge it
	cllc ca3, __import_mem_clint_RWcm
	clc ca3, 0(ca3)
	csw zero, ca3, BOARD_CLINT_MSIP
.Lschedule:
.if BOARD_UART_IRQ == 0
	cjal poll_uart
.endif
	gclw a2, micro_reboot_request  # a reboot the debugger asked for; every thread's
	beqz a2, 1f                    # context is in its trusted stack here, none is in the
	gcsw zero, micro_reboot_request   # switcher: the safe point
	li a1, MR_CAUSE_DEBUGGER
	li a5, 1                       # the interrupted thread is unwound too
	cjal reboot
1:	gclw t1, mr_reopen             # a rebooted compartment's closed time is over
	beqz t1, 1f
	now t0
	bltu t0, t1, 1f
	cjal reopen
1:	cjal wake_expired
	cjal pick_next
	csc ca0, 8(csp)
	cjal program_timer
	clc ca0, 8(csp)
	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# wake_expired: every Suspended thread whose expiry time has passed becomes Ready.
func wake_expired
	now a2
	li a1, 0
1:	tcb ca3, a1
	clbu t1, ca3, TCB_STATE
	andi t1, t1, 3
	li t2, THREAD_SUSPENDED
	bne t1, t2, 2f
	clw t1, ca3, TCB_EXPIRY + 4
	bnez t1, 2f                    # forever
	clw t1, ca3, TCB_EXPIRY
	bltu a2, t1, 2f
	csb zero, ca3, TCB_STATE
	csc cnull, ca3, TCB_SLEEP_QUEUE
	li t1, -1
	csw t1, ca3, TCB_EXPIRY
	csw t1, ca3, TCB_EXPIRY + 4
2:	addi a1, a1, 1
	li t1, THREADS
	bltu a1, t1, 1b
	cret
endfunc

# pick_next -> ca0: the trusted stack to run. The highest-priority Ready thread; among equals
# the first after the current one (round robin); the idle thread if none is Ready.
func pick_next
	li a4, -1                      # current index (-1: idle)
	gclc ca2, current
	cgettag t0, ca2
	beqz t0, 1f
	clhu a4, ca2, TCB_THREAD_ID
	addi a4, a4, -1
1:	li a5, -1                      # best index
	li a3, -1                      # best priority
	li a1, 1
2:	add a2, a4, a1                 # candidate = (current + k) mod THREADS, k = 1..THREADS
	li t1, THREADS
	bltu a2, t1, 3f
	sub a2, a2, t1
	bgez a2, 3f
	add a2, a2, t1
3:	tcb ca0, a2
	clbu t1, ca0, TCB_STATE
	andi t1, t1, 3
	bnez t1, 4f
	clbu t1, ca0, TCB_PRIORITY
	bge a3, t1, 4f
	mv a3, t1
	mv a5, a2
4:	addi a1, a1, 1
	li t1, THREADS
	bgeu t1, a1, 2b
	bltz a5, 5f
	tcb ca0, a5
	gcsc ca0, current
	clc ca0, ca0, TCB_TSTACK
	cret
5:	gcsc cnull, current
	gclc ca0, schedTStack
	cret
endfunc

# program_timer: the next timer interrupt is the earliest expiry of a Suspended thread, or one
# tick from now if the running thread shares its priority with another Ready thread.
func program_timer
	li a5, -1                      # earliest (unsigned), -1 = none
	li a4, -1                      # the running thread's priority
	li a3, -1                      # its index
	gclc ca0, current
	cgettag t0, ca0
	beqz t0, 1f
	clbu a4, ca0, TCB_PRIORITY
	clhu a3, ca0, TCB_THREAD_ID
	addi a3, a3, -1
1:	li a1, 0
2:	tcb ca0, a1
	clbu t1, ca0, TCB_STATE
	andi t1, t1, 3
	li t2, THREAD_SUSPENDED
	bne t1, t2, 3f
	clw t1, ca0, TCB_EXPIRY + 4
	bnez t1, 4f
	clw t1, ca0, TCB_EXPIRY
	bgeu t1, a5, 4f
	mv a5, t1
	j 4f
3:	bnez t1, 4f                    # Ready and not the running one, same priority: a peer
	beq a1, a3, 4f
	clbu t1, ca0, TCB_PRIORITY
	bne t1, a4, 4f
	now a2
	li t1, BOARD_TICK_CYCLES
	add a2, a2, t1
	bgeu a2, a5, 4f
	mv a5, a2
4:	addi a1, a1, 1
	li t1, THREADS
	bltu a1, t1, 2b
	gclc ca0, pmtimercmp
	li t1, -1
	csw t1, 4(ca0)                 # high word first: no spurious interrupt while updating
	beq a5, t1, 5f
	csw a5, 0(ca0)
	csw zero, 4(ca0)
5:	cret
endfunc

# simulation_exit(a0 = status): the board's exit (HTIF tohost on sail, the UART exit byte on the
# CHERIoT-SAFE simulator).
simulation_exit:
.if BOARD_EXIT_UART
	cllc ca1, __import_mem_uart_RWcm
	clc ca1, 0(ca1)
	addi a0, a0, 0x80
	csb a0, 0(ca1)
.elseif BOARD_EXIT_MAGIC
	# The Sonata simulator exits after this string, as the RTOS's platform_simulation_exit
	# writes it on Sunburst boards (it carries no status).
	cllc ca1, __import_mem_uart_RWcm
	clc ca1, 0(ca1)
	cllc ca2, sunburst_exit
2:	clbu a0, 0(ca2)
	beqz a0, 1f
	uart_write a0, ca1, t1
	cincoffset ca2, ca2, 1
	j 2b
.elseif BOARD_EXIT_HTIF
	gaddr ca1, tohost
	csetbounds ca1, ca1, 8
	slli a0, a0, 1
	ori a0, a0, 1
	csw a0, 0(ca1)
	csw zero, 4(ca1)
.endif
1:	wfi                            # hardware (sonata): nothing ends the run; wait for ever
	j 1b
.if BOARD_EXIT_MAGIC
sunburst_exit:
	.ascii "Safe to exit simulator.\330\257\373\240\307\341\251\327"
	.byte 0
	.balign 4
.endif

# --- thread API (called through the switcher, interrupts off, on the caller's thread) ------------

# thread_sleep(ca0 = Timeout {elapsed, remaining} in ticks, a1 = flags) -> 0
# Sleeps for `remaining` ticks; 0 just yields.
func thread_sleep
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	clw a2, 4(ca0)
	beqz a2, 1f
	gclc ca3, current
	li t1, THREAD_SUSPENDED
	csb t1, ca3, TCB_STATE
	csc cnull, ca3, TCB_SLEEP_QUEUE
	cjal set_expiry
	clw t1, 0(ca0)                 # the whole wait elapses
	add t1, t1, a2
	csw t1, 0(ca0)
	csw zero, 4(ca0)
1:	ecall
	li a0, 0
	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# set_expiry(ca3 = thread, a2 = ticks; 0xffffffff = forever): its expiryTime.
func set_expiry
	li t1, -1
	bne a2, t1, 1f
	csw t1, ca3, TCB_EXPIRY
	csw t1, ca3, TCB_EXPIRY + 4
	cret
1:	now t2
	li t1, BOARD_TICK_CYCLES
	mul t1, t1, a2
	add t2, t2, t1
	csw t2, ca3, TCB_EXPIRY
	csw zero, ca3, TCB_EXPIRY + 4
	cret
endfunc

# futex_timed_wait(ca0 = Timeout, ca1 = word, a2 = expected, a3 = flags) -> 0, -ETIMEDOUT, -EINVAL
func futex_timed_wait
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	cgettag t1, ca1
	beqz t1, .Linvalid
	cgetperm t1, ca1
	andi t1, t1, PERM_LD
	beqz t1, .Linvalid
	clw t1, 0(ca1)
	bne t1, a2, .Lwait_done        # the value changed already: return 0
	clw a2, 4(ca0)
	beqz a2, .Ltimed_out
	gclc ca3, current
	cgetaddr t1, ca1
	csw t1, ca3, TCB_FUTEX_ADDRESS
	gaddr ca4, futexWaitingList
	csetbounds ca4, ca4, 8
	csc ca4, ca3, TCB_SLEEP_QUEUE
	li t1, THREAD_SUSPENDED
	csb t1, ca3, TCB_STATE
	cjal set_expiry
	ecall
	gclc ca3, current
	csc cnull, ca3, TCB_SLEEP_QUEUE
	clw t1, ca3, TCB_FUTEX_ADDRESS
	csw zero, ca3, TCB_FUTEX_ADDRESS
	bnez t1, .Ltimed_out           # futex_wake clears the address; a timeout leaves it
.Lwait_done:
	li a0, 0
	j 1f
.Ltimed_out:
	li a0, -ETIMEDOUT
	j 1f
.Linvalid:
	li a0, -EINVAL
1:	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# futex_wake(ca0 = word, a1 = count) -> number woken. Wakes the highest-priority waiters first
# and yields at once if one of them outranks the caller.
func futex_wake
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	cgetaddr a2, ca0
	li s1, 0                       # woken (the switcher restores the caller's s1)
	li a5, 0                       # 1 if a woken thread outranks the caller
1:	bgeu s1, a1, 5f
	li a4, -1                      # best index
	li a3, -1                      # best priority
	li t2, 0
2:	tcb cs0, t2
	clbu t1, cs0, TCB_STATE
	andi t1, t1, 3
	addi t1, t1, -THREAD_SUSPENDED
	bnez t1, 3f
	clw t1, cs0, TCB_FUTEX_ADDRESS
	bne t1, a2, 3f
	clbu t1, cs0, TCB_PRIORITY
	bge a3, t1, 3f
	mv a3, t1
	mv a4, t2
3:	addi t2, t2, 1
	li t1, THREADS
	bltu t2, t1, 2b
	bltz a4, 5f
	tcb cs0, a4
	csb zero, cs0, TCB_STATE
	csw zero, cs0, TCB_FUTEX_ADDRESS
	csc cnull, cs0, TCB_SLEEP_QUEUE
	li t1, -1
	csw t1, cs0, TCB_EXPIRY
	csw t1, cs0, TCB_EXPIRY + 4
	gclc cs0, current
	clbu t1, cs0, TCB_PRIORITY
	bgeu t1, a3, 4f
	li a5, 1
4:	addi s1, s1, 1
	j 1b
5:	beqz a5, 6f
	ecall
6:	mv a0, s1
	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# --- micro-reboot (designed from rtos.md 3.8; docs/firmware.md) ----------------------------------

# compartment_reset(ca0 = sealed export entry of the compartment, a1 = cause) -> 0 or -EINVAL.
# Closes the compartment (calls into it fail until it reopens), unwinds every other thread
# inside it, restores its globals from the pristine copy and counts the reboot. Its heap is
# freed by the caller (the compartment's error handler, with heap_free_all).
func compartment_reset
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	cgettype t0, ca0
	cgetbase a2, ca0
	li a0, -EINVAL                 # (a0 is ca0's address: the handle is read by now)
	li t1, OTYPE_EXPORT_ENTRY
	bne t0, t1, 1f
	li a5, 0                       # the caller is the compartment's handler: it unwinds itself
	cjal reboot
1:	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# reboot(a2 = export table address, a1 = cause, a5 = 1 to unwind the current thread too)
# -> a0 = 0, or -EINVAL (not a rebootable compartment, or rebooting already). Interrupts off.
func reboot
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	gclw t0, mr_table
	bne a2, t0, .Lreset_invalid
	gclw t0, mr_reopen
	bnez t0, .Lreset_invalid       # already rebooting
	gclw t0, mr_count
	addi t0, t0, 1
	gcsw t0, mr_count
	gcsw a1, mr_cause
	# 1. Close: the export table's PCC moves into the record, so the switcher's call path
	#    faults on the untagged PCC and unwinds the caller with -ECOMPARTMENTFAIL.
	cllc ca3, __import_export_tables
	clc ca3, 0(ca3)
	csetaddr ca3, ca3, a2
	clc ca4, ca3, ET_PCC
	gcsc ca4, mr_pcc
	csc cnull, ca3, ET_PCC
	now t0                         # reopens REBOOT_TICKS ticks from now (mtime)
	li t1, REBOOT_TICKS * BOARD_TICK_CYCLES
	add t0, t0, t1
	gcsw t0, mr_reopen
	# 2. Restore the globals from the pristine copy kept in the scheduler's code.
	cllc ca3, __import_globals
	clc ca3, 0(ca3)
	la_scheduler t0, flaky_globals_start
	csetaddr ca3, ca3, t0
	auipcc ca4, 0
	la_scheduler t0, flaky_pristine
	csetaddr ca4, ca4, t0
	la_scheduler t1, flaky_pristine_end
1:	cgetaddr t0, ca4
	bgeu t0, t1, 2f
	clw t2, 0(ca4)
	csw t2, 0(ca3)
	cincoffset ca4, ca4, 4
	cincoffset ca3, ca3, 4
	j 1b
	# 3. Unwind the threads inside the compartment (the current one only when asked);
	#    a waiting one becomes Ready.
2:	li s1, 0
3:	tcb cs0, s1
	bnez a5, 5f
	gclc ca3, current
	cgetaddr t0, ca3
	cgetaddr t1, cs0
	beq t0, t1, 4f
5:	clbu t0, cs0, TCB_STATE
	andi t0, t0, 3
	li t1, THREAD_EXITED
	beq t0, t1, 4f
	clc ca0, cs0, TCB_TSTACK
	gclw a1, mr_table
	libcall __library_import_libcalls_switcher_unwind_compartment
	beqz a0, 4f
	csb zero, cs0, TCB_STATE
	csc cnull, cs0, TCB_SLEEP_QUEUE
	csw zero, cs0, TCB_FUTEX_ADDRESS
	li t0, -1
	csw t0, cs0, TCB_EXPIRY
	csw t0, cs0, TCB_EXPIRY + 4
4:	addi s1, s1, 1
	li t0, THREADS
	bltu s1, t0, 3b
	li a0, 0
	j 6f
.Lreset_invalid:
	li a0, -EINVAL
6:	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# reopen: the rebooted compartment's PCC goes back into its export table.
func reopen
	cllc ca3, __import_export_tables
	clc ca3, 0(ca3)
	gclw t0, mr_table
	csetaddr ca3, ca3, t0
	gclc ca4, mr_pcc
	csc ca4, ca3, ET_PCC
	gcsc cnull, mr_pcc
	gcsw zero, mr_reopen
	cret
endfunc

# --- interrupts as futex words (rtos.md 4.8) ------------------------------------------------------

.if BOARD_UART_IRQ
# plic_claim: claim the external interrupt; the UART's fires its futex word and stays in
# service until interrupt_complete; any other source is completed at once.
func plic_claim
	plic_register ca2, PLIC_CLAIM
	clw t0, 0(ca2)
	beqz t0, 1f
	li t1, BOARD_UART_IRQ
	beq t0, t1, uart_fired
	csw t0, 0(ca2)
1:	cret
endfunc
.else
# poll_uart: when the UART holds received data and the last firing was completed, count a
# firing in the futex word and make every thread waiting on it Ready.
func poll_uart
	gclw t0, uart_receive_pending
	bnez t0, 3f
	cllc ca2, __import_mem_uart_RWcm
	clc ca2, 0(ca2)
	uart_rx_ready t0, ca2
	beqz t0, 3f
	li t0, 1
	gcsw t0, uart_receive_pending
endfunc
.endif
# uart_fired: count a firing and make every thread waiting on the word Ready.
func uart_fired
	gclw t0, uart_receive_futex
	addi t0, t0, 1
	gcsw t0, uart_receive_futex
	gaddr ca2, uart_receive_futex
	cgetaddr a2, ca2
	li a1, 0
1:	tcb ca3, a1
	clbu t1, ca3, TCB_STATE
	andi t1, t1, 3
	li t2, THREAD_SUSPENDED
	bne t1, t2, 2f
	clw t1, ca3, TCB_FUTEX_ADDRESS
	bne t1, a2, 2f
	csb zero, ca3, TCB_STATE
	csw zero, ca3, TCB_FUTEX_ADDRESS
	csc cnull, ca3, TCB_SLEEP_QUEUE
	li t1, -1
	csw t1, ca3, TCB_EXPIRY
	csw t1, ca3, TCB_EXPIRY + 4
2:	addi a1, a1, 1
	li t1, THREADS
	bltu a1, t1, 1b
3:	cret
endfunc

# interrupt_capability(ca0 = sealed interrupt capability) -> ca0: its payload (5.5), or null.
func interrupt_capability
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	cmove ca1, ca0
	cllc ca0, "__import.sealing_type.scheduler.InterruptKey"
	clc ca0, 0(ca0)
	libcall __library_import_libcalls_token_obj_unseal_static
	cgettag t0, ca0                # the only interrupt this scheduler delivers
	beqz t0, 1f
	clhu t0, 0(ca0)
	li t1, UART_RECEIVE_INTERRUPT
	beq t0, t1, 1f
	cmove ca0, cnull
1:	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# interrupt_futex_get(ca0 = interrupt capability) -> ca0: read-only capability to the futex
# word (needs mayWait), or null.
func interrupt_futex_get
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	cjal interrupt_capability
	cgettag t0, ca0
	beqz t0, 1f
	clbu t0, 2(ca0)                # mayWait
	beqz t0, 1f
	gaddr ca0, uart_receive_futex
	csetbounds ca0, ca0, 4
	li t0, PERM_GL | PERM_LD
	candperm ca0, ca0, t0
	j 2f
1:	cmove ca0, cnull
2:	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# interrupt_complete(ca0 = interrupt capability) -> 0 or -EINVAL (needs mayComplete).
func interrupt_complete
	stack_alloc 16
	csc cra, 0(csp)
	.cfi_rel_offset 1, 0
	cjal interrupt_capability
	li a1, -EINVAL
	cgettag t0, ca0
	beqz t0, 1f
	clbu t0, 3(ca0)                # mayComplete
	beqz t0, 1f
.if BOARD_UART_IRQ
	plic_register ca2, PLIC_CLAIM  # complete the source (ignored unless it is in service)
	li t0, BOARD_UART_IRQ
	csw t0, 0(ca2)
.else
	gcsw zero, uart_receive_pending
.endif
	li a1, 0
1:	mv a0, a1
	.cfi_remember_state
	clc cra, 0(csp)
	.cfi_restore 1
	stack_free 16
	cret
	.cfi_restore_state
endfunc

# thread_count() -> the configured number of threads.
func thread_count
	li a0, THREADS
	cret
endfunc

.balign 8
.scheduler_code_end:
