/*
 * cmd_record.c - `compendium record`: trace a command or a process into a
 * recording file. Wires the tracer (record/tracer.h) to the recording writer
 * (format/recording.h) and nothing else.
 *
 *   compendium record [-o FILE] [--force] [-v] [TRACE OPTIONS] -- COMMAND [ARGS...]
 *   compendium record [-o FILE] [--force] [-v] [TRACE OPTIONS] -p PID
 * (TRACE OPTIONS, shared with live mode, are parsed by trace_opts.c.)
 *
 * Default output file: NAME-YYYYmmdd-HHMMSS.cmp in the current directory,
 * NAME being the command's base name (or "pidPID" with -p) and the time UTC,
 * so that runs never overwrite one another and sort by time; a -2, -3, ...
 * suffix is added when two runs start in the same second. The name is
 * printed on stderr at the end. An existing file is never overwritten
 * unless --force. The writer is opened before anything is traced, so a bad
 * output path fails early.
 *
 * Exit status: the traced command's (128+signal when killed), 127/126 when
 * it cannot be found/run, 0 after -p detached, 1 on a tracer or write error,
 * 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "trace_opts.h"
#include "recording.h"
#include "record/tracer.h"

#define RECORD_MAX_OPTIONS 16
#define RECORD_NAME_TRIES 100

struct record_args {
	struct trace_opts t;  /* -p, --no-seccomp, --faults, --ebpf, the command */
	const char *output;   /* NULL: default name */
	bool force, verbose;
};

static void record_usage(FILE *out)
{
	fprintf(out,
		"usage: compendium record [-o FILE] [--force] [OPTIONS] -- COMMAND [ARGS...]\n"
		"       compendium record [-o FILE] [--force] [OPTIONS] -p PID\n"
		"\n"
		"  -o, --output FILE  write the recording to FILE ('-': stdout); default\n"
		"                     NAME-YYYYmmdd-HHMMSS.cmp (NAME: the command, or pidPID)\n"
		"      --force        overwrite FILE if it exists\n"
		"  -v, --verbose      also record syscalls that are not decoded (with -p or\n"
		"                     --no-seccomp, where every syscall stops); print libbpf's\n"
		"                     warnings when an eBPF source cannot load\n"
		TRACE_OPTS_USAGE
		"\n"
		"The seccomp filter sets no_new_privs when compendium lacks CAP_SYS_ADMIN:\n"
		"set-uid programs then run without their privileges; use --no-seccomp.\n");
}

