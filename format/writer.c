/*
 * writer.c - writes recordings: the producer (tracer) thread encodes events
 * into the active frame buffer; a writer thread compresses and writes full or
 * old frames. The lock is held only to encode one event or to swap a buffer.
 *
 * Backpressure: at most WRITER_QUEUE frames wait for the writer thread; when
 * the disk cannot keep up the producer waits rather than drop events or grow
 * memory without bound.
 */
#define _GNU_SOURCE
#include "recording.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "codec.h"
#include "util.h"

#define WRITER_QUEUE 8

struct frame {
	struct buf b;
	uint64_t t0; /* CLOCK_MONOTONIC when its first record went in */
};

struct recording_writer {
	int fd;
	int level;
	size_t flush_bytes;
	uint64_t flush_ns;

	pthread_mutex_t mu;
	pthread_cond_t wake_writer, wake_producer;
	pthread_t thread;
	bool closing;
	int err; /* sticky first error, negative errno */

	struct codec_enc enc;  /* state of the active frame */
	struct frame *active;
	struct frame *queue[WRITER_QUEUE];
	unsigned qhead, qlen;
	struct frame *spare[WRITER_QUEUE + 2];
	unsigned nspare;
	uint64_t events;

	/* writer thread only */
	ZSTD_CCtx *zc;
	struct buf out;
	uint64_t last_sync;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = write(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- writer thread ------------------------------------------------------ */

static int write_frame(struct recording_writer *w, const struct frame *f)
{
	size_t bound = ZSTD_compressBound(f->b.len);
	w->out.len = 0;
	if (buf_reserve(&w->out, RECORDING_FRAME_HEADER_SIZE + bound))
		return -ENOMEM;
	uint8_t *hdr = w->out.data;
	size_t c = ZSTD_compressCCtx(w->zc, hdr + RECORDING_FRAME_HEADER_SIZE, bound,
				     f->b.data, f->b.len, w->level);
	if (ZSTD_isError(c))
		return -EIO;
	memcpy(hdr, RECORDING_FRAME_MAGIC, 4);
	put_le32(hdr + 4, (uint32_t)c);
	put_le32(hdr + 8, (uint32_t)f->b.len);
	uint32_t crc = crc32c(0, hdr, 12);
	put_le32(hdr + 12, crc32c(crc, hdr + RECORDING_FRAME_HEADER_SIZE, c));
	int rc = write_all(w->fd, hdr, RECORDING_FRAME_HEADER_SIZE + c);
	uint64_t now = util_mono_ns();
	if (!rc && now - w->last_sync >= w->flush_ns) {
		fdatasync(w->fd); /* EINVAL on pipes: nothing to sync there */
		w->last_sync = now;
	}
	return rc;
}

static struct frame *take_spare(struct recording_writer *w)
{
	if (w->nspare)
		return w->spare[--w->nspare];
	return calloc(1, sizeof(struct frame));
}

/* Locked. Detaches the active frame and starts a new one. */
static struct frame *detach_active(struct recording_writer *w)
{
	struct frame *nf = take_spare(w);
	if (!nf)
		return NULL;
	struct frame *f = w->active;
	w->active = nf;
	nf->b.len = 0;
	codec_enc_reset(&w->enc);
	return f;
}

static void recycle(struct recording_writer *w, struct frame *f)
{
	f->b.len = 0;
	if (w->nspare < sizeof(w->spare) / sizeof(w->spare[0])) {
		w->spare[w->nspare++] = f;
	} else {
		buf_free(&f->b);
		free(f);
	}
}

static void write_unlocked(struct recording_writer *w, struct frame *f)
{
	pthread_mutex_unlock(&w->mu);
	int rc = write_frame(w, f);
	pthread_mutex_lock(&w->mu);
	if (rc && !w->err)
		w->err = rc;
	recycle(w, f);
	pthread_cond_broadcast(&w->wake_producer);
}

static void wait_until(struct recording_writer *w, uint64_t deadline)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ull),
			       .tv_nsec = (long)(deadline % 1000000000ull) };
	pthread_cond_timedwait(&w->wake_writer, &w->mu, &ts);
}

