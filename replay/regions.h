/*
 * regions.h - the memory map of one traced address space.
 *
 * Rebuilt from the recorded events (the summary, page-fault attribution),
 * so live and replayed views agree. Kept from mmap/munmap/mremap/mprotect/brk with the kernel's semantics:
 * MAP_FIXED overlays replace what they cover, a partial munmap splits a
 * region, mremap moves or resizes, mprotect splits at its bounds. It answers
 * "how much is mapped, in how many regions" (now and at the peak) and "which
 * region holds this address" (page-fault attribution).
 */
#ifndef COMPENDIUM_REGIONS_H
#define COMPENDIUM_REGIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct regions;

/* The kernel maps whole pages: lengths are rounded up to this. x86-64's
 * page size, the only ABI compendium records. */
#define REGIONS_PAGE 4096ull

/* addr + len rounded up to a page, as the kernel maps it (no overflow). */
static inline uint64_t regions_page_end(uint64_t addr, uint64_t len)
{
	uint64_t e = addr + len;

	if (e < addr || e > UINT64_MAX - REGIONS_PAGE)
		return UINT64_MAX & ~(REGIONS_PAGE - 1);
	return (e + REGIONS_PAGE - 1) & ~(REGIONS_PAGE - 1);
}

enum region_kind { REGION_ANON = 0, REGION_FILE, REGION_HEAP, REGION_STACK, REGION_OTHER };

struct region {
	uint64_t start, end; /* [start, end) */
	uint32_t prot;
	uint8_t kind;        /* enum region_kind */
	const char *path;    /* owned by the map; NULL when anonymous */
};

struct regions *regions_new(void);
struct regions *regions_clone(const struct regions *r);
void regions_free(struct regions *r);
/* exec: a new, empty address space. */
void regions_reset(struct regions *r);

int regions_map(struct regions *r, uint64_t addr, uint64_t len, uint32_t prot,
		uint8_t kind, const char *path);
void regions_unmap(struct regions *r, uint64_t addr, uint64_t len);
int regions_protect(struct regions *r, uint64_t addr, uint64_t len, uint32_t prot);
int regions_remap(struct regions *r, uint64_t old_addr, uint64_t old_len,
		  uint64_t new_addr, uint64_t new_len);
/* Heap: [start, brk). */
void regions_set_brk(struct regions *r, uint64_t brk);

/*
 * Units and model: lengths are rounded up to whole pages (4 KiB) like the
 * kernel does; adjacent anonymous regions with the same protection are
 * merged (the kernel merges such vmas), file regions are never merged.
 * Every call is bounded: a range that wraps the address space is clipped,
 * and at most REGIONS_MAX regions are kept (regions_map returns -ENOMEM).
 * Failed syscalls must not be applied (the caller checks Event.err).
 */
#define REGIONS_MAX (1u << 20)

/* The region holding addr (the heap included), or NULL. Valid until the
 * map is next modified. */
const struct region *regions_find(const struct regions *r, uint64_t addr);
uint64_t regions_mapped_bytes(const struct regions *r);  /* excluding heap */
uint32_t regions_count(const struct regions *r);         /* excluding heap */
/* Peaks of regions_mapped_bytes / regions_count since regions_new/reset. */
uint64_t regions_peak_bytes(const struct regions *r);
uint32_t regions_peak_count(const struct regions *r);
/* Heap: its size now (brk - start) and at most; start is the first brk seen. */
uint64_t regions_heap_bytes(const struct regions *r);
uint64_t regions_peak_heap_bytes(const struct regions *r);

#endif
