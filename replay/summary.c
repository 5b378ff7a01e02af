/*
 * summary.c - folds the event stream into the summary model (summary.h).
 *
 * Cost per event is O(1): files and peers are found through small open
 * addressing hash indexes (string keys), address spaces by a linear scan of
 * the few live ones, and the last file touched is cached because I/O comes
 * in runs on one fd.
 */
#define _GNU_SOURCE
#include "util.h"
#include "summary.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "regions.h"
#include "reorder.h"

#define MAX_PROCS_KEPT 4096 /* subprocess table bound (a fork bomb is not a table) */

/* ---- small helpers ------------------------------------------------------ */

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A copy of at most `max` bytes: names kept per process are cut, so a
 * recording repeating one long string in many execs stays small. */
static char *dup_cut(const char *s, size_t max)
{
	return s ? strndup(s, max) : NULL;
}

/*
 * Copies argv keeping at most SUMMARY_ARGV_BYTES bytes in all (the last kept
 * argument is cut); returns how many were kept in *kept. 256 arguments of
 * 64 KiB each, repeated by thousands of execs, would otherwise cost
 * gigabytes for a few kilobytes of recording.
 */
static char **dup_argv(const char *const *argv, uint32_t argc, uint32_t *kept)
{
	*kept = 0;
	char **v = calloc(argc, sizeof(char *));
	if (!v)
		return NULL;
	size_t budget = SUMMARY_ARGV_BYTES;
	uint32_t n = 0;
	while (n < argc && budget) {
		const char *a = argv[n] ? argv[n] : "";
		size_t l = strnlen(a, budget);
		v[n] = strndup(a, l);
		if (!v[n])
			break;
		budget -= l;
		n++;
	}
	*kept = n;
	return v;
}

static uint64_t hash_str(const char *s, uint32_t extra)
{
	return util_hash(s, strlen(s), extra);
}

/*
 * Open addressing index from a key to an entry number (stored +1, 0 empty).
 * `key_of(i)` gives entry i's key; rebuilt at 50% load.
 */
typedef const char *(*key_fn)(const struct summary *s, uint32_t i, uint32_t *extra);

static const char *file_key(const struct summary *s, uint32_t i, uint32_t *extra)
{
	*extra = 0;
	return s->files[i].path;
}

static const char *peer_key(const struct summary *s, uint32_t i, uint32_t *extra)
{
	*extra = s->peers[i].proto;
	return s->peers[i].addr;
}

static int index_find(const struct summary *s, uint32_t *idx, uint32_t cap, key_fn kf,
		      const char *key, uint32_t extra, uint32_t *slot)
{
	if (!cap)
		return -1;
	uint32_t m = cap - 1;
	uint32_t i = (uint32_t)hash_str(key, extra) & m;
	for (;; i = (i + 1) & m) {
		if (!idx[i]) {
			*slot = i;
			return -1;
		}
		uint32_t e, ex;
		e = idx[i] - 1;
		const char *k = kf(s, e, &ex);
		if (ex == extra && strcmp(k, key) == 0)
			return (int)e;
	}
}

static int index_rebuild(struct summary *s, uint32_t **idx, uint32_t *cap, uint32_t n,
			 key_fn kf)
{
	uint32_t c = *cap ? *cap : 64;
	while (c < 2 * (n + 1))
		c *= 2;
	if (c == *cap)
		return 0;
	uint32_t *ni = calloc(c, sizeof(*ni));
	if (!ni)
		return -1;
	for (uint32_t e = 0; e < n; e++) {
		uint32_t ex, slot = 0;
		const char *k = kf(s, e, &ex);
		index_find(s, ni, c, kf, k, ex, &slot);
		ni[slot] = e + 1;
	}
	free(*idx);
	*idx = ni;
	*cap = c;
	return 0;
}

static struct summary_file *file_get(struct summary *s, const char *path, uint64_t ts)
{
	if (!path)
		return NULL;
	if (s->last_file >= 0 && strcmp(s->files[s->last_file].path, path) == 0)
		return &s->files[s->last_file];
	uint32_t slot = 0;
	int e = index_find(s, s->file_index, s->file_index_cap, file_key, path, 0, &slot);
	if (e < 0) {
		struct summary_file *f = util_grow(s->files, &s->files_cap, s->nfiles + 1, sizeof(*f));
		if (!f)
			return NULL;
		s->files = f;
		char *p = strdup(path);
		if (!p)
			return NULL;
		e = (int)s->nfiles++;
		s->files[e] = (struct summary_file){ .path = p, .first_ts_ns = ts };
		if (index_rebuild(s, &s->file_index, &s->file_index_cap, s->nfiles, file_key) < 0)
			return NULL;
		uint32_t sl = 0;
		if (index_find(s, s->file_index, s->file_index_cap, file_key, path, 0, &sl) < 0)
			s->file_index[sl] = (uint32_t)e + 1;
	}
	s->last_file = e;
	return &s->files[e];
}

