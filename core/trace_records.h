/* The instruction trace's record format, shared by fastpath.c (which appends records) and
 * tracefmt.c (which makes lines of them); state.py's TRACE_* are checked against these
 * (fastpath.c's ABI constants table). */
#ifndef CHERIOT_TRACE_RECORDS_H
#define CHERIOT_TRACE_RECORDS_H
enum { TRACE_WORDS = 4, TRACE_INSN = 1, TRACE_EFFECT = 2 };
#endif