/* Returns 0, or an exit status (help printed: -1 means exit 0). */
static int record_parse(int argc, char **argv, struct record_args *a)
{
	const char *cmd = "compendium record";
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i], *v;
		int r;

		if (!strcmp(s, "--") || s[0] != '-')
			break; /* the command starts here */
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			record_usage(stdout);
			return -1;
		}
		if (!strcmp(s, "--force")) {
			a->force = true;
			continue;
		}
		if (!strcmp(s, "-v") || !strcmp(s, "--verbose")) {
			a->verbose = true;
			continue;
		}
		if ((r = trace_opts_value(argc, argv, &i, "-o", "--output", &v, cmd)) > 0) {
			a->output = v;
			continue;
		}
		if (r == 0)
			r = trace_opts_take(&a->t, argc, argv, &i, cmd);
		if (r == 0)
			fprintf(stderr, "%s: unknown option '%s'\n", cmd, s);
		if (r <= 0) {
			record_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (trace_opts_finish(&a->t, argc, argv, i, cmd) < 0) {
		record_usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* NAME-YYYYmmdd-HHMMSS[-N].cmp with NAME made of safe characters only. */
static void record_default_name(const struct record_args *a, int attempt, char *out, size_t cap)
{
	char name[64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (a->t.command) {
		const char *base = strrchr(a->t.command[0], '/');
		size_t n = 0;

		base = base ? base + 1 : a->t.command[0];
		for (; *base && n < sizeof(name) - 1; base++)
			name[n++] = (isalnum((unsigned char)*base) || strchr("._+-", *base)) ? *base : '_';
		name[n] = '\0';
		if (!n || name[0] == '.')
			snprintf(name, sizeof(name), "compendium");
	} else {
		snprintf(name, sizeof(name), "pid%d", (int)a->t.pid);
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (attempt == 0)
		snprintf(out, cap, "%s-%s.cmp", name, stamp);
	else
		snprintf(out, cap, "%s-%s-%d.cmp", name, stamp, attempt + 1);
}

/*
 * Opens the writer with every signal blocked, so that its thread inherits
 * that mask: the tracer takes SIGINT/SIGTERM/SIGHUP/SIGCHLD synchronously in
 * this thread, and another thread must not receive them (see tracer.h).
 */
static struct recording_writer *record_writer_open(const char *path, bool force)
{
	sigset_t all, old;
	struct recording_writer *w;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	w = recording_writer_open(path, force, NULL);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return w;
}

static struct recording_writer *record_open(const struct record_args *a, char *path, size_t cap)
{
	struct recording_writer *w;

	if (a->output) {
		snprintf(path, cap, "%s", a->output);
		w = record_writer_open(path, a->force);
		if (!w && errno == EEXIST)
			fprintf(stderr, "compendium: %s already exists: use --force to overwrite it, "
				"or -o to choose another name\n", path);
		else if (!w)
			fprintf(stderr, "compendium: cannot create %s: %s\n", path, strerror(errno));
		return w;
	}
	for (int attempt = 0; attempt < RECORD_NAME_TRIES; attempt++) {
		record_default_name(a, attempt, path, cap);
		w = record_writer_open(path, a->force);
		if (w || errno != EEXIST)
			break;
	}
	if (!w)
		fprintf(stderr, "compendium: cannot create %s: %s\n", path, strerror(errno));
	return w;
}

/* The writer's sink, noting whether anything was traced at all. */
struct record_sink {
	struct event_sink writer;
	bool traced;
};

static void record_sink_header(void *ctx, const struct rec_header *h)
{
	struct record_sink *s = ctx;

	s->traced = true;
	s->writer.header(s->writer.ctx, h);
}

static void record_sink_event(void *ctx, const struct event *ev)
{
	struct record_sink *s = ctx;

	s->writer.event(s->writer.ctx, ev);
}

static void record_sink_trailer(void *ctx, const struct rec_trailer *t)
{
	struct record_sink *s = ctx;

	s->writer.trailer(s->writer.ctx, t);
}

static unsigned record_options(const struct record_args *a, const char *path,
			       struct rec_option *opts)
{
	unsigned n = 0;

	opts[n++] = (struct rec_option){ "output", path };
	if (a->force)
		opts[n++] = (struct rec_option){ "force", "true" };
	if (a->verbose)
		opts[n++] = (struct rec_option){ "verbose", "true" };
	return trace_opts_header(&a->t, opts, n, RECORD_MAX_OPTIONS);
}

/* Closes the writer; a recording of nothing (command not found) is removed. */
static int record_finish(struct recording_writer *w, const struct record_sink *s,
			 const char *path, bool announce)
{
	uint64_t events = recording_writer_events(w);
	int rc = recording_writer_close(w, NULL);

	if (!s->traced) {
		if (strcmp(path, "-"))
			unlink(path);
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "compendium: writing %s failed: %s\n", path, strerror(-rc));
		return -1;
	}
	if (announce)
		fprintf(stderr, "compendium: recorded %llu events to %s\n",
			(unsigned long long)events, path);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_args a = { 0 };
	struct rec_option opts[RECORD_MAX_OPTIONS];
	char path[PATH_MAX];
	const char **self;
	struct recording_writer *w;
	struct record_sink rs = { 0 };
	struct event_sink sink;
	struct tracer_opts to = { 0 };
	int rc = record_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? 0 : rc;
	self = trace_opts_self_argv(argc, argv);
	if (!self)
		return 1;
	w = record_open(&a, path, sizeof(path));
	if (!w) {
		free(self);
		return 1;
	}
	rs.writer = recording_writer_sink(w);
	sink = (struct event_sink){ .ctx = &rs, .header = record_sink_header,
				    .event = record_sink_event, .trailer = record_sink_trailer };
	trace_opts_apply(&a.t, &to, "compendium record");
	to.verbose_raw = a.verbose;
	to.tool_version = COMPENDIUM_VERSION;
	to.recorder_argv = self;
	to.recorder_argc = argc + 1;
	to.options = opts;
	to.noptions = record_options(&a, path, opts);
	rc = tracer_run(&to, &sink);
	if (record_finish(w, &rs, path, !a.output) != 0 && rc == 0)
		rc = 1;
	free(self);
	return rc;
}
