/*
 * commands.h - one entry point per subcommand, git-style: each lives in its
 * own cli/cmd_NAME.c, parses its own options and wires a source to its sinks.
 * argv[0] is the subcommand's name. The return value is the exit status.
 */
#ifndef COMPENDIUM_COMMANDS_H
#define COMPENDIUM_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_show(int argc, char **argv);

/* Exit statuses shared by the subcommands. */
#define EXIT_USAGE 2 /* bad command line, unreadable input */
#define EXIT_TRUNCATED 3 /* show: recording truncated, events before the cut shown */
#define EXIT_CORRUPT 4   /* show: corrupt frames skipped */

#define COMPENDIUM_VERSION "0.1.0"

#endif
