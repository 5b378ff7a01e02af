/*
 * fuzz_reader.c - libFuzzer target for the recording reader: any bytes must
 * read without a crash, a leak or undefined behaviour, and every string the
 * reader hands to a sink must be a valid, bounded C string.
 *
 * Inputs starting with '!' are taken as the decompressed content of a frame
 * and wrapped in a valid file and frame (right sizes and CRC), so the fuzzer
 * reaches the record decoders instead of stopping at the frame checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec.h"
#include "recording.h"

static volatile size_t sink_bytes;

static void touch(const char *s)
{
	if (s)
		sink_bytes += strnlen(s, EVENT_MAX_STRING + 1);
}

static void on_header(void *ctx, const struct rec_header *h)
{
	(void)ctx;
	for (uint32_t i = 0; i < h->argc; i++)
		touch(h->argv[i]);
	touch(h->hostname);
	touch(h->tool_version);
	for (uint32_t i = 0; i < h->nsources; i++)
		touch(h->sources[i].reason);
}

static void on_event(void *ctx, const struct event *ev)
{
	(void)ctx;
	switch (ev->kind) {
	case EV_EXEC:
		touch(ev->exec.path);
		for (uint32_t i = 0; i < ev->exec.argc; i++)
			touch(ev->exec.argv[i]);
		break;
	case EV_OPEN: touch(ev->open.path); break;
	case EV_IO: touch(ev->io.fd.name); touch(ev->io.addr); break;
	case EV_TRANSFER: touch(ev->transfer.src.name); touch(ev->transfer.dst.name); break;
	case EV_HIST:
		for (uint32_t i = 0; i < ev->hist.nbuckets; i++)
			sink_bytes += ev->hist.buckets[i];
		touch(ev->hist.unit);
		break;
	case EV_NOTE: touch(ev->note.text); break;
	case EV_LOSS: touch(ev->loss.source); touch(ev->loss.reason); break;
	default: break;
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A file holding one frame whose content is `data`. */
static uint8_t *wrap(const uint8_t *data, size_t size, size_t *len)
{
	size_t bound = ZSTD_compressBound(size);
	uint8_t *f = malloc(RECORDING_FILE_HEADER_SIZE + RECORDING_FRAME_HEADER_SIZE + bound);
	memcpy(f, RECORDING_MAGIC, 8);
	memset(f + 8, 0, 8);
	f[8] = RECORDING_MAJOR;
	uint8_t *h = f + RECORDING_FILE_HEADER_SIZE;
	size_t c = ZSTD_compress(h + RECORDING_FRAME_HEADER_SIZE, bound, data, size, 1);
	memcpy(h, RECORDING_FRAME_MAGIC, 4);
	put_le32(h + 4, (uint32_t)c);
	put_le32(h + 8, (uint32_t)size);
	put_le32(h + 12, crc32c(crc32c(0, h, 12), h + RECORDING_FRAME_HEADER_SIZE, c));
	*len = RECORDING_FILE_HEADER_SIZE + RECORDING_FRAME_HEADER_SIZE + c;
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_sink s = { .header = on_header, .event = on_event };
	struct recording_read_result res;
	if (size > 0 && data[0] == '!') {
		size_t len;
		uint8_t *f = wrap(data + 1, size - 1, &len);
		recording_read_mem(f, len, &s, &res);
		free(f);
		return 0;
	}
	recording_read_mem(data, size, &s, &res);
	return 0;
}