static struct summary_peer *peer_get(struct summary *s, const char *addr, uint8_t proto,
				     uint64_t ts)
{
	if (!addr)
		return NULL;
	uint32_t slot = 0;
	int e = index_find(s, s->peer_index, s->peer_index_cap, peer_key, addr, proto, &slot);
	if (e >= 0)
		return &s->peers[e];
	struct summary_peer *p = util_grow(s->peers, &s->peers_cap, s->npeers + 1, sizeof(*p));
	if (!p)
		return NULL;
	s->peers = p;
	char *a = strdup(addr);
	if (!a)
		return NULL;
	e = (int)s->npeers++;
	s->peers[e] = (struct summary_peer){ .addr = a, .proto = proto, .first_ts_ns = ts };
	if (index_rebuild(s, &s->peer_index, &s->peer_index_cap, s->npeers, peer_key) < 0)
		return NULL;
	uint32_t sl = 0;
	if (index_find(s, s->peer_index, s->peer_index_cap, peer_key, addr, proto, &sl) < 0)
		s->peer_index[sl] = (uint32_t)e + 1;
	return &s->peers[e];
}

/* ---- resident pages ------------------------------------------------------ */

/*
 * A set of page numbers (open addressing, linear probing, backward-shift
 * deletion; key + 1 stored so 0 means empty). Bounded: past PAGESET_MAX
 * pages a space stops recording new ones.
 */
#define PAGESET_MAX (1u << 24)

struct summary_pageset {
	uint64_t *v;
	uint32_t n, cap; /* cap a power of two */
};

