/*
 * regions.c - the memory map of one traced address space (see regions.h).
 *
 * A sorted array of non-overlapping [start, end) regions. Every operation
 * first cuts the map at the bounds of its range (regions_split_at), so
 * overlays, partial unmaps and mprotect splits all reduce to "remove or
 * change the regions fully inside [start, end)". The heap is kept apart.
 */
#define _GNU_SOURCE
#include "replay/regions.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A mapped file's path is at most PATH_MAX bytes: a longer one (a hostile
 * recording's) is cut, so each region costs little whatever the strings. */
#define REGIONS_MAX_PATH 4096

struct regions {
	struct region *v;
	uint32_t n, cap;
	uint64_t bytes, peak_bytes;
	uint32_t peak_count;
	uint64_t heap_start, brk, peak_heap;
	struct region heap; /* what regions_find returns for heap addresses */
};

struct regions *regions_new(void)
{
	return calloc(1, sizeof(struct regions));
}

static void regions_free_paths(struct regions *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		free((char *)r->v[i].path);
	r->n = 0;
}

void regions_free(struct regions *r)
{
	if (!r)
		return;
	regions_free_paths(r);
	free(r->v);
	free(r);
}

struct regions *regions_clone(const struct regions *r)
{
	struct regions *c = regions_new();

	if (!c)
		return NULL;
	*c = *r;
	c->v = NULL;
	c->n = c->cap = 0;
	if (r->n == 0)
		return c;
	c->v = calloc(r->n, sizeof(*c->v));
	if (!c->v) {
		free(c);
		return NULL;
	}
	c->cap = r->n;
	for (uint32_t i = 0; i < r->n; i++) {
		c->v[i] = r->v[i];
		c->v[i].path = r->v[i].path ? strdup(r->v[i].path) : NULL;
		c->n = i + 1;
		if (r->v[i].path && !c->v[i].path) {
			regions_free(c);
			return NULL;
		}
	}
	return c;
}

void regions_reset(struct regions *r)
{
	regions_free_paths(r);
	r->bytes = r->peak_bytes = 0;
	r->peak_count = 0;
	r->heap_start = r->brk = r->peak_heap = 0;
}

/* [addr, addr+len) rounded out to pages and clipped at the top. */
static bool regions_range(uint64_t addr, uint64_t len, uint64_t *start, uint64_t *end)
{
	if (len == 0)
		return false;
	*start = addr & ~(REGIONS_PAGE - 1);
	*end = regions_page_end(addr, len);
	return *end > *start;
}

static void regions_note_peak(struct regions *r)
{
	if (r->bytes > r->peak_bytes)
		r->peak_bytes = r->bytes;
	if (r->n > r->peak_count)
		r->peak_count = r->n;
}

