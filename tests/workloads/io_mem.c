/*
 * io_mem.c - a memory-map sequence with a known outcome, and brk growth.
 *
 * usage: io_mem FILE   (FILE holds at least 8192 bytes)
 * Prints "base ADDR" (the first mapping) and "moved ADDR" (where mremap put it).
 *   A = mmap 16 pages rw anon              -> 1 region, 16 pages
 *   munmap A+4..A+8 (4 pages)              -> 2 regions, 12 pages
 *   mprotect A+1 (1 page) read-only        -> 4 regions, 12 pages
 *   mremap A+8 (8 pages) -> 12 pages, MAYMOVE|FIXED to A+64 pages
 *                                          -> A+64: 12 pages; total 16 pages
 *   mmap MAP_FIXED over A+2 (1 page) rw anon: overlays inside the head part
 *   mmap FILE 2 pages read-only shared      -> file mapping with path
 *   munmap FILE mapping
 *   brk: +1 MiB then +64 KiB then -64 KiB
 * Final (of these mappings): regions A..A+1 rw, A+1 r, A+2 rw(fixed), A+3 rw
 * (A+2 and A+3 merge in the kernel), A+64..A+76 rw.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096ul

int main(int argc, char **argv)
{
	if (argc != 2)
		return 1;
	/* reserve 80 pages so the MAP_FIXED targets below are ours */
	char *res = mmap(NULL, 80 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED || munmap(res, 80 * PG))
		return 1;
	char *a = mmap(res, 16 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (a == MAP_FAILED)
		return 1;
	printf("base %lu\n", (unsigned long)(uintptr_t)a);
	if (munmap(a + 4 * PG, 4 * PG))
		return 2;
	if (mprotect(a + PG, PG, PROT_READ))
		return 3;
	char *m = mremap(a + 8 * PG, 8 * PG, 12 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, a + 64 * PG);
	if (m != a + 64 * PG)
		return 4;
	printf("moved %lu\n", (unsigned long)(uintptr_t)m);
	if (mmap(a + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != a + 2 * PG)
		return 5;
	int fd = open(argv[1], O_RDONLY);
	char *f = fd < 0 ? MAP_FAILED : mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED)
		return 6;
	if (munmap(f, 2 * PG))
		return 7;
	close(fd);
	uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t b1 = (uintptr_t)syscall(SYS_brk, b0 + (1ul << 20));
	uintptr_t b2 = (uintptr_t)syscall(SYS_brk, b1 + 65536);
	uintptr_t b3 = (uintptr_t)syscall(SYS_brk, b2 - 65536);
	printf("brk %lu %lu %lu %lu\n", (unsigned long)b0, (unsigned long)b1, (unsigned long)b2,
	       (unsigned long)b3);
	fflush(stdout);
	return b1 == b0 + (1ul << 20) && b3 == b1 ? 0 : 8;
}
