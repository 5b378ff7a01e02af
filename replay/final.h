/*
 * final.h - the FINAL block: the terminal rendering of the summary model.
 *
 *   ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
 *    FINAL: curl -s https://example.com (0.34s)
 *   ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
 *    Memory:
 *      Heap:     132.0 KB (peak 140.0 KB)
 *      ...
 *    Exit: 0
 *   ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
 *
 * Sections with nothing to say are left out, except Memory, I/O,
 * Recording and Exit which are always there. Lists (files, peers,
 * processes) are capped at FINAL_LIST_MAX lines plus "... and N more", and
 * follow the noise rules of noise.h unless `all`.
 */
#ifndef COMPENDIUM_FINAL_H
#define COMPENDIUM_FINAL_H

#include <stdbool.h>

#include "outbuf.h"
#include "summary.h"

#define FINAL_LIST_MAX 20
#define FINAL_TOP_FILES 5

struct final_opts {
	bool all;   /* no noise filter in the lists */
	bool color;
};

void final_print(struct outbuf *o, const struct summary *s, const struct final_opts *fo);

#endif
