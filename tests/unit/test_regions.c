/* test_regions.c - the region map: MAP_FIXED overlays, partial unmap splits,
 * mremap moves and grows, mprotect splits, counts and peaks, brk heap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "replay/regions.h"

#define P 4096ull
#define RW 3u
#define R 1u

static void test_map_and_find(void **state)
{
	(void)state;
	struct regions *r = regions_new();
	assert_int_equal(regions_map(r, 0x10000, 3 * P, RW, REGION_ANON, NULL), 0);
	assert_int_equal(regions_map(r, 0x40000, 100, R, REGION_FILE, "/lib/x.so"), 0);
	assert_int_equal(regions_count(r), 2);
	assert_int_equal(regions_mapped_bytes(r), 4 * P); /* 100 bytes -> one page */
	const struct region *g = regions_find(r, 0x40000 + 50);
	assert_non_null(g);
	assert_string_equal(g->path, "/lib/x.so");
	assert_int_equal(g->end, 0x41000);
	assert_null(regions_find(r, 0x13000));
	assert_non_null(regions_find(r, 0x12fff));
	assert_int_equal(regions_map(r, 0x50000, 0, RW, REGION_ANON, NULL), -EINVAL);
	regions_free(r);
}

static void test_map_fixed_overlay(void **state)
{
	(void)state;
	struct regions *r = regions_new();
	regions_map(r, 0x100000, 10 * P, R, REGION_FILE, "/a");
	/* MAP_FIXED anon over pages 3..4: splits /a in two around it */
	regions_map(r, 0x100000 + 3 * P, 2 * P, RW, REGION_ANON, NULL);
	assert_int_equal(regions_count(r), 3);
	assert_int_equal(regions_mapped_bytes(r), 10 * P);
	assert_string_equal(regions_find(r, 0x100000)->path, "/a");
	assert_null(regions_find(r, 0x100000 + 3 * P)->path);
	assert_string_equal(regions_find(r, 0x100000 + 5 * P)->path, "/a");
	/* an overlay covering everything and more replaces all of it */
	regions_map(r, 0x100000 - P, 12 * P, RW, REGION_FILE, "/b");
	assert_int_equal(regions_count(r), 1);
	assert_int_equal(regions_mapped_bytes(r), 12 * P);
	assert_int_equal(regions_peak_bytes(r), 12 * P);
	regions_free(r);
}

static void test_partial_unmap_split(void **state)
{
	(void)state;
	struct regions *r = regions_new();
	regions_map(r, 0x200000, 8 * P, RW, REGION_ANON, NULL);
	regions_unmap(r, 0x200000 + 2 * P, 3 * P); /* middle: split in two */
	assert_int_equal(regions_count(r), 2);
	assert_int_equal(regions_mapped_bytes(r), 5 * P);
	assert_null(regions_find(r, 0x200000 + 2 * P));
	assert_int_equal(regions_find(r, 0x200000)->end, 0x200000 + 2 * P);
	assert_int_equal(regions_find(r, 0x200000 + 5 * P)->start, 0x200000 + 5 * P);
	regions_unmap(r, 0x200000, P);              /* head trim */
	regions_unmap(r, 0x200000 + 7 * P, P);      /* tail trim */
	assert_int_equal(regions_count(r), 2);
	assert_int_equal(regions_mapped_bytes(r), 3 * P);
	regions_unmap(r, 0, UINT64_MAX);            /* wraps: clipped, all gone */
	assert_int_equal(regions_count(r), 0);
	assert_int_equal(regions_mapped_bytes(r), 0);
	assert_int_equal(regions_peak_bytes(r), 8 * P);
	assert_int_equal(regions_peak_count(r), 1);
	regions_free(r);
}

