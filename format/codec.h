/*
 * codec.h - internal to format/: converts between `struct event` and the
 * schema's protobuf messages, with the per-frame interning and delta state.
 * writer.c and reader.c are its only users.
 */
#ifndef COMPENDIUM_CODEC_H
#define COMPENDIUM_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "compendium.pb-c.h"
#include "event.h"

/* A growable byte buffer. */
struct buf {
	uint8_t *data;
	size_t len, cap;
};
int buf_reserve(struct buf *b, size_t extra); /* 0 or -ENOMEM */
void buf_free(struct buf *b);

/* Appends a varint length and the packed record. 0 or -ENOMEM. */
int codec_put_record(struct buf *out, const Compendium__Record *r);

/* ---- encoder: per-frame state ---------------------------------------- */

struct intern_slot;

struct codec_enc {
	struct intern_slot *slots;
	uint32_t nslots, used, gen;
	uint32_t next_id;      /* next string id of this frame */
	uint64_t last_ts;      /* for ts deltas */
	uint64_t last_fault;   /* for fault address deltas */
	struct buf arena;      /* interned string bytes of this frame */
};

void codec_enc_init(struct codec_enc *e);
void codec_enc_free(struct codec_enc *e);
/* A new frame: string ids and deltas restart. */
void codec_enc_reset(struct codec_enc *e);

/* The id of `s` (NULL: 0) in this frame; appends its definition to `out`
 * when it is new. Sets *err to -ENOMEM on failure. */
uint32_t codec_intern(struct codec_enc *e, const char *s, struct buf *out, int *err);

/* Appends `ev` (and the string definitions it needs first) to `out`. */
int codec_encode_event(struct codec_enc *e, const struct event *ev, struct buf *out);
/* The same through protobuf-c only (the reference for fastpb.c's output). */
int codec_encode_event_pb(struct codec_enc *e, const struct event *ev, struct buf *out);
int codec_encode_header(const struct rec_header *h, struct buf *out);
int codec_encode_trailer(const struct rec_trailer *t, struct buf *out);

/* ---- decoder: per-frame state ---------------------------------------- */

struct codec_dec {
	const char **strs;     /* strs[id - 1], NUL-terminated, in `arena` */
	uint32_t nstrs, cap;
	struct buf arena;
	uint64_t last_ts, last_fault;
	const char *argv[EVENT_MAX_ARGV];
	uint32_t bad_refs;     /* string ids that referred to nothing */
};

void codec_dec_init(struct codec_dec *d);
void codec_dec_free(struct codec_dec *d);
void codec_dec_reset(struct codec_dec *d, size_t frame_len);
/* Defines the next string id. 0 or -ENOMEM. */
int codec_dec_string(struct codec_dec *d, const uint8_t *p, size_t n);
/* The string of id (0: NULL); an id beyond the table counts in bad_refs
 * and reads as NULL. */
const char *codec_dec_ref(struct codec_dec *d, uint32_t id);
/* Fills `ev` from `pe`; strings point into `d`. 0, or -EINVAL when the
 * event has no known kind (a newer minor version's kind). */
int codec_decode_event(struct codec_dec *d, const Compendium__Event *pe, struct event *ev);
/* Header strings and arrays are copied into `arena` (valid until it is reset). */
int codec_decode_header(const Compendium__Header *ph, struct rec_header *h, struct buf *arena);
void codec_decode_trailer(const Compendium__Trailer *pt, struct rec_trailer *t);

uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
