/*
 * proc_stdio.c - stdin, stdout, stderr and exit status pass through.
 *
 * Copies stdin to stdout upper-cased, writes "to stderr" on stderr, and
 * exits with the number of input lines (mod 256).
 */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
	int c, lines = 0;

	while ((c = getchar()) != EOF) {
		if (c == '\n')
			lines++;
		putchar(toupper(c));
	}
	fprintf(stderr, "to stderr\n");
	return lines & 0xff;
}
