/*
 * reorder.c - the time-order window for late sources (see reorder.h).
 *
 * Copies live in chunks allocated by bumping a pointer; each chunk counts the
 * copies still held in it and is recycled when that count falls to zero.
 * Events leave in nearly the order they came, so chunks empty in order and
 * the memory in use stays about the window's worth.
 */
#define _GNU_SOURCE
#include "replay/reorder.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (256u << 10)

struct chunk {
	struct chunk *next;  /* on the free list */
	size_t used, cap;
	uint32_t live;       /* copies in it not yet released */
	_Alignas(16) char data[];
};

struct entry {
	uint64_t key, seq;
	struct event *ev;
	struct chunk *ch;
	size_t size;
};

struct reorder {
	reorder_fn fn;
	void *ctx;
	/* ptrace events: a ring in arrival order */
	struct entry *fifo;
	uint32_t fhead, fcount, fcap; /* fcap a power of two */
	uint64_t fifo_key;            /* last key given: keys never decrease */
	/* late kinds: a binary min-heap on (key, seq) */
	struct entry *heap;
	uint32_t hcount, hcap;
	uint64_t seq, watermark;
	size_t bytes;                 /* held copies */
	struct chunk *cur, *spare;
};

struct reorder *reorder_new(reorder_fn fn, void *ctx)
{
	struct reorder *r = calloc(1, sizeof(*r));
	if (r) {
		r->fn = fn;
		r->ctx = ctx;
	}
	return r;
}

/* ---- copies ------------------------------------------------------------- */

/* The string fields of an event, as pointers into the (copied) struct. */
static unsigned string_fields(struct event *ev, const char **f[6])
{
	switch (ev->kind) {
	case EV_EXEC: f[0] = &ev->exec.path; f[1] = &ev->exec.comm; return 2;
	case EV_OPEN: f[0] = &ev->open.path; return 1;
	case EV_CLOSE: f[0] = &ev->close.fd.name; return 1;
	case EV_FILE_OP: f[0] = &ev->file_op.path; f[1] = &ev->file_op.path2; return 2;
	case EV_DUP: f[0] = &ev->dup.old_fd.name; return 1;
	case EV_CONNECT: f[0] = &ev->connect.addr; return 1;
	case EV_BIND: f[0] = &ev->bind.addr; return 1;
	case EV_LISTEN: f[0] = &ev->listen.addr; return 1;
	case EV_ACCEPT: f[0] = &ev->accept.local_addr; f[1] = &ev->accept.peer_addr; return 2;
	case EV_IO: f[0] = &ev->io.fd.name; f[1] = &ev->io.addr; return 2;
	case EV_TRANSFER: f[0] = &ev->transfer.src.name; f[1] = &ev->transfer.dst.name; return 2;
	case EV_MMAP: f[0] = &ev->mmap.path; return 1;
	case EV_HIST: f[0] = &ev->hist.unit; return 1;
	case EV_LOSS: f[0] = &ev->loss.source; f[1] = &ev->loss.reason; return 2;
	case EV_NOTE: f[0] = &ev->note.text; return 1;
	case EV_TASK: f[0] = &ev->task.comm; return 1;
	default: return 0;
	}
}

static uint32_t exec_argc(const struct event *ev)
{
	if (ev->kind != EV_EXEC || !ev->exec.argv)
		return 0;
	return ev->exec.argc < EVENT_MAX_ARGV ? ev->exec.argc : EVENT_MAX_ARGV;
}

static uint32_t hist_n(const struct event *ev)
{
	if (ev->kind != EV_HIST || !ev->hist.buckets)
		return 0;
	return ev->hist.nbuckets < EVENT_MAX_HIST_BUCKETS ? ev->hist.nbuckets
							  : EVENT_MAX_HIST_BUCKETS;
}

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