static uint32_t ps_hash(uint64_t k, uint32_t mask)
{
	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

static int ps_grow(struct summary_pageset *ps)
{
	uint32_t nc = ps->cap ? ps->cap * 2 : 1024;
	uint64_t *nv = calloc(nc, sizeof(*nv));
	if (!nv)
		return -1;
	for (uint32_t i = 0; i < ps->cap; i++) {
		if (!ps->v[i])
			continue;
		uint32_t j = ps_hash(ps->v[i], nc - 1);
		while (nv[j])
			j = (j + 1) & (nc - 1);
		nv[j] = ps->v[i];
	}
	free(ps->v);
	ps->v = nv;
	ps->cap = nc;
	return 0;
}

/* Returns true when the page is new. */
static bool ps_insert(struct summary_pageset *ps, uint64_t page)
{
	if (ps->n >= PAGESET_MAX || ((ps->n + 1) * 2 > ps->cap && ps_grow(ps) < 0))
		return false;
	uint64_t k = page + 1;
	uint32_t m = ps->cap - 1, i = ps_hash(k, m);
	for (; ps->v[i]; i = (i + 1) & m)
		if (ps->v[i] == k)
			return false;
	ps->v[i] = k;
	ps->n++;
	return true;
}

static bool ps_remove(struct summary_pageset *ps, uint64_t page)
{
	if (!ps->n)
		return false;
	uint64_t k = page + 1;
	uint32_t m = ps->cap - 1, i = ps_hash(k, m);
	for (; ps->v[i] != k; i = (i + 1) & m)
		if (!ps->v[i])
			return false;
	/* backward shift: move later members of the run into the hole */
	uint32_t hole = i;
	for (uint32_t j = (i + 1) & m; ps->v[j]; j = (j + 1) & m) {
		uint32_t h = ps_hash(ps->v[j], m);
		if (((j - h) & m) >= ((j - hole) & m)) {
			ps->v[hole] = ps->v[j];
			hole = j;
		}
	}
	ps->v[hole] = 0;
	ps->n--;
	return true;
}

/*
 * Removes the pages of [lo, hi) (page numbers); with `shift`, puts them back
 * moved by `delta` pages, keeping those below `keep` pages (mremap).
 * Returns how many pages left the set.
 */
static uint64_t ps_remove_range(struct summary_pageset *ps, uint64_t lo, uint64_t hi,
				bool shift, int64_t delta, uint64_t keep)
{
	if (!ps || !ps->n || hi <= lo)
		return 0;
	uint64_t before = ps->n;
	if (!shift && hi - lo <= 2ull * ps->n) {
		for (uint64_t p = lo; p < hi; p++)
			ps_remove(ps, p);
		return before - ps->n;
	}
	/* a whole scan: take the members out, then put the moved ones back */
	uint64_t *old = ps->v;
	uint32_t cap = ps->cap;
	ps->v = calloc(cap, sizeof(*ps->v));
	if (!ps->v) {
		ps->v = old;
		return 0;
	}
	ps->n = 0;
	for (uint32_t i = 0; i < cap; i++) {
		if (!old[i])
			continue;
		uint64_t p = old[i] - 1;
		if (p >= lo && p < hi) {
			if (!shift || p - lo >= keep)
				continue;
			p = (uint64_t)((int64_t)p + delta);
		}
		ps_insert(ps, p);
	}
	free(old);
	return before > ps->n ? before - ps->n : 0;
}

static void ps_free(struct summary_pageset *ps)
{
	if (ps) {
		free(ps->v);
		free(ps);
	}
}

/* ---- address spaces ---------------------------------------------------- */

#define PAGE 4096ull

struct summary_space *summary_spaces_find(const struct summary_spaces *ss, uint32_t pid)
{
	/* newest first: the live ones are usually at the end */
	for (uint32_t i = ss->n; i-- > 0;)
		if (ss->v[i].pid == pid && ss->v[i].alive)
			return &ss->v[i];
	return NULL;
}

static struct summary_space *space_new(struct summary_spaces *ss, uint32_t pid,
				       struct regions *map)
{
	if (!map)
		return NULL;
	struct summary_space *sp = util_grow(ss->v, &ss->cap, ss->n + 1, sizeof(*sp));
	if (!sp) {
		regions_free(map);
		return NULL;
	}
	ss->v = sp;
	sp = &ss->v[ss->n++];
	*sp = (struct summary_space){ .pid = pid, .map = map, .alive = true };
	return sp;
}

static struct summary_space *space_get(struct summary_spaces *ss, uint32_t pid)
{
	struct summary_space *sp = summary_spaces_find(ss, pid);
	return sp ? sp : space_new(ss, pid, regions_new());
}

static void space_note_top(struct summary_space *sp, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	if (end >= addr && end > sp->map_top)
		sp->map_top = end;
}

/* Kernel-made mappings found at attach ("[stack]", "[heap]", "[vdso]"). */
static uint8_t seeded_kind(const char *path)
{
	if (!strncmp(path, "[stack", 6))
		return REGION_STACK;
	if (!strcmp(path, "[heap]"))
		return REGION_HEAP;
	return REGION_OTHER;
}

static void space_mem(struct summary_space *sp, const struct event *ev)
{
	switch (ev->kind) {
	case EV_BRK:
		if (ev->brk.old_brk)
			regions_set_brk(sp->map, ev->brk.old_brk);
		regions_set_brk(sp->map, ev->brk.new_brk);
		if (ev->brk.new_brk && (!sp->heap_start || ev->brk.new_brk < sp->heap_start))
			sp->heap_start = ev->brk.new_brk;
		if (ev->brk.old_brk && ev->brk.old_brk < sp->heap_start)
			sp->heap_start = ev->brk.old_brk;
		break;
	case EV_MMAP: {
		const char *path = ev->mmap.path;
		uint8_t kind = path ? REGION_FILE
			       : (ev->mmap.flags & MAP_STACK) ? REGION_STACK : REGION_ANON;
		if (path && path[0] == '[')
			kind = seeded_kind(path);
		if (kind == REGION_HEAP) {
			regions_set_brk(sp->map, ev->mmap.addr);
			regions_set_brk(sp->map, ev->mmap.addr + ev->mmap.len);
			sp->heap_start = ev->mmap.addr;
			break;
		}
		regions_map(sp->map, ev->mmap.addr, ev->mmap.len, ev->mmap.prot, kind,
			    kind == REGION_FILE ? path : NULL);
		if (kind != REGION_STACK || !path)
			space_note_top(sp, ev->mmap.addr, ev->mmap.len);
		break;
	}
	case EV_MUNMAP:
		regions_unmap(sp->map, ev->munmap.addr, ev->munmap.len);
		break;
	case EV_MREMAP:
		regions_remap(sp->map, ev->mremap.old_addr, ev->mremap.old_len,
			      ev->mremap.new_addr, ev->mremap.new_len);
		space_note_top(sp, ev->mremap.new_addr, ev->mremap.new_len);
		break;
	case EV_MPROTECT:
		regions_protect(sp->map, ev->mprotect.addr, ev->mprotect.len, ev->mprotect.prot);
		break;
	default:
		break;
	}
}

static void space_exec(struct summary_space *sp, const char *path)
{
	regions_reset(sp->map);
	free(sp->exe);
	sp->exe = dup_cut(path, SUMMARY_ARGV_BYTES);
	sp->heap_start = sp->map_top = 0;
}

struct summary_space *summary_spaces_apply(struct summary_spaces *ss, const struct event *ev)
{
	struct summary_space *sp;
	if (ev->err)
		return NULL;
	switch (ev->kind) {
	case EV_SPAWN: {
		if (ev->spawn.kind == SPAWN_THREAD || ev->spawn.child_pid == ev->pid)
			return NULL;
		struct summary_space *parent = summary_spaces_find(ss, ev->pid);
		struct regions *map;
		bool copy = ev->spawn.kind == SPAWN_PROCESS &&
			    !(ev->spawn.clone_flags & 0x100 /* CLONE_VM */) && parent;
		map = copy ? regions_clone(parent->map) : regions_new();
		/* `parent` may move when the array grows: copy what we need first */
		char *exe = parent ? dup_str(parent->exe) : NULL;
		uint64_t hs = copy ? parent->heap_start : 0, top = copy ? parent->map_top : 0;
		sp = space_new(ss, ev->spawn.child_pid, map);
		if (!sp) {
			free(exe);
			return NULL;
		}
		sp->exe = exe;
		sp->heap_start = hs;
		sp->map_top = top;
		return sp;
	}
	case EV_EXEC:
		sp = summary_spaces_find(ss, ev->pid);
		if (sp)
			space_exec(sp, ev->exec.path);
		else if ((sp = space_get(ss, ev->pid)) != NULL)
			sp->exe = dup_cut(ev->exec.path, SUMMARY_ARGV_BYTES);
		return sp;
	case EV_EXIT:
		if (ev->exit.thread || !(sp = summary_spaces_find(ss, ev->pid)))
			return NULL;
		sp->alive = false;
		return sp;
	case EV_BRK:
	case EV_MMAP:
	case EV_MUNMAP:
	case EV_MREMAP:
	case EV_MPROTECT:
		if ((sp = space_get(ss, ev->pid)) != NULL)
			space_mem(sp, ev);
		return sp;
	default:
		return NULL;
	}
}

void summary_spaces_free(struct summary_spaces *ss)
{
	for (uint32_t i = 0; i < ss->n; i++) {
		regions_free(ss->v[i].map);
		free(ss->v[i].exe);
		ps_free(ss->v[i].pages);
	}
	free(ss->v);
	*ss = (struct summary_spaces){ 0 };
}

const char *fault_kind_name(unsigned k)
{
	static const char *const names[FAULT__COUNT] = { "heap", "anon", "file", "stack",
							  "other" };
	return k < FAULT__COUNT ? names[k] : "other";
}

/* Lowest address of the main stack when no mapping was recorded: the top of
 * the x86-64 user space minus the stack's randomisation (16 GiB) and its
 * default limit (8 MiB); the kernel puts the mmap area below it. */
#define STACK_FLOOR_DEFAULT 0x7ffbff800000ull

void summary_locate_fault(const struct summary_spaces *ss, uint32_t pid, uint64_t addr,
			  struct fault_site *site)
{
	const struct summary_space *sp = summary_spaces_find(ss, pid);
	const struct region *r = sp ? regions_find(sp->map, addr) : NULL;
	*site = (struct fault_site){ .kind = FAULT_OTHER, .start = addr & ~(PAGE - 1),
				     .end = (addr & ~(PAGE - 1)) + PAGE,
				     .prot = FAULT_PROT_UNKNOWN };
	if (r) {
		static const uint8_t kinds[] = { [REGION_ANON] = FAULT_ANON,
						 [REGION_FILE] = FAULT_FILE,
						 [REGION_HEAP] = FAULT_HEAP,
						 [REGION_STACK] = FAULT_STACK,
						 [REGION_OTHER] = FAULT_OTHER };
		site->kind = r->kind < sizeof(kinds) ? kinds[r->kind] : FAULT_OTHER;
		if (site->kind == FAULT_FILE && !r->path)
			site->kind = FAULT_ANON;
		site->start = r->start;
		site->end = r->end;
		site->prot = r->prot;
		site->path = site->kind == FAULT_FILE ? r->path : NULL;
		site->recorded = true;
		return;
	}
	if (!sp)
		return;
	if (sp->heap_start ? addr < sp->heap_start : addr < 0x700000000000ull) {
		if (sp->exe) {
			site->kind = FAULT_FILE;
			site->path = sp->exe;
		}
		return;
	}
	uint64_t floor = sp->map_top ? sp->map_top + SUMMARY_STACK_GAP : STACK_FLOOR_DEFAULT;
	if (addr >= floor && addr < 0x800000000000ull) {
		site->kind = FAULT_STACK;
		site->prot = PROT_READ | PROT_WRITE;
	}
}

/* ---- summary accounting of spaces --------------------------------------- */

/* Re-accounts a space after a change: running total and its peak. */
static void space_account(struct summary *s, struct summary_space *sp)
{
	uint64_t heap = sp->alive ? regions_heap_bytes(sp->map) : 0;
	uint64_t now = sp->alive ? heap + regions_mapped_bytes(sp->map) : 0;
	s->live_total = s->live_total - sp->total + now;
	s->live_heap = s->live_heap - sp->heap + heap;
	sp->total = now;
	sp->heap = heap;
	if (s->live_total > s->total_peak)
		s->total_peak = s->live_total;
}

static void resident_sub(struct summary *s, uint64_t pages)
{
	uint64_t b = pages * s->page_size;
	s->resident = s->resident > b ? s->resident - b : 0;
}

/* Resident pages given back by a process or memory event (see summary.h). */
static void resident_event(struct summary *s, struct summary_space *sp, const struct event *ev)
{
	struct summary_pageset *ps = sp->pages;
	uint64_t pg = s->page_size;
	if (!ps || ev->err)
		return;
	switch (ev->kind) {
	case EV_EXEC:
	case EV_EXIT:
		if (ev->kind == EV_EXIT && ev->exit.thread)
			return;
		resident_sub(s, ps->n);
		ps_free(ps);
		sp->pages = NULL;
		break;
	case EV_MUNMAP:
		resident_sub(s, ps_remove_range(ps, ev->munmap.addr / pg,
						(ev->munmap.addr + ev->munmap.len + pg - 1) / pg,
						false, 0, 0));
		break;
	case EV_BRK:
		if (ev->brk.old_brk && ev->brk.new_brk && ev->brk.new_brk < ev->brk.old_brk)
			resident_sub(s, ps_remove_range(ps, (ev->brk.new_brk + pg - 1) / pg,
							(ev->brk.old_brk + pg - 1) / pg, false, 0, 0));
		break;
	case EV_MMAP:
		if (ev->mmap.flags & MAP_FIXED)
			resident_sub(s, ps_remove_range(ps, ev->mmap.addr / pg,
							(ev->mmap.addr + ev->mmap.len + pg - 1) / pg,
							false, 0, 0));
		break;
	case EV_MREMAP: {
		const struct ev_mremap *m = &ev->mremap;
		uint64_t lo = m->old_addr / pg, hi = (m->old_addr + m->old_len + pg - 1) / pg;
		uint64_t keep = (m->new_len + pg - 1) / pg;
		int64_t delta = (int64_t)(m->new_addr / pg) - (int64_t)lo;
		if (m->old_len)
			resident_sub(s, ps_remove_range(ps, lo, hi, true, delta, keep));
		break;
	}
	default:
		break;
	}
}

/* ---- the events --------------------------------------------------------- */

static struct summary_proc *proc_find(struct summary *s, uint32_t pid)
{
	for (uint32_t i = s->nprocs; i-- > 0;)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

/* Process and memory events: the address spaces and their accounting. */
static void add_space_event(struct summary *s, const struct event *ev)
{
	struct summary_space *sp = NULL;
	if (s->src_faults && !ev->err) {
		/* resident pages leave before the map changes (exec, exit) */
		sp = summary_spaces_find(&s->space_set, ev->kind == EV_SPAWN ? 0 : ev->pid);
		if (sp)
			resident_event(s, sp, ev);
	}
	sp = summary_spaces_apply(&s->space_set, ev);
	if (sp)
		space_account(s, sp);
}

static void add_exec(struct summary *s, const struct event *ev)
{
	/* one entry per process, in order of its first exec (the root
	 * included: the FINAL block leaves it out, the report does not) */
	if (proc_find(s, ev->pid) || s->nprocs >= MAX_PROCS_KEPT)
		return;
	struct summary_proc *p = util_grow(s->procs, &s->procs_cap, s->nprocs + 1, sizeof(*p));
	if (!p)
		return;
	s->procs = p;
	p = &s->procs[s->nprocs++];
	*p = (struct summary_proc){ .pid = ev->pid,
				    .path = dup_cut(ev->exec.path, SUMMARY_ARGV_BYTES),
				    .comm = dup_cut(ev->exec.comm, SUMMARY_ARGV_BYTES),
				    .exec_ts_ns = ev->ts_ns };
	uint32_t argc = ev->exec.argc < EVENT_MAX_ARGV ? ev->exec.argc : EVENT_MAX_ARGV;
	if (argc && ev->exec.argv)
		p->argv = dup_argv(ev->exec.argv, argc, &p->argc);
}

static void add_exit(struct summary *s, const struct event *ev)
{
	if (ev->exit.thread)
		return;
	struct summary_proc *p = proc_find(s, ev->pid);
	if (p) {
		p->exited = true;
		p->exit_code = ev->exit.code;
		p->exit_signal = ev->exit.signal;
	}
	if (ev->pid == s->root_pid && !s->has_trailer) {
		s->root_exited = true;
		s->exit_code = ev->exit.code;
		s->exit_signal = ev->exit.signal;
		s->core_dumped = ev->exit.core_dumped;
	}
}


static void add_io_bytes(struct summary *s, const struct event_fd *fd, bool write,
			 int64_t bytes, const char *addr, uint64_t ts)
{
	if (bytes <= 0)
		return;
	uint64_t b = (uint64_t)bytes;
	if (fd->kind == FD_SOCKET) {
		if (write)
			s->net_sent += b;
		else
			s->net_received += b;
		struct summary_peer *p = peer_get(s, addr ? addr : fd->name, fd->proto, ts);
		if (p) {
			if (write)
				p->sent += b;
			else
				p->received += b;
		}
	} else if (fd->kind == FD_FILE) {
		if (write)
			s->file_written += b;
		else
			s->file_read += b;
		struct summary_file *f = file_get(s, fd->name, ts);
		if (f) {
			if (write)
				f->bytes_written += b;
			else
				f->bytes_read += b;
		}
	} else {
		if (write)
			s->other_written += b;
		else
			s->other_read += b;
	}
}

static void add_open(struct summary *s, const struct event *ev)
{
	if (ev->flags & EVENT_F_SEEDED)
		return; /* open before we attached: not something it did */
	struct summary_file *f = file_get(s, ev->open.path, ev->ts_ns);
	if (ev->err) {
		s->failed_opens++;
		if (f)
			f->failed_opens++;
		return;
	}
	if (!f)
		return;
	uint32_t acc = ev->open.flags & 3;
	if (ev->open.flags & 010000000 /* O_PATH */)
		return;
	if (acc == 0 || acc == 2)
		f->opens_read++;
	if (acc == 1 || acc == 2)
		f->opens_write++;
}

static void add_connect(struct summary *s, const struct event *ev, bool inbound,
			uint8_t proto, const char *addr)
{
	struct summary_peer *p = peer_get(s, addr, proto, ev->ts_ns);
	if (!p)
		return;
	if (p->connects == 0 && p->failed == 0 && p->sent == 0 && p->received == 0)
		p->inbound = inbound;
	if (ev->err && ev->err != 115 /* EINPROGRESS */) {
		p->failed++;
		p->last_err = ev->err;
	} else {
		p->connects++;
	}
}

static void add_fault(struct summary *s, const struct event *ev)
{
	struct fault_site site;
	s->faults++;
	summary_locate_fault(&s->space_set, ev->pid, ev->fault.addr, &site);
	switch (site.kind) {
	case FAULT_HEAP: s->faults_heap++; break;
	case FAULT_ANON: s->faults_anon++; break;
	case FAULT_FILE: s->faults_file++; break;
	case FAULT_STACK: s->faults_stack++; break;
	default: s->faults_other++; break;
	}
	struct summary_space *sp = summary_spaces_find(&s->space_set, ev->pid);
	if (!sp)
		return;
	if (!sp->pages && !(sp->pages = calloc(1, sizeof(*sp->pages))))
		return;
	if (ps_insert(sp->pages, ev->fault.addr / s->page_size)) {
		s->resident += s->page_size;
		if (s->resident > s->resident_peak)
			s->resident_peak = s->resident;
	}
}

/* log2 bucket of a latency, as the eBPF side counts it */
static unsigned lat_bucket(uint64_t ns)
{
	unsigned b = ns ? 63u - (unsigned)__builtin_clzll(ns) : 0;
	return b < EVENT_MAX_HIST_BUCKETS ? b : EVENT_MAX_HIST_BUCKETS - 1;
}

static void add_hist(struct summary *s, const struct event *ev)
{
	if (ev->hist.kind >= HIST__COUNT || !ev->hist.buckets)
		return;
	struct summary_latency *l = &s->lat[ev->hist.kind];
	uint32_t n = ev->hist.nbuckets < EVENT_MAX_HIST_BUCKETS ? ev->hist.nbuckets
								: EVENT_MAX_HIST_BUCKETS;
	l->have_hist = true;
	for (uint32_t i = 0; i < n; i++)
		l->hist[i] += ev->hist.buckets[i];
}

static void add_block(struct summary *s, const struct event *ev)
{
	s->lat[HIST_BLOCK].ev_hist[lat_bucket(ev->dur_ns)]++;
	if (ev->block.error)
		s->block_errors++;
	if (ev->block.writeback) {
		s->wb_count++;
		s->wb_bytes += ev->block.bytes;
	} else {
		s->block_count++;
		if (ev->block.write)
			s->block_written += ev->block.bytes;
		else
			s->block_read += ev->block.bytes;
	}
	s->block_total_ns += ev->dur_ns;
	if (ev->dur_ns > s->block_max_ns)
		s->block_max_ns = ev->dur_ns;
}

static void add_loss(struct summary *s, const char *source, uint64_t count, bool total)
{
	const char *src = source ? source : "unknown";
	for (uint32_t i = 0; i < s->nlosses; i++) {
		if (strcmp(s->losses[i].source, src) == 0) {
			if (total) {
				if (count > s->losses[i].count)
					s->losses[i].count = count;
			} else {
				s->losses[i].count += count;
			}
			return;
		}
	}
	struct summary_loss *l = util_grow(s->losses, &s->losses_cap, s->nlosses + 1, sizeof(*l));
	if (!l)
		return;
	s->losses = l;
	char *c = strdup(src);
	if (!c)
		return;
	s->losses[s->nlosses++] = (struct summary_loss){ c, count };
}

void summary_add_event(struct summary *s, const struct event *ev)
{
	s->events++;
	if (ev->ts_ns > s->last_ts_ns)
		s->last_ts_ns = ev->ts_ns;
	switch (ev->kind) {
	case EV_SPAWN:
		if (!ev->err)
			s->tasks++;
		add_space_event(s, ev);
		break;
	case EV_EXEC:
		add_space_event(s, ev);
		if (!ev->err)
			add_exec(s, ev);
		if (!ev->err && ev->pid == s->root_pid && ev->exec.comm) {
			free(s->root_comm);
			s->root_comm = strndup(ev->exec.comm, SUMMARY_ARGV_BYTES);
		}
		break;
	case EV_TASK:
		if (ev->pid == s->root_pid && ev->tid == ev->pid && ev->task.comm && !s->root_comm)
			s->root_comm = strndup(ev->task.comm, SUMMARY_ARGV_BYTES);
		break;
	case EV_EXIT:
		add_exit(s, ev);
		add_space_event(s, ev);
		break;
	case EV_OPEN:
		add_open(s, ev);
		break;
	case EV_CONNECT:
		add_connect(s, ev, false, ev->connect.proto, ev->connect.addr);
		break;
	case EV_ACCEPT:
		if (!ev->err)
			add_connect(s, ev, true, ev->accept.proto, ev->accept.peer_addr);
		break;
	case EV_IO:
		if (!ev->err)
			add_io_bytes(s, &ev->io.fd, ev->io.op == IO_WRITE || ev->io.op == IO_SEND,
				     ev->io.bytes, ev->io.addr, ev->ts_ns);
		break;
	case EV_TRANSFER:
		if (!ev->err) {
			add_io_bytes(s, &ev->transfer.src, false, ev->transfer.bytes, NULL, ev->ts_ns);
			add_io_bytes(s, &ev->transfer.dst, true, ev->transfer.bytes, NULL, ev->ts_ns);
		}
		break;
	case EV_BRK:
	case EV_MMAP:
	case EV_MUNMAP:
	case EV_MREMAP:
	case EV_MPROTECT:
		add_space_event(s, ev);
		break;
	case EV_FAULT:
		add_fault(s, ev);
		break;
	case EV_SCHED:
		s->sched_count++;
		s->sched_total_ns += ev->sched.delay_ns;
		if (ev->sched.delay_ns > s->sched_max_ns)
			s->sched_max_ns = ev->sched.delay_ns;
		s->lat[HIST_SCHED].ev_hist[lat_bucket(ev->sched.delay_ns)]++;
		break;
	case EV_BLOCK:
		add_block(s, ev);
		break;
	case EV_HIST:
		add_hist(s, ev);
		break;
	case EV_LOSS:
		add_loss(s, ev->loss.source, ev->loss.count, false);
		break;
	default:
		break;
	}
}

/* ---- header, trailer, end ---------------------------------------------- */

void summary_add_header(struct summary *s, const struct rec_header *h)
{
	s->have_header = true;
	s->mode = h->mode;
	s->root_pid = h->root_pid;
	s->tasks = 1;
	if (h->page_size >= 512 && h->page_size <= (1u << 30) && !(h->page_size & (h->page_size - 1)))
		s->page_size = h->page_size;
	uint32_t argc = h->argc < EVENT_MAX_ARGV ? h->argc : EVENT_MAX_ARGV;
	if (argc && h->argv && !s->argv) {
		s->argv = calloc(argc, sizeof(char *));
		if (s->argv) {
			for (uint32_t i = 0; i < argc; i++)
				s->argv[i] = dup_str(h->argv[i] ? h->argv[i] : "");
			s->argc = argc;
		}
	}
	for (uint32_t i = 0; i < h->nsources && i < REC_MAX_SOURCES; i++) {
		const char *n = h->sources[i].name;
		if (!n || !h->sources[i].active)
			continue;
		if (strstr(n, "fault"))
			s->src_faults = true;
		else if (strstr(n, "sched"))
			s->src_sched = true;
		else if (strstr(n, "block"))
			s->src_block = true;
	}
}

void summary_add_trailer(struct summary *s, const struct rec_trailer *t)
{
	s->has_trailer = true;
	s->end_reason = t->end_reason;
	s->end_ts_ns = t->end_ts_ns;
	if (t->end_reason != REC_END_DETACHED && t->end_reason != REC_END_ERROR) {
		s->root_exited = true;
		s->exit_code = t->exit_code;
		s->exit_signal = t->exit_signal;
		s->core_dumped = t->core_dumped;
	}
	for (uint32_t i = 0; i < t->nlosses && i < REC_MAX_LOSSES; i++)
		add_loss(s, t->losses[i].source, t->losses[i].count, true);
}

void summary_add_end(struct summary *s, const struct rec_integrity *in)
{
	s->ended = true;
	s->integrity = *in;
	/* final memory: each address space as it ended */
	s->heap = s->mmap = 0;
	s->regions = 0;
	s->heap_peak = s->mmap_peak = 0;
	s->regions_peak = 0;
	for (uint32_t i = 0; i < s->nspaces; i++) {
		struct regions *m = s->spaces[i].map;
		s->heap += regions_heap_bytes(m);
		s->mmap += regions_mapped_bytes(m);
		s->regions += regions_count(m);
		s->heap_peak += regions_peak_heap_bytes(m);
		s->mmap_peak += regions_peak_bytes(m);
		s->regions_peak += regions_peak_count(m);
	}
	if (s->total_peak < s->heap + s->mmap)
		s->total_peak = s->heap + s->mmap;
}

static void reordered_event(void *c, const struct event *ev) { summary_add_event(c, ev); }

/* Faults are attributed with the map of their time: put them in order. */
static void sink_header(void *c, const struct rec_header *h)
{
	struct summary *s = c;
	summary_add_header(s, h);
	if (s->src_faults && !s->order)
		s->order = reorder_new(reordered_event, s);
}

static void sink_event(void *c, const struct event *ev)
{
	struct summary *s = c;
	if (s->order)
		reorder_push(s->order, ev);
	else
		summary_add_event(s, ev);
}

static void sink_trailer(void *c, const struct rec_trailer *t) { summary_add_trailer(c, t); }

static void sink_end(void *c, const struct rec_integrity *in)
{
	struct summary *s = c;
	if (s->order)
		reorder_drain(s->order);
	summary_add_end(s, in);
}

struct event_sink summary_sink(struct summary *s)
{
	return (struct event_sink){ .ctx = s, .header = sink_header, .event = sink_event,
				    .trailer = sink_trailer, .end = sink_end };
}

/* ---- queries ------------------------------------------------------------ */

uint64_t summary_lost(const struct summary *s)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < s->nlosses; i++)
		n += s->losses[i].count;
	return n;
}

