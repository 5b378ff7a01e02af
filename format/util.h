/*
 * util.h - small helpers that every module needs, defined once: a clock in
 * nanoseconds, a string hash, and growth of a zero-filled array.
 */
#ifndef COMPENDIUM_UTIL_H
#define COMPENDIUM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* clock_gettime(id) in nanoseconds. */
uint64_t util_clock_ns(clockid_t id);

/* CLOCK_MONOTONIC in nanoseconds: the time base of every event source. */
static inline uint64_t util_mono_ns(void)
{
	return util_clock_ns(CLOCK_MONOTONIC);
}

/* FNV-1a over n bytes, seeded, with a final mix for power-of-two tables. */
uint64_t util_hash(const void *p, size_t n, uint64_t seed);

/*
 * Makes `arr` (of *cap elements of `elem` bytes) hold at least `need`
 * elements, doubling, the new part zero-filled. Returns the (possibly moved)
 * array and updates *cap, or NULL on ENOMEM (then `arr` is untouched and
 * still owned by the caller).
 */
void *util_grow(void *arr, uint32_t *cap, uint32_t need, size_t elem);

/* Whether this process has capability `cap` (CAP_*) in its effective set;
 * false when it cannot be asked. */
bool util_has_cap(int cap);

#endif
