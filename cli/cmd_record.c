/* cmd_record.c - placeholder until the record subcommand lands. */
#include <stdio.h>
#include "commands.h"
int cmd_record(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "compendium: record is not built yet\n");
	return EXIT_USAGE;
}
