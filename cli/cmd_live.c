/*
 * cmd_live.c - live mode, the seed tool's behaviour:
 *
 *   compendium [OPTIONS] -- COMMAND [ARGS...]
 *   compendium [OPTIONS] -p PID
 *
 * Wires the tracer to a tee of the terminal printer (stderr, so the traced
 * program's stdout stays clean), an optional second printer (-o FILE, no
 * colour), the summary model and, with -w FILE, the recording writer. The
 * FINAL block follows when the trace ends. The output is the same as
 * `compendium record` + `compendium show` of the same run.
 *
 * Exit status: the traced command's (128+signal when killed), 127/126 when
 * it cannot be found/run, 0 after -p detached, 1 on a tracer or recording
 * write error, 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "recording.h"
#include "record/tracer.h"
#include "replay/final.h"
#include "replay/outbuf.h"
#include "replay/printer.h"
#include "replay/summary.h"
#include "report/report.h"
#include "trace_opts.h"

#define LIVE_MAX_OPTIONS 16
#define LIVE_DEFAULT_REPORT "report.html"

struct live_args {
	struct trace_opts t;
	bool verbose, all;
	const char *output;   /* -o: text copy */
	const char *record;   /* -w / --record */
	const char *report;   /* --report [FILE] */
	unsigned long max_report_events;
};

void cmd_live_usage(FILE *f)
{
	fprintf(f,
		"usage: compendium [OPTIONS] -- COMMAND [ARGS...]\n"
		"       compendium [OPTIONS] -p PID\n"
		"       compendium <command> [options]   (record, show, report, diff)\n"
		"\n"
		"Traces a command (or a running process) and prints what it does on stderr:\n"
		"files, network, memory, I/O, processes; then a FINAL summary.\n"
		"\n"
		TRACE_OPTS_USAGE
		"  -v, --verbose      show every decoded syscall with its result; print\n"
		"                     libbpf's warnings when an eBPF source cannot load\n"
		"      --all          do not hide /proc, /sys, /dev, shared libraries, localhost\n"
		"  -o, --output FILE  also write the output to FILE (without colour)\n"
		"  -w, --record FILE  also save the recording to FILE (see 'compendium show')\n"
		"      --report [FILE]  write an HTML report (default " LIVE_DEFAULT_REPORT ")\n"
		"      --max-report-events N  events kept in the report (default 75000)\n"
		"  -h, --help         this help\n"
		"      --version      print the version\n"
		"\n"
		"Exit status: the command's (128+signal when it was killed).\n");
}

