/*
 * event.h - the one event model of compendium.
 *
 * Every source (ptrace tracer, perf faults, eBPF) produces `struct event`s and
 * every sink (terminal printer, summary, JSON dump, recording writer, HTML
 * report) consumes them through a `struct event_sink`. The recording reader
 * produces the very same structs from a file, so a sink never knows whether
 * its events are live or replayed.
 *
 * The kinds mirror the `Event.kind` oneof of schemas/compendium.proto; the
 * field meanings are documented there and not repeated here.
 *
 * Strings: every `const char *` in an event is NUL-terminated, may be NULL
 * (absent), and is borrowed: it is valid only during the sink callback. A sink
 * that keeps a string copies it. Strings are bytes from the tracee or from a
 * file: untrusted, possibly with control characters or invalid UTF-8.
 */
#ifndef COMPENDIUM_EVENT_H
#define COMPENDIUM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum event_kind {
	EV_NONE = 0,
	EV_SPAWN,
	EV_EXEC,
	EV_EXIT,
	EV_SIGNAL,
	EV_OPEN,
	EV_CLOSE,
	EV_FILE_OP,
	EV_DUP,
	EV_PIPE,
	EV_SOCKET,
	EV_CONNECT,
	EV_BIND,
	EV_LISTEN,
	EV_ACCEPT,
	EV_IO,
	EV_TRANSFER,
	EV_BRK,
	EV_MMAP,
	EV_MUNMAP,
	EV_MREMAP,
	EV_MPROTECT,
	EV_FAULT,
	EV_SCHED,
	EV_BLOCK,
	EV_HIST,
	EV_LOSS,
	EV_NOTE,
	EV_SYSCALL,
	EV_TASK,
	EV__COUNT
};

/* Values equal the schema's enums so conversion is a cast. */
enum fd_kind {
	FD_UNKNOWN = 0, FD_FILE, FD_SOCKET, FD_PIPE, FD_TTY, FD_DEVICE, FD_ANON,
	FD_DIR, FD__COUNT
};

enum net_proto {
	PROTO_NONE = 0, PROTO_TCP4, PROTO_TCP6, PROTO_UDP4, PROTO_UDP6,
	PROTO_UNIX, PROTO_NETLINK, PROTO_RAW, PROTO_OTHER, PROTO_UNIX_DGRAM,
	PROTO__COUNT
};

enum spawn_kind { SPAWN_PROCESS = 0, SPAWN_THREAD, SPAWN_VFORK, SPAWN__COUNT };

enum file_op {
	FOP_UNKNOWN = 0, FOP_UNLINK, FOP_RENAME, FOP_MKDIR, FOP_RMDIR,
	FOP_TRUNCATE, FOP_FTRUNCATE, FOP_CHDIR, FOP_FCHDIR, FOP_LINK,
	FOP_SYMLINK, FOP__COUNT
};

enum io_op { IO_READ = 0, IO_WRITE, IO_SEND, IO_RECV, IO__COUNT };

enum hist_kind { HIST_SCHED = 0, HIST_BLOCK, HIST__COUNT };

enum note_level { NOTE_INFO = 0, NOTE_WARNING, NOTE_ERROR, NOTE__COUNT };

/* Event.flags bits */
#define EVENT_F_SEEDED 0x1u /* state found at attach, not observed live */

/* Bounds that both the tracer and the reader enforce. */
#define EVENT_MAX_ARGV 256       /* argv entries kept per exec */
#define EVENT_MAX_HIST_BUCKETS 64
#define EVENT_MAX_SYSCALL_ARGS 6
#define EVENT_MAX_STRING 65536   /* longer strings are cut by the writer */

struct event_fd {
	int32_t fd;
	uint8_t kind;      /* enum fd_kind */
	uint8_t proto;     /* enum net_proto, for sockets */
	const char *name;  /* path, or socket peer address; NULL when unknown */
};

struct ev_spawn {
	uint32_t child_tid, child_pid;
	uint8_t kind; /* enum spawn_kind */
	uint64_t clone_flags;
};

struct ev_exec {
	const char *path;
	const char *const *argv;
	uint32_t argc;
	const char *comm;
	uint32_t old_tid;
};

struct ev_exit {
	int32_t code;
	uint32_t signal;
	bool core_dumped;
	bool thread;
};

struct ev_signal {
	uint32_t signo;
	int32_t code;
	uint32_t sender_pid;
	bool group_stop;
};