static void *writer_main(void *arg)
{
	struct recording_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		if (w->qlen) {
			struct frame *f = w->queue[w->qhead];
			w->qhead = (w->qhead + 1) % WRITER_QUEUE;
			w->qlen--;
			write_unlocked(w, f);
			continue;
		}
		uint64_t now = util_mono_ns();
		bool old = w->active->b.len && now - w->active->t0 >= w->flush_ns;
		if (w->active->b.len && (old || w->closing)) {
			struct frame *f = detach_active(w);
			if (f) {
				write_unlocked(w, f);
				continue;
			}
			if (!w->err)
				w->err = -ENOMEM;
		}
		if (w->closing)
			break;
		wait_until(w, w->active->b.len ? w->active->t0 + w->flush_ns : now + w->flush_ns);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* ---- producer side ------------------------------------------------------ */

/* Locked. Queues the active frame for the writer thread. */
static int hand_over(struct recording_writer *w)
{
	if (!w->active->b.len)
		return 0;
	while (w->qlen == WRITER_QUEUE && !w->err)
		pthread_cond_wait(&w->wake_producer, &w->mu);
	if (w->err)
		return w->err;
	struct frame *f = detach_active(w);
	if (!f)
		return w->err = -ENOMEM;
	w->queue[(w->qhead + w->qlen) % WRITER_QUEUE] = f;
	w->qlen++;
	pthread_cond_signal(&w->wake_writer);
	return 0;
}

static void mark_start(struct recording_writer *w)
{
	if (!w->active->b.len)
		w->active->t0 = util_mono_ns();
}

static int writer_start(struct recording_writer *w, const struct recording_writer_opts *o)
{
	w->level = o && o->zstd_level ? o->zstd_level : 3;
	w->flush_bytes = o && o->flush_bytes ? o->flush_bytes : RECORDING_FLUSH_BYTES;
	w->flush_ns = o && o->flush_ns ? o->flush_ns : RECORDING_FLUSH_NS;
	codec_enc_init(&w->enc);
	w->active = calloc(1, sizeof(struct frame));
	w->zc = ZSTD_createCCtx();
	if (!w->active || !w->zc)
		return -ENOMEM;
	uint8_t hdr[RECORDING_FILE_HEADER_SIZE] = { 0 };
	memcpy(hdr, RECORDING_MAGIC, 8);
	hdr[8] = RECORDING_MAJOR & 0xff;
	hdr[9] = RECORDING_MAJOR >> 8;
	hdr[10] = RECORDING_MINOR & 0xff;
	hdr[11] = RECORDING_MINOR >> 8;
	int rc = write_all(w->fd, hdr, sizeof(hdr));
	if (rc)
		return rc;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake_writer, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->wake_producer, NULL);
	pthread_mutex_init(&w->mu, NULL);
	/* The writer thread takes no signal: Ctrl-C and friends belong to the
	 * thread that decides how a recording ends (see tracer.h). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&w->wake_writer);
		pthread_cond_destroy(&w->wake_producer);
		pthread_mutex_destroy(&w->mu);
	}
	return rc;
}

static void writer_free(struct recording_writer *w)
{
	codec_enc_free(&w->enc);
	if (w->active)
		buf_free(&w->active->b);
	free(w->active);
	for (unsigned i = 0; i < w->nspare; i++) {
		buf_free(&w->spare[i]->b);
		free(w->spare[i]);
	}
	ZSTD_freeCCtx(w->zc);
	buf_free(&w->out);
	free(w);
}

struct recording_writer *recording_writer_fdopen(int fd, const struct recording_writer_opts *o)
{
	struct recording_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	w->fd = fd;
	int rc = writer_start(w, o);
	if (rc) {
		close(fd);
		writer_free(w);
		errno = -rc;
		return NULL;
	}
	return w;
}

struct recording_writer *recording_writer_open(const char *path, bool force,
					       const struct recording_writer_opts *o)
{
	if (!strcmp(path, "-"))
		return recording_writer_fdopen(dup(STDOUT_FILENO), o);
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return NULL;
	return recording_writer_fdopen(fd, o);
}

int recording_write_header(struct recording_writer *w, const struct rec_header *h)
{
	pthread_mutex_lock(&w->mu);
	int rc = w->err;
	if (!rc) {
		mark_start(w);
		rc = codec_encode_header(h, &w->active->b);
	}
	if (!rc)
		rc = hand_over(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int recording_write_event(struct recording_writer *w, const struct event *ev)
{
	pthread_mutex_lock(&w->mu);
	int rc = w->err;
	if (!rc) {
		mark_start(w);
		rc = codec_encode_event(&w->enc, ev, &w->active->b);
		if (rc == -ENOMEM)
			w->err = rc;
	}
	if (!rc) {
		w->events++;
		if (w->active->b.len >= w->flush_bytes)
			rc = hand_over(w);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int recording_writer_flush(struct recording_writer *w)
{
	pthread_mutex_lock(&w->mu);
	int rc = w->err ? w->err : hand_over(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

uint64_t recording_writer_events(const struct recording_writer *w)
{
	return w->events;
}

/* The recorder's own cost goes into the trailer, for `make bench` and for
 * anyone wondering what recording cost on a production host. */
static void add_self_usage(struct rec_trailer *t)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru))
		return;
	if (!t->recorder_max_rss_kb)
		t->recorder_max_rss_kb = (uint64_t)ru.ru_maxrss;
	if (!t->recorder_cpu_ns)
		t->recorder_cpu_ns =
			(uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
			(uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static int write_trailer(struct recording_writer *w, const struct rec_trailer *t)
{
	struct rec_trailer tr = *t;
	add_self_usage(&tr);
	pthread_mutex_lock(&w->mu);
	int rc = w->err;
	if (!rc) {
		mark_start(w);
		rc = codec_encode_trailer(&tr, &w->active->b);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int recording_writer_close(struct recording_writer *w, const struct rec_trailer *t)
{
	if (t)
		write_trailer(w, t);
	pthread_mutex_lock(&w->mu);
	w->closing = true;
	pthread_cond_signal(&w->wake_writer);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	int rc = w->err;
	if (fdatasync(w->fd) && !rc && errno != EINVAL)
		rc = -errno;
	if (close(w->fd) && !rc)
		rc = -errno;
	pthread_cond_destroy(&w->wake_writer);
	pthread_cond_destroy(&w->wake_producer);
	pthread_mutex_destroy(&w->mu);
	writer_free(w);
	return rc;
}

/* ---- sink adapter --------------------------------------------------------- */

static void sink_header(void *ctx, const struct rec_header *h)
{
	recording_write_header(ctx, h);
}

static void sink_event(void *ctx, const struct event *ev)
{
	recording_write_event(ctx, ev);
}

static void sink_trailer(void *ctx, const struct rec_trailer *t)
{
	write_trailer(ctx, t);
}

struct event_sink recording_writer_sink(struct recording_writer *w)
{
	return (struct event_sink){ .ctx = w, .header = sink_header, .event = sink_event,
				    .trailer = sink_trailer };
}