static size_t copy_size(const struct event *ev)
{
	struct event tmp = *ev;
	const char **f[6];
	size_t n = sizeof(struct event);
	unsigned k = string_fields(&tmp, f);
	for (unsigned i = 0; i < k; i++)
		if (*f[i])
			n += strlen(*f[i]) + 1;
	uint32_t argc = exec_argc(ev);
	n += (size_t)argc * sizeof(char *) + sizeof(uint64_t) * hist_n(ev);
	for (uint32_t i = 0; i < argc; i++)
		n += ev->exec.argv[i] ? strlen(ev->exec.argv[i]) + 1 : 0;
	return align16(n + 16);
}

static char *put_str(char **p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = memcpy(*p, s, n);
	*p += n;
	return d;
}

/* Lays the event out at `dst` (copy_size bytes, 16-aligned). */
static struct event *copy_into(char *dst, const struct event *ev)
{
	struct event *c = (struct event *)dst;
	char *p = dst + sizeof(*c);
	*c = *ev;
	/* pointer arrays first: they need alignment */
	uint32_t argc = exec_argc(ev);
	if (argc) {
		const char **argv = (const char **)p;
		p += (size_t)argc * sizeof(char *);
		c->exec.argv = argv;
		c->exec.argc = argc;
		for (uint32_t i = 0; i < argc; i++)
			argv[i] = NULL;
	}
	uint32_t nb = hist_n(ev);
	if (nb) {
		uint64_t *b = (uint64_t *)p;
		memcpy(b, ev->hist.buckets, nb * sizeof(uint64_t));
		p += nb * sizeof(uint64_t);
		c->hist.buckets = b;
		c->hist.nbuckets = nb;
	}
	for (uint32_t i = 0; i < argc; i++)
		if (ev->exec.argv[i])
			((const char **)c->exec.argv)[i] = put_str(&p, ev->exec.argv[i]);
	const char **f[6];
	unsigned k = string_fields(c, f);
	for (unsigned i = 0; i < k; i++)
		if (*f[i])
			*f[i] = put_str(&p, *f[i]);
	return c;
}

static struct chunk *chunk_new(size_t need)
{
	size_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;
	struct chunk *c = malloc(sizeof(*c) + cap);
	if (c)
		*c = (struct chunk){ .cap = cap };
	return c;
}

static void chunk_unref(struct reorder *r, struct chunk *c)
{
	if (--c->live)
		return;
	if (c == r->cur) {
		c->used = 0;
		return;
	}
	if (!r->spare && c->cap == CHUNK_SIZE) {
		c->used = 0;
		r->spare = c;
	} else {
		free(c);
	}
}

/* Room for `n` bytes; NULL on ENOMEM. */
static char *arena_alloc(struct reorder *r, size_t n, struct chunk **out)
{
	struct chunk *c = r->cur;
	if (!c || c->cap - c->used < n) {
		if (c && !c->live) {
			if (c->cap >= n) {
				c->used = 0;
				goto have;
			}
			free(c);
		}
		r->cur = NULL;
		if (r->spare && r->spare->cap >= n) {
			c = r->spare;
			r->spare = NULL;
		} else if (!(c = chunk_new(n))) {
			return NULL;
		}
		r->cur = c;
	}
have:
	*out = c;
	c->live++;
	char *p = c->data + c->used;
	c->used += n;
	return p;
}

/* ---- the queues --------------------------------------------------------- */

static bool before(const struct entry *a, const struct entry *b)
{
	return a->key != b->key ? a->key < b->key : a->seq < b->seq;
}

