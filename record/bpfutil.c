/* bpfutil.c - see bpfutil.h. */
#include "record/bpfutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static void *bpflink_destroy(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void bpfutil_detach_all(struct bpf_object_skeleton *s)
{
	int n = s->prog_cnt;
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	bool *started = calloc((size_t)n, sizeof(*started));

	for (int i = 0; i < n; i++) {
		struct bpf_prog_skeleton *p =
			(void *)((char *)s->progs + (size_t)i * (size_t)s->prog_skel_sz);
		struct bpf_link *l = p->link ? *p->link : NULL;

		if (!l)
			continue;
		*p->link = NULL;
		/* without memory for threads, the slow way still works */
		if (!t || !started || pthread_create(&t[i], NULL, bpflink_destroy, l) != 0)
			bpf_link__destroy(l);
		else
			started[i] = true;
	}
	for (int i = 0; t && started && i < n; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	free(started);
	free(t);
}

static bool bpfutil_verbose;

static int bpfutil_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!bpfutil_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void bpfutil_libbpf_messages(bool on)
{
	bpfutil_verbose = on;
	libbpf_set_print(bpfutil_print);
}

/* PROC_PID_INIT_INO in the kernel's include/linux/proc_ns.h */
#define BPFUTIL_INIT_PIDNS_INO 0xEFFFFFFCu

int bpfutil_pidns(struct bpfutil_pidns *ns)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) != 0)
		return -errno;
	ns->dev = (uint64_t)st.st_dev;
	ns->ino = (uint64_t)st.st_ino;
	ns->initial = st.st_ino == BPFUTIL_INIT_PIDNS_INO;
	return 0;
}

size_t bpfutil_ringbuf_size(size_t want, size_t dflt)
{
	size_t n = (size_t)sysconf(_SC_PAGESIZE);

	if (!want)
		want = dflt;
	if (want > (1ul << 30))
		want = 1ul << 30;
	while (n < want)
		n <<= 1;
	return n;
}

void bpfutil_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}
