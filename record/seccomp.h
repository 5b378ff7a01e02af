/*
 * seccomp.h - the seccomp-bpf filter that makes only decoded syscalls stop
 * a spawned tracee.
 *
 * The filter returns SECCOMP_RET_TRACE for exactly the x86_64 syscalls in
 * decode_table[] (decode.h) (fcntl only for the commands the decoder acts
 * on: decode_fcntl_cmds) and SECCOMP_RET_ALLOW for everything else, so
 * untraced syscalls run at full speed. Syscalls of other ABIs (i386 through
 * int 0x80, x32) are allowed untraced: compendium decodes the x86_64 ABI only.
 * With the filter, each traced syscall gives a PTRACE_EVENT_SECCOMP stop
 * (the entry); the tracer restarts with PTRACE_SYSCALL to see the exit and
 * with PTRACE_CONT after it.
 */
#ifndef COMPENDIUM_SECCOMP_H
#define COMPENDIUM_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/filter.h>

/*
 * Builds the filter from decode_table[] into `prog` (prog->filter is
 * malloc'ed: free it with seccomp_filter_free), leaving out the syscalls
 * for which `untraced` (may be NULL) is true: those the I/O fast path
 * records (fastpath_owns). Returns 0 or -errno.
 */
int seccomp_filter_build(struct sock_fprog *prog, bool (*untraced)(int32_t nr));
void seccomp_filter_free(struct sock_fprog *prog);

/*
 * Whether installing a filter needs PR_SET_NO_NEW_PRIVS, i.e. we lack
 * CAP_SYS_ADMIN. NO_NEW_PRIVS stops set-uid/set-gid/file-capability
 * programs from gaining privileges under the tracer, so it is set only then.
 */
bool seccomp_needs_no_new_privs(void);

/*
 * Installs `prog` in the calling process (the child, between fork and exec:
 * async-signal-safe, no allocation). Sets NO_NEW_PRIVS first when
 * `no_new_privs`. Returns 0 or -errno.
 */
int seccomp_install(const struct sock_fprog *prog, bool no_new_privs);

#endif
