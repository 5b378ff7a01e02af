/*
 * format.h - how numbers and flags look to a human: byte sizes, durations,
 * timestamps, protections, flags, signal and errno names. One definition of
 * each, shared by the terminal printer, the FINAL block, the JSON dump (for
 * names) and the HTML report.
 *
 * The fmt_* functions write a NUL-terminated string into a caller buffer of
 * at least FMT_MAX bytes and return it, so they can be used inline in a
 * printf argument list.
 */
#ifndef COMPENDIUM_FORMAT_H
#define COMPENDIUM_FORMAT_H

#include <stdint.h>

#define FMT_MAX 64

/* Right-alignment width of sizes in event lines ("   1.4 KB"). */
#define FMT_BYTES_WIDTH 8

/*
 * "0 B", "517 B", "1.4 KB", "8.0 MB", "2.3 GB", "1.0 TB": steps of 1024, one
 * decimal from KB up, rounded to nearest (1023.96 KB is "1.0 MB").
 */
char *fmt_bytes(char *buf, uint64_t n);

/* A count with thousands separators: "1,024". */
char *fmt_count(char *buf, uint64_t n);

/* Signed, with an explicit sign: "+132.0 KB", "-8.0 KB", "+0 B". */
char *fmt_bytes_signed(char *buf, int64_t n);

/* Event-line timestamp: "+0.003s" (seconds, millisecond precision). */
char *fmt_ts(char *buf, uint64_t ns);

/*
 * A run time for the FINAL title: "0.34s", "12.5s", "2m03s", "1h02m".
 */
char *fmt_runtime(char *buf, uint64_t ns);

/* A latency: "850 ns", "12 µs", "1.2 ms", "3.40 s". */
char *fmt_latency(char *buf, uint64_t ns);

/* PROT_* as "rwx" with '-' for absent bits. */
char *fmt_prot(char *buf, uint32_t prot);

/* O_* flags as "O_WRONLY|O_CREAT|O_TRUNC" (unknown bits in hex). */
char *fmt_open_flags(char *buf, uint32_t flags);

/* MAP_* flags as "MAP_PRIVATE|MAP_ANONYMOUS". */
char *fmt_mmap_flags(char *buf, uint32_t flags);

/* "read", "write", "read-write" or "path" (O_PATH), from open flags. */
const char *fmt_open_access(uint32_t flags);

/* "SIGSEGV"; "SIGRTMIN+3" for real-time signals; "SIG77" when unknown. */
char *fmt_signal(char *buf, uint32_t sig);

/* "ENOENT"; "E1234" when the number has no name. */
char *fmt_errno(char *buf, uint32_t err);

#endif
