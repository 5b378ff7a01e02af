/*
 * cmd_show.c - `compendium show`: a recording read back into the same sinks
 * as live mode (printer + summary, then the FINAL block), or into the JSON
 * sink with --json.
 *
 * Exit status: 0 the recording was read completely; 3 it is truncated (the
 * recorder died or the file was cut: every event before the cut is still
 * printed); 4 corrupt frames were skipped; 2 it could not be read at all
 * (not a recording, a newer major version, I/O error) or bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "recording.h"
#include "replay/final.h"
#include "replay/json.h"
#include "replay/outbuf.h"
#include "replay/printer.h"
#include "replay/summary.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: compendium show [OPTIONS] FILE|-\n"
		"\n"
		"Prints a recording's events and its FINAL summary, as live tracing does.\n"
		"\n"
		"  --json          one JSON object per line (header, events, trailer, end)\n"
		"  -v, --verbose   every event, with its syscall, result and duration\n"
		"  --all           no noise filter (/proc, /sys, /dev, shared libraries, localhost)\n"
		"  --pid PID       only the events of this process or thread\n"
		"  --only LIST     only these categories: file,net,mem,io,proc,fault,sched,block\n"
		"  -o, --output FILE  write to FILE instead of standard output\n"
		"  -h, --help      this help\n"
		"\n"
		"Exit status: 0 complete, 3 truncated, 4 corrupt frames skipped, 2 unreadable.\n");
}

static void warn_line(void *ctx, const char *msg)
{
	const char *path = ctx;
	fprintf(stderr, "compendium: %s: %s\n", path, msg);
}

int cmd_show(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_ALL, OPT_PID, OPT_ONLY };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false;
	struct printer_opts po = { 0 };
	const char *out_path = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vo:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case 'v': po.verbose = true; break;
		case OPT_ALL: po.all = true; break;
		case OPT_PID: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 0x7fffffff) {
				fprintf(stderr, "compendium show: --pid needs a process id, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			po.has_pid = true;
			po.pid = (uint32_t)v;
			break;
		}
		case OPT_ONLY: {
			char bad[64];
			if (printer_parse_only(optarg, &po.only, bad) < 0) {
				fprintf(stderr, "compendium show: unknown category '%s' in --only "
					"(use file,net,mem,io,proc,fault,sched,block)\n", bad);
				return EXIT_USAGE;
			}
			break;
		}
		case 'o': out_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "compendium show: expected one recording file (or - for stdin)\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *path = argv[optind];

	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!in) {
		fprintf(stderr, "compendium show: cannot open %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	int out_fd = STDOUT_FILENO;
	if (out_path) {
		out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			fprintf(stderr, "compendium show: cannot create %s: %s\n", out_path,
				strerror(errno));
			if (in != stdin)
				fclose(in);
			return EXIT_USAGE;
		}
	}
	outbuf_ignore_sigpipe();
	struct outbuf ob;
	if (outbuf_init_fd(&ob, out_fd) < 0) {
		fprintf(stderr, "compendium show: out of memory\n");
		return EXIT_USAGE;
	}

	struct recording_read_result res = { 0 };
	enum recording_status st;
	if (json) {
		struct json_sink js = { .out = &ob };
		struct event_sink sink = json_sink(&js);
		st = recording_read(in, &sink, &res, warn_line, (void *)path);
	} else {
		po.color = !out_path && printer_want_color(out_fd);
		struct printer *pr = printer_new(&ob, &po);
		struct summary *sum = summary_new();
		if (!pr || !sum) {
			fprintf(stderr, "compendium show: out of memory\n");
			return EXIT_USAGE;
		}
		struct event_sink sinks[2] = { printer_sink(pr), summary_sink(sum) };
		struct event_tee tee = { sinks, 2 };
		struct event_sink sink = event_tee_sink(&tee);
		st = recording_read(in, &sink, &res, warn_line, (void *)path);
		if (st != RECORDING_ERROR) {
			struct final_opts fo = { .all = po.all, .color = po.color };
			final_print(&ob, sum, &fo);
		}
		printer_free(pr);
		summary_free(sum);
	}
	outbuf_free(&ob);
	if (out_path)
		close(out_fd);
	if (in != stdin)
		fclose(in);

	if (st == RECORDING_ERROR) /* other problems went through warn_line already */
		fprintf(stderr, "compendium: %s: %s\n", path, res.message);
	switch (st) {
	case RECORDING_OK: return 0;
	case RECORDING_TRUNCATED: return EXIT_TRUNCATED;
	case RECORDING_CORRUPT: return EXIT_CORRUPT;
	default: return EXIT_USAGE;
	}
}
