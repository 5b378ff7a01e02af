/*
 * cmd_report.c - `compendium report [-o OUT.html] [--max-report-events N] FILE`:
 * a recording read into the HTML report sink (report/report.h).
 *
 * The default output is FILE with ".cmp" replaced by ".html" (FILE.html
 * when it does not end in .cmp; report.html when FILE is "-"). The page is
 * written to OUT.html.tmp and renamed, so a failed run never leaves half a
 * report behind. Exit status as `show`: 0 complete, 3 truncated and 4
 * corrupt (the report is still written, and says so), 2 unreadable or bad
 * usage, 1 the report could not be written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "recording.h"
#include "report/report.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: compendium report [-o OUT.html] [--max-report-events N] FILE|-\n"
		"\n"
		"Writes a recording as one self-contained, offline HTML report: summary cards,\n"
		"a zoomable timeline (one lane per process and thread), a searchable event\n"
		"table with filters, files, connections, memory over time, latency histograms.\n"
		"\n"
		"  -o, --output OUT.html     where to write (default: FILE with .html for .cmp;\n"
		"                            report.html when reading stdin; - for stdout)\n"
		"  --max-report-events N     events kept for the timeline and table (default %u);\n"
		"                            later ones are counted, and the cards count them all\n"
		"  -h, --help                this help\n"
		"\n"
		"Exit status: 0 complete, 3 truncated, 4 corrupt frames skipped (the report is\n"
		"written in both cases), 2 unreadable, 1 the report could not be written.\n",
		REPORT_DEFAULT_MAX_EVENTS);
}

static void warn_line(void *ctx, const char *msg)
{
	fprintf(stderr, "compendium: %s: %s\n", (const char *)ctx, msg);
}

/* FILE.cmp -> FILE.html; anything else -> FILE.html; "-" -> report.html */
static char *default_output(const char *in)
{
	if (!strcmp(in, "-"))
		return strdup("report.html");
	size_t n = strlen(in);
	char *out = malloc(n + 6);
	if (!out)
		return NULL;
	if (n > 4 && !strcmp(in + n - 4, ".cmp"))
		n -= 4;
	memcpy(out, in, n);
	strcpy(out + n, ".html");
	return out;
}

int cmd_report(int argc, char **argv)
{
	enum { OPT_MAX = 256 };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "max-report-events", required_argument, NULL, OPT_MAX },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out_arg = NULL;
	uint64_t max_events = REPORT_DEFAULT_MAX_EVENTS;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_arg = optarg; break;
		case OPT_MAX: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || v == 0 || optarg[0] == '-') {
				fprintf(stderr, "compendium report: --max-report-events needs a positive "
					"number, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			max_events = v;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "compendium report: expected one recording file (or - for stdin)\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	char *out_path = out_arg ? strdup(out_arg) : default_output(path);
	if (!out_path) {
		fprintf(stderr, "compendium report: out of memory\n");
		return EXIT_USAGE;
	}
	bool to_stdout = !strcmp(out_path, "-");

	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!in) {
		fprintf(stderr, "compendium report: cannot open %s: %s\n", path, strerror(errno));
		free(out_path);
		return EXIT_USAGE;
	}
	char *tmp_path = NULL;
	FILE *out = stdout;
	if (!to_stdout) {
		if (asprintf(&tmp_path, "%s.tmp", out_path) < 0 || !(out = fopen(tmp_path, "w"))) {
			fprintf(stderr, "compendium report: cannot create %s: %s\n",
				tmp_path ? tmp_path : out_path, strerror(errno));
			free(tmp_path);
			free(out_path);
			if (in != stdin)
				fclose(in);
			return 1;
		}
	}

	int rc = 0;
	struct report *r = report_new(out, max_events);
	if (!r) {
		fprintf(stderr, "compendium report: out of memory\n");
		rc = 1;
		goto done;
	}
	struct event_sink sink = report_sink(r);
	struct recording_read_result res = { 0 };
	enum recording_status st = recording_read(in, &sink, &res, warn_line, (void *)path);
	if (res.message[0])
		fprintf(stderr, "compendium: %s: %s\n", path, res.message);
	if (st == RECORDING_ERROR) {
		report_free(r);
		rc = EXIT_USAGE;
		goto done;
	}
	uint64_t kept = report_kept(r), dropped = report_dropped(r);
	int err = report_finish(r);
	if (err) {
		fprintf(stderr, "compendium report: cannot write %s: %s\n", out_path, strerror(-err));
		rc = 1;
		goto done;
	}
	rc = st == RECORDING_TRUNCATED ? EXIT_TRUNCATED : st == RECORDING_CORRUPT ? EXIT_CORRUPT : 0;
	if (!to_stdout) {
		if (fclose(out) != 0) {
			out = NULL;
			fprintf(stderr, "compendium report: cannot write %s: %s\n", out_path,
				strerror(errno));
			rc = 1;
			goto done;
		}
		out = NULL;
		if (rename(tmp_path, out_path) != 0) {
			fprintf(stderr, "compendium report: cannot rename %s to %s: %s\n", tmp_path,
				out_path, strerror(errno));
			rc = 1;
			goto done;
		}
		fprintf(stderr, "compendium: report written to %s (%llu events", out_path,
			(unsigned long long)kept);
		if (dropped)
			fprintf(stderr, "; %llu more left out by --max-report-events %llu",
				(unsigned long long)dropped, (unsigned long long)max_events);
		fprintf(stderr, ")\n");
	}
done:
	if (out && !to_stdout) {
		fclose(out);
		unlink(tmp_path);
	}
	free(tmp_path);
	free(out_path);
	if (in != stdin)
		fclose(in);
	return rc;
}