uint64_t summary_lost_from(const struct summary *s, const char *prefix)
{
	uint64_t n = 0;
	size_t l = strlen(prefix);
	for (uint32_t i = 0; i < s->nlosses; i++)
		if (!strncmp(s->losses[i].source, prefix, l))
			n += s->losses[i].count;
	return n;
}

const uint64_t *summary_latency_hist(const struct summary *s, unsigned kind)
{
	if (kind >= HIST__COUNT)
		kind = HIST_SCHED;
	const struct summary_latency *l = &s->lat[kind];
	return l->have_hist ? l->hist : l->ev_hist;
}

uint64_t summary_latency_quantile(const struct summary *s, unsigned kind, double q,
				  uint64_t *lo, uint64_t *hi)
{
	const uint64_t *h = summary_latency_hist(s, kind);
	uint64_t total = 0, seen = 0;
	*lo = *hi = 0;
	for (unsigned i = 0; i < EVENT_MAX_HIST_BUCKETS; i++)
		total += h[i];
	if (!total)
		return 0;
	/* the rank of the quantile, 1-based, rounded up (nearest-rank) */
	uint64_t rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total || !rank)
		rank++;
	for (unsigned i = 0; i < EVENT_MAX_HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= rank) {
			*lo = i ? 1ull << i : 0;
			*hi = i < 63 ? 1ull << (i + 1) : UINT64_MAX;
			break;
		}
	}
	return total;
}