static void test_mprotect_split_and_merge(void **state)
{
	(void)state;
	struct regions *r = regions_new();
	regions_map(r, 0x300000, 4 * P, RW, REGION_ANON, NULL);
	assert_int_equal(regions_protect(r, 0x300000 + P, P, R), 0);
	assert_int_equal(regions_count(r), 3);
	assert_int_equal(regions_find(r, 0x300000 + P)->prot, R);
	assert_int_equal(regions_find(r, 0x300000 + 2 * P)->prot, RW);
	assert_int_equal(regions_mapped_bytes(r), 4 * P);
	assert_int_equal(regions_peak_count(r), 3);
	/* back to RW: the kernel merges the three vmas again */
	regions_protect(r, 0x300000 + P, P, RW);
	assert_int_equal(regions_count(r), 1);
	/* a second adjacent anon map with the same prot merges too */
	regions_map(r, 0x300000 + 4 * P, P, RW, REGION_ANON, NULL);
	assert_int_equal(regions_count(r), 1);
	/* file regions never merge */
	regions_map(r, 0x400000, P, R, REGION_FILE, "/f");
	regions_map(r, 0x401000, P, R, REGION_FILE, "/f");
	assert_int_equal(regions_count(r), 3);
	regions_free(r);
}

static void test_mremap_move_and_grow(void **state)
{
	(void)state;
	struct regions *r = regions_new();
	regions_map(r, 0x500000, 2 * P, R, REGION_FILE, "/data");
	/* grow in place */
	assert_int_equal(regions_remap(r, 0x500000, 2 * P, 0x500000, 4 * P), 0);
	assert_int_equal(regions_count(r), 1);
	assert_int_equal(regions_mapped_bytes(r), 4 * P);
	/* move and grow: old range gone, new range keeps path and prot */
	assert_int_equal(regions_remap(r, 0x500000, 4 * P, 0x900000, 6 * P), 0);
	assert_null(regions_find(r, 0x500000));
	const struct region *g = regions_find(r, 0x900000 + 5 * P);
	assert_non_null(g);
	assert_string_equal(g->path, "/data");
	assert_int_equal(g->prot, R);
	assert_int_equal(regions_mapped_bytes(r), 6 * P);
	/* shrink */
	regions_remap(r, 0x900000, 6 * P, 0x900000, P);
	assert_int_equal(regions_mapped_bytes(r), P);
	assert_int_equal(regions_peak_bytes(r), 6 * P);
	regions_free(r);
}

static void test_brk_heap_and_clone_reset(void **state)
{
	(void)state;
	struct regions *r = regions_new();
	regions_set_brk(r, 0x600000);
	regions_set_brk(r, 0x600000 + 33 * P);
	regions_set_brk(r, 0x600000 + 8 * P);
	assert_int_equal(regions_heap_bytes(r), 8 * P);
	assert_int_equal(regions_peak_heap_bytes(r), 33 * P);
	assert_int_equal(regions_mapped_bytes(r), 0); /* heap excluded */
	const struct region *h = regions_find(r, 0x600000 + 100);
	assert_non_null(h);
	assert_int_equal(h->kind, REGION_HEAP);
	assert_null(regions_find(r, 0x600000 + 8 * P));

	regions_map(r, 0x700000, P, RW, REGION_FILE, "/p");
	struct regions *c = regions_clone(r);
	regions_unmap(r, 0x700000, P);
	assert_int_equal(regions_count(c), 1);
	assert_string_equal(regions_find(c, 0x700000)->path, "/p");
	regions_reset(c);
	assert_int_equal(regions_count(c), 0);
	assert_int_equal(regions_peak_bytes(c), 0);
	assert_int_equal(regions_heap_bytes(c), 0);
	regions_free(c);
	regions_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_and_find),
		cmocka_unit_test(test_map_fixed_overlay),
		cmocka_unit_test(test_partial_unmap_split),
		cmocka_unit_test(test_mprotect_split_and_merge),
		cmocka_unit_test(test_mremap_move_and_grow),
		cmocka_unit_test(test_brk_heap_and_clone_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
