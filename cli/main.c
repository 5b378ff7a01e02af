/*
 * main.c - compendium's entry: maps a subcommand name to its cmd_NAME().
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "record", cmd_record, "trace a command or a pid into a recording file" },
	{ "show", cmd_show, "print a recording's events and summary (--json: one object per line)" },
	{ "report", cmd_report, "write a recording as a self-contained interactive HTML report" },
	{ "diff", cmd_diff, "compare two recordings (exit 0 equal, 1 different, 2 error)" },
};

static void usage(FILE *out)
{
	cmd_live_usage(out);
	fprintf(out, "\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'compendium <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("compendium %s\n", COMPENDIUM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return cmd_live(argc, argv);
	fprintf(stderr, "compendium: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