struct ev_open {
	const char *path;
	uint32_t flags, mode;
	int32_t fd;
	bool created;
};

struct ev_close {
	struct event_fd fd;
	int32_t last_fd; /* close_range; equal to fd.fd otherwise */
};

struct ev_file_op {
	uint8_t op; /* enum file_op */
	const char *path, *path2;
	int64_t length;
	int32_t fd;
};

struct ev_dup {
	struct event_fd old_fd;
	int32_t new_fd;
	bool cloexec;
};

struct ev_pipe {
	int32_t read_fd, write_fd;
	uint32_t flags;
};

struct ev_socket {
	int32_t fd, fd2; /* fd2: socketpair only, else -1 */
	uint32_t domain, type, protocol;
	uint8_t proto;
};

/* connect and bind */
struct ev_addr {
	int32_t fd;
	uint8_t proto;
	const char *addr;
};

struct ev_listen {
	int32_t fd, backlog;
	uint8_t proto;
	const char *addr;
};

struct ev_accept {
	int32_t fd, new_fd;
	uint8_t proto;
	const char *local_addr, *peer_addr;
};

struct ev_io {
	uint8_t op; /* enum io_op */
	struct event_fd fd;
	int64_t bytes;
	const char *addr;
	uint32_t count;  /* messages (sendmmsg) or folded calls; 0 means 1 */
	int64_t offset;  /* pread/pwrite, -1 when none */
};

struct ev_transfer {
	struct event_fd src, dst;
	int64_t bytes;
};

struct ev_brk {
	uint64_t old_brk, new_brk, requested;
};

struct ev_mmap {
	uint64_t addr, len;
	uint32_t prot, flags;
	int32_t fd;
	uint64_t offset;
	const char *path;
};

struct ev_range {
	uint64_t addr, len;
	uint32_t prot; /* mprotect only */
};

struct ev_mremap {
	uint64_t old_addr, old_len, new_addr, new_len;
	uint32_t flags;
};

struct ev_fault {
	uint64_t addr, ip;
};

struct ev_sched {
	uint64_t delay_ns;
	uint32_t cpu;
	bool preempted;
};

struct ev_block {
	uint32_t dev;
	uint64_t sector;
	uint32_t bytes;
	bool write, writeback;
	int32_t error;
};

struct ev_hist {
	uint8_t kind; /* enum hist_kind */
	uint32_t nbuckets;
	const uint64_t *buckets;
	const char *unit;
};

struct ev_loss {
	const char *source;
	uint64_t count;
	const char *reason;
};

struct ev_note {
	uint8_t level; /* enum note_level */
	const char *text;
};

struct ev_syscall {
	uint32_t nargs;
	uint64_t args[EVENT_MAX_SYSCALL_ARGS];
	int64_t ret;
};

struct ev_task {
	const char *comm;
	bool thread;
};

struct event {
	enum event_kind kind;
	uint32_t flags;    /* EVENT_F_* */
	uint64_t ts_ns;    /* since the recording's start */
	uint64_t dur_ns;   /* syscall duration; 0 when not a syscall */
	uint32_t pid, tid; /* thread group and thread */
	int32_t sysno;     /* x86_64 syscall number, -1 when not a syscall */
	uint32_t err;      /* errno of a failed syscall, 0 on success */
	union {
		struct ev_spawn spawn;
		struct ev_exec exec;
		struct ev_exit exit;
		struct ev_signal signal;
		struct ev_open open;
		struct ev_close close;
		struct ev_file_op file_op;
		struct ev_dup dup;
		struct ev_pipe pipe;
		struct ev_socket socket;
		struct ev_addr connect;
		struct ev_addr bind;
		struct ev_listen listen;
		struct ev_accept accept;
		struct ev_io io;
		struct ev_transfer transfer;
		struct ev_brk brk;
		struct ev_mmap mmap;
		struct ev_range munmap;
		struct ev_mremap mremap;
		struct ev_range mprotect;
		struct ev_fault fault;
		struct ev_sched sched;
		struct ev_block block;
		struct ev_hist hist;
		struct ev_loss loss;
		struct ev_note note;
		struct ev_syscall syscall;
		struct ev_task task;
	};
};

/* ---- header and trailer ------------------------------------------------ */

enum rec_mode { REC_MODE_UNKNOWN = 0, REC_MODE_SPAWN, REC_MODE_ATTACH };

