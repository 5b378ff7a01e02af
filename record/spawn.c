/*
 * spawn.c - resolving and starting the traced command (see spawn.h).
 *
 * Between fork and exec the child runs only async-signal-safe calls: the
 * tracer has a writer thread, so the child must not allocate. Everything it
 * needs (the /bin/sh fallback argv, the filter) is prepared before fork.
 */
#define _GNU_SOURCE
#include "record/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/seccomp.h"

extern char **environ;

#define SPAWN_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* 0 when `path` is an executable regular file, else -errno. */
static int spawn_check(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (access(path, X_OK) != 0)
		return -errno;
	return 0;
}

int spawn_resolve(const char *argv0, char *path)
{
	const char *dirs = getenv("PATH");
	int err = -ENOENT;

	if (!argv0[0])
		return -ENOENT;
	if (strchr(argv0, '/')) {
		if (strlen(argv0) >= PATH_MAX)
			return -ENAMETOOLONG;
		strcpy(path, argv0);
		return spawn_check(path);
	}
	if (!dirs)
		dirs = SPAWN_DEFAULT_PATH;
	while (dirs) {
		const char *colon = strchr(dirs, ':');
		size_t dlen = colon ? (size_t)(colon - dirs) : strlen(dirs);
		int rc;

		/* An empty PATH entry means the current directory. */
		if (snprintf(path, PATH_MAX, "%.*s%s%s", (int)dlen, dirs, dlen ? "/" : "",
			     argv0) < PATH_MAX) {
			rc = spawn_check(path);
			if (rc == 0)
				return 0;
			/* Like execvp: a match we may not run beats "not found". */
			if (rc != -ENOENT && rc != -ENOTDIR)
				err = rc;
		}
		dirs = colon ? colon + 1 : NULL;
	}
	return err;
}

static void spawn_report(int fd, char code, int err)
{
	char msg[1 + sizeof(int)];

	msg[0] = code;
	memcpy(msg + 1, &err, sizeof(err));
	while (write(fd, msg, sizeof(msg)) < 0 && errno == EINTR)
		;
}

static __attribute__((noreturn)) void spawn_child(const char *path, char *const argv[],
						  char *const sh_argv[],
						  const struct sock_fprog *filter,
						  bool no_new_privs, const sigset_t *mask,
						  bool chld_ignored, int go_fd, int report_fd)
{
	char c;
	ssize_t n;

	if (chld_ignored)
		signal(SIGCHLD, SIG_IGN);
	sigprocmask(SIG_SETMASK, mask, NULL);
	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127); /* the tracer gave up on us */
	close(go_fd);
	if (filter) {
		int rc = seccomp_install(filter, no_new_privs);

		spawn_report(report_fd, rc == 0 ? 'S' : 'N', -rc);
	}
	execve(path, argv, environ);
	if (errno == ENOEXEC && sh_argv)
		execve("/bin/sh", sh_argv, environ);
	int err = errno;

	spawn_report(report_fd, 'E', err);
	_exit(err == ENOENT ? 127 : 126);
}

/* "/bin/sh path args..." for a program without a #! line. NULL on ENOMEM. */
static char **spawn_sh_argv(const char *path, char *const argv[])
{
	size_t n = 0;
	char **v;

	while (argv[n])
		n++;
	v = calloc(n + 3, sizeof(*v));
	if (!v)
		return NULL;
	v[0] = (char *)"/bin/sh";
	v[1] = (char *)path;
	for (size_t i = 1; i < n; i++)
		v[i + 1] = argv[i];
	return v;
}

int spawn_start(const char *path, char *const argv[], const struct sock_fprog *filter,
		bool no_new_privs, const sigset_t *child_mask, bool chld_ignored,
		struct spawn *s)
{
	int go[2], rep[2], err;
	char **sh_argv = spawn_sh_argv(path, argv);

	if (pipe2(go, O_CLOEXEC) != 0) {
		free(sh_argv);
		return -errno;
	}
	if (pipe2(rep, O_CLOEXEC) != 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		free(sh_argv);
		return err;
	}
	s->pid = fork();
	if (s->pid == 0) {
		close(go[1]);
		close(rep[0]);
		spawn_child(path, argv, sh_argv, filter, no_new_privs, child_mask, chld_ignored,
			    go[0], rep[1]);
	}
	err = s->pid < 0 ? -errno : 0;
	free(sh_argv);
	close(go[0]);
	close(rep[1]);
	if (err) {
		close(go[1]);
		close(rep[0]);
		return err;
	}
	fcntl(rep[0], F_SETFL, O_NONBLOCK);
	s->go_fd = go[1];
	s->report_fd = rep[0];
	return 0;
}

int spawn_go(struct spawn *s)
{
	ssize_t n;

	do
		n = write(s->go_fd, "g", 1);
	while (n < 0 && errno == EINTR);
	close(s->go_fd);
	s->go_fd = -1;
	return n == 1 ? 0 : -EPIPE;
}

int spawn_read_report(struct spawn *s, struct spawn_report *r)
{
	char msg[1 + sizeof(int)];
	ssize_t n;

	if (s->report_fd < 0)
		return 0;
	do
		n = read(s->report_fd, msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(msg))
		return 0;
	r->code = msg[0];
	memcpy(&r->err, msg + 1, sizeof(r->err));
	return 1;
}

void spawn_close(struct spawn *s)
{
	if (s->go_fd >= 0)
		close(s->go_fd);
	if (s->report_fd >= 0)
		close(s->report_fd);
	s->go_fd = s->report_fd = -1;
}
