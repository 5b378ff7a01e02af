/*
 * list_syscalls.c - prints the syscalls compendium decodes (record/decode.h's
 * table, the one the seccomp filter is built from), comma-separated, for
 * `strace -e trace=...` in the benchmark.
 */
#include <stdio.h>

#include "event.h"
#include "record/decode.h"

int main(void)
{
	for (unsigned i = 0; i < decode_table_len; i++)
		printf("%s%s", i ? "," : "", event_syscall_name(decode_table[i].nr));
	printf("\n");
	return 0;
}