/* Index of the first region with end > addr (n when none). */
static uint32_t regions_lower(const struct regions *r, uint64_t addr)
{
	uint32_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int regions_reserve(struct regions *r, uint32_t more)
{
	if (r->n + more <= r->cap)
		return 0;
	if (r->n + more > REGIONS_MAX)
		return -ENOMEM;
	uint32_t cap = r->cap ? r->cap * 2 : 16;
	while (cap < r->n + more)
		cap *= 2;
	struct region *v = realloc(r->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->v = v;
	r->cap = cap;
	return 0;
}

/* Inserts a copy of `g` (path duplicated) at index i. */
static int regions_insert_at(struct regions *r, uint32_t i, const struct region *g)
{
	char *path = NULL;
	int rc = regions_reserve(r, 1);

	if (rc < 0)
		return rc;
	if (g->path && !(path = strndup(g->path, REGIONS_MAX_PATH)))
		return -ENOMEM;
	memmove(r->v + i + 1, r->v + i, (r->n - i) * sizeof(*r->v));
	r->v[i] = *g;
	r->v[i].path = path;
	r->n++;
	r->bytes += g->end - g->start;
	return 0;
}

static void regions_remove_at(struct regions *r, uint32_t i, uint32_t count)
{
	for (uint32_t k = i; k < i + count; k++) {
		r->bytes -= r->v[k].end - r->v[k].start;
		free((char *)r->v[k].path);
	}
	memmove(r->v + i, r->v + i + count, (r->n - i - count) * sizeof(*r->v));
	r->n -= count;
}

/* Cuts the region that strictly contains addr in two at addr. */
static int regions_split_at(struct regions *r, uint64_t addr)
{
	uint32_t i = regions_lower(r, addr);

	if (i >= r->n || r->v[i].start >= addr)
		return 0;
	struct region right = r->v[i];
	right.start = addr;
	r->bytes -= r->v[i].end - addr;
	r->v[i].end = addr;
	return regions_insert_at(r, i + 1, &right);
}

/* Regions fully inside [start, end) after cutting: [*first, *first + *count). */
static int regions_cut(struct regions *r, uint64_t start, uint64_t end,
		       uint32_t *first, uint32_t *count)
{
	int rc = regions_split_at(r, start);

	if (rc == 0)
		rc = regions_split_at(r, end);
	if (rc < 0)
		return rc;
	*first = regions_lower(r, start);
	uint32_t last = regions_lower(r, end);
	*count = last - *first;
	return 0;
}

static bool regions_mergeable(const struct region *a, const struct region *b)
{
	return a->end == b->start && a->kind == REGION_ANON && b->kind == REGION_ANON &&
	       a->prot == b->prot;
}

/* Merges adjacent mergeable regions among indexes [lo, hi] (clipped). */
static void regions_merge_span(struct regions *r, uint32_t lo, uint32_t hi)
{
	uint32_t i = lo;

	while (i < hi && i + 1 < r->n) {
		if (!regions_mergeable(&r->v[i], &r->v[i + 1])) {
			i++;
			continue;
		}
		r->bytes += r->v[i + 1].end - r->v[i + 1].start;
		r->v[i].end = r->v[i + 1].end;
		regions_remove_at(r, i + 1, 1);
		hi--;
	}
}

static void regions_remove_range(struct regions *r, uint64_t start, uint64_t end)
{
	uint32_t first, count;

	if (regions_cut(r, start, end, &first, &count) == 0 && count)
		regions_remove_at(r, first, count);
}

int regions_map(struct regions *r, uint64_t addr, uint64_t len, uint32_t prot,
		uint8_t kind, const char *path)
{
	uint64_t start, end;
	struct region g;

	if (!regions_range(addr, len, &start, &end))
		return -EINVAL;
	regions_remove_range(r, start, end);
	g = (struct region){ .start = start, .end = end, .prot = prot, .kind = kind, .path = path };
	uint32_t i = regions_lower(r, start);
	int rc = regions_insert_at(r, i, &g);
	if (rc < 0)
		return rc;
	regions_merge_span(r, i ? i - 1 : 0, i + 1);
	regions_note_peak(r);
	return 0;
}

void regions_unmap(struct regions *r, uint64_t addr, uint64_t len)
{
	uint64_t start, end;

	if (regions_range(addr, len, &start, &end))
		regions_remove_range(r, start, end);
}

int regions_protect(struct regions *r, uint64_t addr, uint64_t len, uint32_t prot)
{
	uint64_t start, end;
	uint32_t first, count;
	int rc;

	if (!regions_range(addr, len, &start, &end))
		return -EINVAL;
	if ((rc = regions_cut(r, start, end, &first, &count)) < 0)
		return rc;
	for (uint32_t k = first; k < first + count; k++)
		r->v[k].prot = prot;
	regions_merge_span(r, first ? first - 1 : 0, first + count);
	regions_note_peak(r);
	return 0;
}

int regions_remap(struct regions *r, uint64_t old_addr, uint64_t old_len,
		  uint64_t new_addr, uint64_t new_len)
{
	const struct region *src = regions_find(r, old_addr);
	struct region g = { .prot = 3, .kind = REGION_ANON }; /* unknown source: rw anon */
	char *path = NULL;
	uint64_t s, e;
	int rc;

	if (src && src->kind != REGION_HEAP) {
		g = *src;
		if (src->path && !(path = strndup(src->path, REGIONS_MAX_PATH)))
			return -ENOMEM;
	}
	/* old_len 0 duplicates a shared mapping and leaves the old one. */
	if (old_len && regions_range(old_addr, old_len, &s, &e))
		regions_remove_range(r, s, e);
	rc = regions_map(r, new_addr, new_len, g.prot, g.kind, path);
	free(path);
	return rc;
}

void regions_set_brk(struct regions *r, uint64_t brk)
{
	if (brk == 0)
		return;
	if (r->heap_start == 0 || brk < r->heap_start)
		r->heap_start = brk;
	r->brk = brk;
	if (r->brk - r->heap_start > r->peak_heap)
		r->peak_heap = r->brk - r->heap_start;
}

const struct region *regions_find(const struct regions *r, uint64_t addr)
{
	uint32_t i = regions_lower(r, addr);

	if (i < r->n && r->v[i].start <= addr)
		return &r->v[i];
	if (r->brk > r->heap_start && addr >= r->heap_start && addr < r->brk) {
		struct regions *m = (struct regions *)r; /* the heap view is a cache */
		m->heap = (struct region){ .start = r->heap_start, .end = r->brk,
					   .prot = 3, .kind = REGION_HEAP };
		return &m->heap;
	}
	return NULL;
}

uint64_t regions_mapped_bytes(const struct regions *r) { return r->bytes; }
uint32_t regions_count(const struct regions *r) { return r->n; }
uint64_t regions_peak_bytes(const struct regions *r) { return r->peak_bytes; }
uint32_t regions_peak_count(const struct regions *r) { return r->peak_count; }
uint64_t regions_heap_bytes(const struct regions *r) { return r->brk - r->heap_start; }
uint64_t regions_peak_heap_bytes(const struct regions *r) { return r->peak_heap; }
