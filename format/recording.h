/*
 * recording.h - writing and reading compendium recordings.
 *
 * The byte layout is specified in schemas/compendium.proto. This module is
 * the only code that knows it: everything else sees `struct event`s.
 *
 * Writer: the caller's thread (the tracer) encodes each event into the
 * current frame buffer (interning strings, delta-coding time); a writer
 * thread compresses full buffers with zstd and writes them, so compression
 * never runs on the tracer's thread. A frame is handed over when it reaches
 * ~64 KiB or is ~250 ms old, whichever comes first, so a recorder killed with
 * SIGKILL loses at most the last 250 ms. The writer thread also fdatasyncs
 * at most every 250 ms, so a host crash loses little more.
 *
 * Reader: streams frames; memory is bounded by the largest frame (16 MiB),
 * never by the file size.
 */
#ifndef COMPENDIUM_RECORDING_H
#define COMPENDIUM_RECORDING_H

#include <stdio.h>

#include "event.h"

#define RECORDING_MAJOR 1
#define RECORDING_MINOR 0
#define RECORDING_MAGIC "CMPNDM\r\n"
#define RECORDING_FRAME_MAGIC "CFRM"
#define RECORDING_FILE_HEADER_SIZE 16
#define RECORDING_FRAME_HEADER_SIZE 16
#define RECORDING_MAX_FRAME (16u << 20)     /* compressed or not */
#define RECORDING_FLUSH_BYTES (64u << 10)   /* hand a frame over at this size */
#define RECORDING_FLUSH_NS (250ull * 1000 * 1000)

/* ---- writer --------------------------------------------------------------- */

struct recording_writer;

struct recording_writer_opts {
	int zstd_level;     /* 0: default (3) */
	size_t flush_bytes; /* 0: RECORDING_FLUSH_BYTES (tests use small frames) */
	uint64_t flush_ns;  /* 0: RECORDING_FLUSH_NS */
};

/*
 * Creates `path` (O_EXCL unless `force`; "-" means standard output) and
 * writes the 16-byte file header. `opts` may be NULL. Returns NULL and sets
 * errno on failure (EEXIST when the file exists and !force). The writer owns
 * the file until recording_writer_close().
 */
struct recording_writer *recording_writer_open(const char *path, bool force,
					       const struct recording_writer_opts *opts);

/* Same, on an already open fd that the writer takes ownership of. */
struct recording_writer *recording_writer_fdopen(int fd,
						 const struct recording_writer_opts *opts);

/*
 * Writes the recording header (strings copied) in a frame of its own, flushed
 * at once. Call it once, before any event.
 */
int recording_write_header(struct recording_writer *w, const struct rec_header *h);

/*
 * Appends one event. Not thread-safe against other appends: one producer.
 * Strings in `ev` are copied. Returns 0, or -errno when the writer failed
 * earlier (disk full, ...): the error sticks and later calls return it too.
 */
int recording_write_event(struct recording_writer *w, const struct event *ev);

/* Hands the current frame to the writer thread now. */
int recording_writer_flush(struct recording_writer *w);

/*
 * Writes the trailer `t` (NULL: none; pass NULL when the trailer already
 * went through the sink adapter, or to simulate a recorder that died), flushes,
 * fsyncs, joins the writer thread, closes the file and frees `w`.
 * Returns 0 or the first -errno the writer met.
 */
int recording_writer_close(struct recording_writer *w, const struct rec_trailer *t);

/* Events accepted so far. */
uint64_t recording_writer_events(const struct recording_writer *w);

/*
 * The sink adapter: header, events and trailer given to this sink are
 * written to `w`; `end` does nothing (close the writer yourself).
 */
struct event_sink recording_writer_sink(struct recording_writer *w);

/* ---- reader --------------------------------------------------------------- */

enum recording_status {
	RECORDING_OK = 0,        /* read to the end, nothing wrong */
	RECORDING_TRUNCATED = 1, /* file ends inside a frame (or without trailer) */
	RECORDING_CORRUPT = 2,   /* some frames were skipped */
	RECORDING_ERROR = 3,     /* not a recording, newer major, I/O error */
};

struct recording_read_result {
	enum recording_status status;
	struct rec_integrity integrity;
	char message[256];       /* human-readable, empty when OK */
};

/*
 * Reads the recording from `f` (which the caller owns and closes) and feeds
 * header, events, trailer and end to `sink`, in file order. Stops early
 * only on RECORDING_ERROR (then before any event, or on an I/O error).
 * Corrupt frames are skipped and counted; a truncated tail ends the read
 * after the last complete frame. `warn`, when not NULL, receives one line
 * per problem as it is found (e.g. "frame at offset 1234 is corrupt").
 */
enum recording_status recording_read(FILE *f, const struct event_sink *sink,
				     struct recording_read_result *res,
				     void (*warn)(void *ctx, const char *msg), void *warn_ctx);

/* Reads from a memory buffer (the fuzz target and tests). */
enum recording_status recording_read_mem(const void *buf, size_t len,
					 const struct event_sink *sink,
					 struct recording_read_result *res);

#endif
