/*
 * trace_opts.h - the tracer options that live mode (`compendium -- cmd`) and
 * `compendium record` share, parsed in one place: -p/--pid, --no-seccomp, --no-fastpath,
 * --faults/--page-faults, --ebpf, and the command after "--".
 *
 * Each subcommand loops over its argv, handles its own options, and hands
 * every other argument to trace_opts_take(); the first non-option (or the
 * argument after "--") starts the command, given to trace_opts_finish().
 */
#ifndef COMPENDIUM_TRACE_OPTS_H
#define COMPENDIUM_TRACE_OPTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "event.h"
#include "record/tracer.h"

struct trace_opts {
	pid_t pid;          /* -p; 0 when spawning */
	char **command;     /* NULL with -p */
	bool no_seccomp;
	bool no_fastpath;   /* --no-fastpath */
	bool faults;        /* --faults / --page-faults */
	bool ebpf;          /* --ebpf */
	uint64_t sched_threshold_ns; /* --sched-threshold US; 0: default */
	const char *sched_threshold_arg; /* as given, for the header */
};

/* Usage lines for these options, for a subcommand's --help. */
#define TRACE_OPTS_USAGE \
	"  -p, --pid PID      attach to a running process (all its threads); Ctrl-C\n" \
	"                     detaches and leaves it running\n" \
	"      --no-seccomp   stop the command on every syscall, not only on decoded ones\n" \
	"      --no-fastpath  record read/write/send/recv, mmap/brk/mprotect and the\n" \
	"                     results of opens and execs through ptrace, even when\n" \
	"                     eBPF can record them in the kernel (the default as root)\n" \
	"      --faults       track page faults (alias --page-faults)\n" \
	"      --ebpf         track scheduler and block I/O latency with eBPF\n" \
	"      --sched-threshold US  with --ebpf: scheduler delays of at least US\n" \
	"                     microseconds become events (default 10; all go into\n" \
	"                     the histograms)\n"

/*
 * If argv[*i] is one of the options above, consumes it (and its value,
 * advancing *i) and returns 1; returns 0 when it is not one, -1 on a bad
 * value (a message prefixed with `cmd` is printed).
 */
int trace_opts_take(struct trace_opts *t, int argc, char **argv, int *i, const char *cmd);

/*
 * argv[i..] is the command (a leading "--" is skipped). Checks that exactly
 * one of a command and -p was given. Returns 0, or -1 after a message.
 */
int trace_opts_finish(struct trace_opts *t, int argc, char **argv, int i, const char *cmd);

/*
 * Copies the options into `to` (argv, pid, no_seccomp, no_fastpath, faults, ebpf,
 * sched threshold).
 */
void trace_opts_apply(const struct trace_opts *t, struct tracer_opts *to, const char *cmd);

/* Appends header options (name=value) for `t`; returns the new count. */
unsigned trace_opts_header(const struct trace_opts *t, struct rec_option *opts,
			   unsigned n, unsigned max);

/* "compendium" followed by argv[0..argc): compendium's own command line for
 * the header. calloc'd; the caller frees the array (not the strings). */
const char **trace_opts_self_argv(int argc, char **argv);

/* A positive pid that fits pid_t; 0 or -EINVAL. */
int trace_opts_parse_pid(const char *s, pid_t *pid);

/*
 * The value of option argv[*i] when it is `shortopt` ("-o", may be NULL) or
 * `longopt` ("--output"), given as "-o V", "-oV", "--output V" or
 * "--output=V". Returns 1 and sets *val (advancing *i), 0 when argv[*i] is
 * another option, -1 when the value is missing (message printed).
 */
int trace_opts_value(int argc, char **argv, int *i, const char *shortopt,
		     const char *longopt, const char **val, const char *cmd);

#endif
