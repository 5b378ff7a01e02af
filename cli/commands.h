/*
 * commands.h - one entry point per subcommand, git-style: each lives in its
 * own cli/cmd_NAME.c, parses its own options and wires a source to its sinks.
 * argv[0] is the subcommand's name. The return value is the exit status.
 */
#ifndef COMPENDIUM_COMMANDS_H
#define COMPENDIUM_COMMANDS_H

#include <stdio.h>

int cmd_record(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
/* Live mode (`compendium [OPTIONS] -- COMMAND`, `-p PID`): main calls it
 * when argv[1] is an option rather than a subcommand; argv[0] is
 * "compendium". */
int cmd_live(int argc, char **argv);
/* Live mode's usage (main's --help starts with it). */
void cmd_live_usage(FILE *f);

/* Exit statuses shared by the subcommands. */
#define EXIT_USAGE 2 /* bad command line, unreadable input */
#define EXIT_TRUNCATED 3 /* show: recording truncated, events before the cut shown */
#define EXIT_CORRUPT 4   /* show: corrupt frames skipped */

#define COMPENDIUM_VERSION "0.1.0"

#endif