/* Returns 0, -1 for "exit 0" (help, version), or an exit status. */
static int live_parse(int argc, char **argv, struct live_args *a)
{
	const char *cmd = "compendium";
	int i;
	a->max_report_events = REPORT_DEFAULT_MAX_EVENTS;
	for (i = 1; i < argc; i++) {
		const char *s = argv[i], *v;
		int r;
		if (!strcmp(s, "--") || s[0] != '-' || !s[1])
			break;
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			cmd_live_usage(stdout);
			return -1;
		}
		if (!strcmp(s, "--version")) {
			printf("compendium %s\n", COMPENDIUM_VERSION);
			return -1;
		}
		if (!strcmp(s, "-v") || !strcmp(s, "--verbose")) {
			a->verbose = true;
			continue;
		}
		if (!strcmp(s, "--all")) {
			a->all = true;
			continue;
		}
		if (!strcmp(s, "--report")) {
			/* optional value: taken only when it looks like a file name,
			 * so "--report -- cmd" and "--report ls" keep working */
			const char *n = i + 1 < argc ? argv[i + 1] : NULL;
			if (n && strlen(n) > 5 && !strcmp(n + strlen(n) - 5, ".html")) {
				a->report = n;
				i++;
			} else {
				a->report = LIVE_DEFAULT_REPORT;
			}
			continue;
		}
		if ((r = trace_opts_value(argc, argv, &i, NULL, "--report", &v, cmd)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			a->report = v;
			continue;
		}
		if ((r = trace_opts_value(argc, argv, &i, NULL, "--max-report-events", &v, cmd)) != 0) {
			char *end;
			if (r < 0)
				return EXIT_USAGE;
			errno = 0;
			a->max_report_events = strtoul(v, &end, 10);
			if (errno || !*v || *end || a->max_report_events == 0) {
				fprintf(stderr, "%s: --max-report-events needs a positive number\n", cmd);
				return EXIT_USAGE;
			}
			continue;
		}
		if ((r = trace_opts_value(argc, argv, &i, "-o", "--output", &v, cmd)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			a->output = v;
			continue;
		}
		if ((r = trace_opts_value(argc, argv, &i, "-w", "--record", &v, cmd)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			a->record = v;
			continue;
		}
		r = trace_opts_take(&a->t, argc, argv, &i, cmd);
		if (r < 0)
			return EXIT_USAGE;
		if (r == 0) {
			fprintf(stderr, "%s: unknown option '%s' (see compendium --help)\n", cmd, s);
			return EXIT_USAGE;
		}
	}
	if (trace_opts_finish(&a->t, argc, argv, i, cmd) < 0) {
		cmd_live_usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

static unsigned live_header_options(const struct live_args *a, struct rec_option *o)
{
	unsigned n = 0;
	if (a->verbose)
		o[n++] = (struct rec_option){ "verbose", "true" };
	if (a->all)
		o[n++] = (struct rec_option){ "all", "true" };
	if (a->output)
		o[n++] = (struct rec_option){ "output", a->output };
	if (a->record)
		o[n++] = (struct rec_option){ "record", a->record };
	return trace_opts_header(&a->t, o, n, LIVE_MAX_OPTIONS);
}

/* Notes that the trace began (the header came), so FINAL is worth printing. */
struct live_probe {
	bool traced;
};

static void probe_header(void *ctx, const struct rec_header *h)
{
	(void)h;
	((struct live_probe *)ctx)->traced = true;
}

int cmd_live(int argc, char **argv)
{
	const char *cmd = "compendium";
	struct live_args a = { 0 };
	int rc = live_parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	outbuf_ignore_sigpipe();
	struct outbuf err_out, file_out;
	int file_fd = -1;
	if (a.output) {
		file_fd = open(a.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (file_fd < 0) {
			fprintf(stderr, "%s: cannot create %s: %s\n", cmd, a.output, strerror(errno));
			return EXIT_USAGE;
		}
	}
	struct recording_writer *w = NULL;
	if (a.record) {
		w = recording_writer_open(a.record, true, NULL);
		if (!w) {
			fprintf(stderr, "%s: cannot create %s: %s\n", cmd, a.record, strerror(errno));
			if (file_fd >= 0)
				close(file_fd);
			return EXIT_USAGE;
		}
	}
	FILE *report_file = NULL;
	struct report *report = NULL;
	if (a.report) {
		report_file = fopen(a.report, "we");
		if (!report_file || !(report = report_new(report_file, a.max_report_events))) {
			fprintf(stderr, "%s: cannot create %s: %s\n", cmd, a.report, strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (outbuf_init_fd(&err_out, STDERR_FILENO) < 0 ||
	    (file_fd >= 0 && outbuf_init_fd(&file_out, file_fd) < 0))
		return 1;
	err_out.line_flush = true; /* live: each line as it happens */

	struct printer_opts po = { .verbose = a.verbose, .all = a.all,
				   .color = printer_want_color(STDERR_FILENO) };
	struct printer_opts fpo = po;
	fpo.color = false;
	struct printer *pr = printer_new(&err_out, &po);
	struct printer *fpr = file_fd >= 0 ? printer_new(&file_out, &fpo) : NULL;
	struct summary *sum = summary_new();
	if (!pr || !sum || (file_fd >= 0 && !fpr))
		return 1;

	/* the writer first: the recording completes even if printing fails */
	struct live_probe probe = { 0 };
	struct event_sink sinks[6];
	unsigned n = 0;
	if (w)
		sinks[n++] = recording_writer_sink(w);
	sinks[n++] = (struct event_sink){ .ctx = &probe, .header = probe_header };
	sinks[n++] = printer_sink(pr);
	if (fpr)
		sinks[n++] = printer_sink(fpr);
	sinks[n++] = summary_sink(sum);
	if (report)
		sinks[n++] = report_sink(report);
	struct event_tee tee = { sinks, n };
	struct event_sink sink = event_tee_sink(&tee);

	struct rec_option hopts[LIVE_MAX_OPTIONS];
	const char **self = trace_opts_self_argv(argc - 1, argv + 1);
	struct tracer_opts to = { 0 };
	trace_opts_apply(&a.t, &to, cmd);
	to.verbose_raw = a.verbose;
	to.tool_version = COMPENDIUM_VERSION;
	to.recorder_argv = self;
	to.recorder_argc = argc;
	to.options = hopts;
	to.noptions = live_header_options(&a, hopts);

	rc = tracer_run(&to, &sink);

	if (probe.traced) {
		struct final_opts fo = { .all = a.all, .color = po.color };
		final_print(&err_out, sum, &fo);
		if (fpr) {
			fo.color = false;
			final_print(&file_out, sum, &fo);
		}
	}
	printer_free(pr);
	printer_free(fpr);
	summary_free(sum);
	outbuf_free(&err_out);
	if (file_fd >= 0) {
		if (outbuf_free(&file_out) < 0)
			fprintf(stderr, "%s: writing %s failed\n", cmd, a.output);
		close(file_fd);
	}
	if (w) {
		int wrc = recording_writer_close(w, NULL);
		if (!probe.traced)
			unlink(a.record);
		else if (wrc < 0) {
			fprintf(stderr, "%s: writing %s failed: %s\n", cmd, a.record, strerror(-wrc));
			if (rc == 0)
				rc = 1;
		}
	}
	if (report) {
		int rrc = probe.traced ? report_finish(report) : (report_free(report), 0);
		fclose(report_file);
		if (!probe.traced)
			unlink(a.report);
		else if (rrc < 0)
			fprintf(stderr, "%s: writing %s failed: %s\n", cmd, a.report, strerror(-rrc));
		else
			fprintf(stderr, "%s: report written to %s\n", cmd, a.report);
	}
	free(self);
	return rc;
}
