/*
 * trace_opts.c - tracer options shared by live mode and record.
 */
#define _GNU_SOURCE
#include "trace_opts.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int trace_opts_parse_pid(const char *s, pid_t *pid)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

int trace_opts_value(int argc, char **argv, int *i, const char *shortopt,
		     const char *longopt, const char **val, const char *cmd)
{
	const char *s = argv[*i];
	size_t ll = longopt ? strlen(longopt) : 0;
	if (longopt && !strncmp(s, longopt, ll) && s[ll] == '=') {
		*val = s + ll + 1;
		return 1;
	}
	bool exact = (shortopt && !strcmp(s, shortopt)) || (longopt && !strcmp(s, longopt));
	if (!exact && shortopt && !strncmp(s, shortopt, 2) && s[2]) {
		*val = s + 2;
		return 1;
	}
	if (!exact)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", cmd, s);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

int trace_opts_take(struct trace_opts *t, int argc, char **argv, int *i, const char *cmd)
{
	const char *s = argv[*i], *v;
	int r = trace_opts_value(argc, argv, i, "-p", "--pid", &v, cmd);
	if (r < 0)
		return -1;
	if (r > 0) {
		if (trace_opts_parse_pid(v, &t->pid) != 0) {
			fprintf(stderr, "%s: invalid pid '%s'\n", cmd, v);
			return -1;
		}
		return 1;
	}
	r = trace_opts_value(argc, argv, i, NULL, "--sched-threshold", &v, cmd);
	if (r < 0)
		return -1;
	if (r > 0) {
		char *end;
		unsigned long long us = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end || us > 1000000000ull) {
			fprintf(stderr, "%s: invalid --sched-threshold '%s' (microseconds)\n", cmd, v);
			return -1;
		}
		t->sched_threshold_ns = us ? us * 1000 : 1; /* 0 us: every delay */
		t->sched_threshold_arg = v;
		return 1;
	}
	if (!strcmp(s, "--no-seccomp"))
		t->no_seccomp = true;
	else if (!strcmp(s, "--no-fastpath"))
		t->no_fastpath = true;
	else if (!strcmp(s, "--faults") || !strcmp(s, "--page-faults"))
		t->faults = true;
	else if (!strcmp(s, "--ebpf"))
		t->ebpf = true;
	else
		return 0;
	return 1;
}

int trace_opts_finish(struct trace_opts *t, int argc, char **argv, int i, const char *cmd)
{
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	t->command = i < argc ? argv + i : NULL;
	if (!t->command == !t->pid) {
		fprintf(stderr, "%s: give either a command (after --) or -p PID\n", cmd);
		return -1;
	}
	return 0;
}

void trace_opts_apply(const struct trace_opts *t, struct tracer_opts *to, const char *cmd)
{
	to->argv = t->command;
	to->pid = t->command ? 0 : t->pid;
	to->no_seccomp = t->no_seccomp;
	to->no_fastpath = t->no_fastpath;
	to->faults = t->faults;
	to->ebpf = t->ebpf;
	to->sched_threshold_ns = t->sched_threshold_ns;
	(void)cmd;
}

unsigned trace_opts_header(const struct trace_opts *t, struct rec_option *opts,
			   unsigned n, unsigned max)
{
	if (t->no_seccomp && n < max)
		opts[n++] = (struct rec_option){ "no-seccomp", "true" };
	if (t->no_fastpath && n < max)
		opts[n++] = (struct rec_option){ "no-fastpath", "true" };
	if (t->faults && n < max)
		opts[n++] = (struct rec_option){ "faults", "true" };
	if (t->ebpf && n < max)
		opts[n++] = (struct rec_option){ "ebpf", "true" };
	if (t->sched_threshold_ns && n < max)
		opts[n++] = (struct rec_option){ "sched-threshold-us", t->sched_threshold_arg };
	return n;
}

const char **trace_opts_self_argv(int argc, char **argv)
{
	const char **self = calloc((size_t)argc + 2, sizeof(*self));
	if (!self)
		return NULL;
	self[0] = "compendium";
	for (int i = 0; i < argc; i++)
		self[i + 1] = argv[i];
	return self;
}
