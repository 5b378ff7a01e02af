/*
 * cmd_diff.c - `compendium diff [OPTIONS] A B`: reads two recordings into
 * the diff model (replay/diff.h), compares them, prints the report.
 *
 * Exit status, like diff(1): 0 the recordings are equal (no difference
 * above the thresholds), 1 they differ, 2 an error (bad usage, a file that
 * is not a readable recording). A truncated or corrupt recording is not an
 * error: it is said so in the report and compared as far as it goes.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "replay/diff.h"
#include "replay/outbuf.h"
#include "replay/printer.h"

#define EXIT_DIFFER 1

static void usage(FILE *f)
{
	fprintf(f,
		"usage: compendium diff [OPTIONS] A B\n"
		"\n"
		"Compares two recordings: processes (matched by what they ran, not by pid),\n"
		"files, network peers, memory, time, exit status. Pids, addresses, fds,\n"
		"temporary names and ephemeral loopback ports are normalised first.\n"
		"\n"
		"  --json                one JSON object instead of the report\n"
		"  --threshold PCT       hide byte and count changes below PCT%% (default %g)\n"
		"  --time-threshold PCT  hide time changes below PCT%% (default %g), and\n"
		"                        always those under %llu ms: durations are noisy\n"
		"  --all                 no noise filter (/proc, /sys, /dev, shared libraries)\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 equal, 1 different, 2 error.\n",
		DIFF_DEFAULT_THRESHOLD, DIFF_DEFAULT_TIME_THRESHOLD,
		(unsigned long long)(DIFF_TIME_FLOOR_NS / 1000000));
}

/* "10", "2.5", "10%" -> percent; -1 when not a finite number >= 0. */
static double parse_pct(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || (*end && strcmp(end, "%") != 0) || !isfinite(v) || v < 0)
		return -1;
	return v;
}

static int parse_args(int argc, char **argv, struct diff_opts *o, bool *json)
{
	enum { OPT_JSON = 256, OPT_THRESHOLD, OPT_TIME_THRESHOLD, OPT_ALL };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "time-threshold", required_argument, NULL, OPT_TIME_THRESHOLD },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: *json = true; break;
		case OPT_ALL: o->all = true; break;
		case OPT_THRESHOLD:
		case OPT_TIME_THRESHOLD: {
			double v = parse_pct(optarg);
			if (v < 0) {
				fprintf(stderr, "compendium diff: %s needs a percentage (e.g. 10), "
					"not '%s'\n", c == OPT_THRESHOLD ? "--threshold"
					: "--time-threshold", optarg);
				return -1;
			}
			*(c == OPT_THRESHOLD ? &o->threshold_pct : &o->time_threshold_pct) = v;
			break;
		}
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 2) {
		fprintf(stderr, "compendium diff: expected two recording files, A and B\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_opts o;
	bool json = false;
	diff_opts_default(&o);
	int p = parse_args(argc, argv, &o, &json);
	if (p)
		return p > 0 ? 0 : EXIT_USAGE;
	const char *pa = argv[optind], *pb = argv[optind + 1];
	if (!strcmp(pa, "-") && !strcmp(pb, "-")) {
		fprintf(stderr, "compendium diff: only one of A and B can be standard input\n");
		return EXIT_USAGE;
	}
	char err[512];
	struct diff_side *a = diff_side_load(pa, err, sizeof(err));
	if (!a) {
		fprintf(stderr, "compendium diff: %s\n", err);
		return EXIT_USAGE;
	}
	struct diff_side *b = diff_side_load(pb, err, sizeof(err));
	if (!b) {
		fprintf(stderr, "compendium diff: %s\n", err);
		diff_side_free(a);
		return EXIT_USAGE;
	}
	struct diff_result r = { 0 };
	int rc = diff_compare(a, b, &o, &r);
	outbuf_ignore_sigpipe();
	struct outbuf ob;
	if (rc < 0 || outbuf_init_fd(&ob, STDOUT_FILENO) < 0) {
		fprintf(stderr, "compendium diff: out of memory\n");
		rc = EXIT_USAGE;
	} else {
		if (json)
			diff_print_json(&ob, a, b, &r);
		else
			diff_print_text(&ob, a, b, &r, printer_want_color(STDOUT_FILENO));
		rc = diff_equal(&r) ? 0 : EXIT_DIFFER;
		if (outbuf_free(&ob) < 0 && rc == 0)
			rc = EXIT_USAGE;
	}
	diff_result_free(&r);
	diff_side_free(a);
	diff_side_free(b);
	return rc;
}