uint64_t summary_duration_ns(const struct summary *s)
{
	if (s->has_trailer && s->end_ts_ns)
		return s->end_ts_ns;
	return s->last_ts_ns;
}

enum summary_completeness summary_completeness(const struct summary *s)
{
	if (!s->has_trailer || s->integrity.truncated)
		return SUMMARY_TRUNCATED;
	switch (s->end_reason) {
	case REC_END_INTERRUPTED: return SUMMARY_INTERRUPTED;
	case REC_END_DETACHED: return SUMMARY_DETACHED;
	case REC_END_ERROR: return SUMMARY_FAILED;
	default: return SUMMARY_COMPLETE;
	}
}

/* ---- life cycle --------------------------------------------------------- */

struct summary *summary_new(void)
{
	struct summary *s = calloc(1, sizeof(*s));
	if (s) {
		s->last_file = -1;
		s->page_size = 4096;
	}
	return s;
}

static void free_strv(char **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void summary_free(struct summary *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nfiles; i++)
		free(s->files[i].path);
	for (uint32_t i = 0; i < s->npeers; i++)
		free(s->peers[i].addr);
	for (uint32_t i = 0; i < s->nprocs; i++) {
		free(s->procs[i].path);
		free(s->procs[i].comm);
		free_strv(s->procs[i].argv, s->procs[i].argc);
	}
	summary_spaces_free(&s->space_set);
	reorder_free(s->order);
	for (uint32_t i = 0; i < s->nlosses; i++)
		free(s->losses[i].source);
	free_strv(s->argv, s->argc);
	free(s->root_comm);
	free(s->files);
	free(s->peers);
	free(s->procs);
	free(s->losses);
	free(s->file_index);
	free(s->peer_index);
	free(s);
}