static void heap_up(struct entry *h, uint32_t i)
{
	struct entry e = h[i];
	while (i) {
		uint32_t p = (i - 1) / 2;
		if (!before(&e, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

static void heap_down(struct entry *h, uint32_t n, uint32_t i)
{
	struct entry e = h[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(&h[c + 1], &h[c]))
			c++;
		if (!before(&h[c], &e))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static int fifo_push(struct reorder *r, const struct entry *e)
{
	if (r->fcount == r->fcap) {
		uint32_t nc = r->fcap ? r->fcap * 2 : 1024;
		struct entry *n = malloc((size_t)nc * sizeof(*n));
		if (!n)
			return -1;
		for (uint32_t i = 0; i < r->fcount; i++)
			n[i] = r->fifo[(r->fhead + i) & (r->fcap - 1)];
		free(r->fifo);
		r->fifo = n;
		r->fhead = 0;
		r->fcap = nc;
	}
	r->fifo[(r->fhead + r->fcount++) & (r->fcap - 1)] = *e;
	return 0;
}

static int heap_push(struct reorder *r, const struct entry *e)
{
	if (r->hcount == r->hcap) {
		uint32_t nc = r->hcap ? r->hcap * 2 : 1024;
		struct entry *n = realloc(r->heap, (size_t)nc * sizeof(*n));
		if (!n)
			return -1;
		r->heap = n;
		r->hcap = nc;
	}
	r->heap[r->hcount] = *e;
	heap_up(r->heap, r->hcount++);
	return 0;
}

/* The next entry to release, NULL when empty. */
static const struct entry *next_entry(const struct reorder *r, bool *from_heap)
{
	const struct entry *f = r->fcount ? &r->fifo[r->fhead] : NULL;
	const struct entry *h = r->hcount ? &r->heap[0] : NULL;
	*from_heap = h && (!f || before(h, f));
	return *from_heap ? h : f;
}

static void release_one(struct reorder *r)
{
	bool from_heap;
	const struct entry *n = next_entry(r, &from_heap);
	struct entry e = *n;
	if (from_heap) {
		r->heap[0] = r->heap[--r->hcount];
		if (r->hcount)
			heap_down(r->heap, r->hcount, 0);
	} else {
		r->fhead = (r->fhead + 1) & (r->fcap - 1);
		r->fcount--;
	}
	r->fn(r->ctx, e.ev);
	r->bytes -= e.size;
	chunk_unref(r, e.ch);
}

void reorder_push(struct reorder *r, const struct event *ev)
{
	bool late = reorder_late_kind(ev->kind);
	uint64_t key = ev->ts_ns;
	if (!late) {
		key = ev->ts_ns + ev->dur_ns;
		if (key < r->fifo_key)
			key = r->fifo_key;
	}
	size_t n = copy_size(ev);
	struct chunk *ch = NULL;
	char *mem = arena_alloc(r, n, &ch);
	if (!mem) {
		r->fn(r->ctx, ev);
		return;
	}
	struct entry e = { .key = key, .seq = r->seq++, .ev = copy_into(mem, ev), .ch = ch,
			   .size = n };
	if ((late ? heap_push(r, &e) : fifo_push(r, &e)) < 0) {
		r->fn(r->ctx, ev);
		chunk_unref(r, ch);
		return;
	}
	if (!late)
		r->fifo_key = key;
	r->bytes += n;
	if (key > r->watermark)
		r->watermark = key;
	for (;;) {
		bool from_heap;
		const struct entry *next = next_entry(r, &from_heap);
		if (!next)
			break;
		bool due = next->key + REORDER_WINDOW_NS <= r->watermark;
		bool full = r->fcount + r->hcount > REORDER_MAX_EVENTS || r->bytes > REORDER_MAX_BYTES;
		if (!due && !full)
			break;
		release_one(r);
	}
}

void reorder_drain(struct reorder *r)
{
	while (r->fcount + r->hcount)
		release_one(r);
}

void reorder_free(struct reorder *r)
{
	if (!r)
		return;
	/* drop the copies still held, so their chunks are freed */
	for (uint32_t i = 0; i < r->fcount; i++)
		chunk_unref(r, r->fifo[(r->fhead + i) & (r->fcap - 1)].ch);
	for (uint32_t i = 0; i < r->hcount; i++)
		chunk_unref(r, r->heap[i].ch);
	free(r->fifo);
	free(r->heap);
	free(r->cur);
	free(r->spare);
	free(r);
}