enum rec_end {
	REC_END_UNKNOWN = 0, REC_END_COMPLETED, REC_END_INTERRUPTED,
	REC_END_DETACHED, REC_END_KILLED, REC_END_ERROR, REC_END__COUNT
};

struct rec_option {
	const char *name, *value;
};

struct rec_source {
	const char *name;
	bool active;
	const char *reason; /* NULL when active */
};

#define REC_MAX_OPTIONS 64
#define REC_MAX_SOURCES 16
#define REC_MAX_LOSSES 16

/* Same borrowing rule as events: strings valid during the callback only. */
struct rec_header {
	const char *tool_version;
	uint32_t format_major, format_minor;
	const char *const *argv;
	uint32_t argc;
	const char *const *recorder_argv;
	uint32_t recorder_argc;
	uint64_t start_wall_ns;
	uint64_t monotonic_base_ns;
	const char *hostname;
	const char *kernel_release;
	const char *arch;
	uint32_t page_size;
	enum rec_mode mode;
	uint32_t root_pid;
	uint32_t noptions;
	struct rec_option options[REC_MAX_OPTIONS];
	uint32_t nsources;
	struct rec_source sources[REC_MAX_SOURCES];
};

struct rec_loss {
	const char *source;
	uint64_t count;
	const char *reason;
};

struct rec_trailer {
	enum rec_end end_reason;
	int32_t exit_code;
	uint32_t exit_signal;
	bool core_dumped;
	uint64_t end_ts_ns;
	uint64_t event_count;
	uint64_t recorder_max_rss_kb; /* filled by the writer when 0 */
	uint64_t recorder_cpu_ns;     /* filled by the writer when 0 */
	uint32_t nlosses;
	struct rec_loss losses[REC_MAX_LOSSES];
};

/*
 * What the reader learnt about the file's integrity, given to the sinks at
 * the end. A live source reports a clean stream.
 */
struct rec_integrity {
	bool truncated;          /* the file ends inside a frame or record */
	bool has_trailer;
	uint64_t events;         /* events delivered */
	uint64_t corrupt_frames; /* frames skipped */
	uint64_t skipped_bytes;  /* bytes not understood */
	uint64_t unknown_events; /* events of kinds newer than this reader: skipped */
};

/*
 * A sink. Every callback may be NULL. `header` comes first (at most once),
 * then `event`s in time order (per source; see the schema's TIME note),
 * then `trailer` (absent when the recorder died), then `end` exactly once.
 */
struct event_sink {
	void *ctx;
	void (*header)(void *ctx, const struct rec_header *h);
	void (*event)(void *ctx, const struct event *ev);
	void (*trailer)(void *ctx, const struct rec_trailer *t);
	void (*end)(void *ctx, const struct rec_integrity *in);
};

/*
 * A sink that forwards every callback to each of `n` sinks in order (live
 * mode: printer, summary and writer at once). `sinks` is borrowed and must
 * outlive the tee.
 */
struct event_tee {
	const struct event_sink *sinks;
	unsigned n;
};
struct event_sink event_tee_sink(struct event_tee *tee);

/* ---- names: one table for each fact ------------------------------------ */

/* snake_case kind name ("open", "file_op"); "unknown" outside the range. */
const char *event_kind_name(enum event_kind k);
/* Inverse of event_kind_name; EV_NONE when unknown. */
enum event_kind event_kind_from_name(const char *name);
const char *fd_kind_name(unsigned k);    /* "file", "socket", ... */
const char *net_proto_name(unsigned p);  /* "tcp4", "unix", ... */
const char *spawn_kind_name(unsigned k); /* "process", "thread", "vfork" */
const char *file_op_name(unsigned op);   /* "unlink", "rename", ... */
const char *io_op_name(unsigned op);     /* "read", "write", "send", "recv" */
const char *hist_kind_name(unsigned k);
const char *note_level_name(unsigned l);
const char *rec_end_name(unsigned r);    /* "completed", "interrupted", ... */

/* x86_64 syscall name ("openat"), NULL when the number is unknown. */
const char *event_syscall_name(int32_t nr);
/* x86_64 syscall number from its name, -1 when unknown. */
int32_t event_syscall_number(const char *name);
/* Symbolic errno ("ENOENT"); NULL when unknown. */
const char *event_errno_name(uint32_t err);
/* Symbolic signal ("SIGSEGV"); NULL when unknown. */
const char *event_signal_name(uint32_t sig);

#endif
