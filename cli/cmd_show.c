/* cmd_show.c - placeholder until the show subcommand lands. */
#include <stdio.h>
#include "commands.h"
int cmd_show(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "compendium: show is not built yet\n");
	return EXIT_USAGE;
}
