"""Files: opens (cwd, O_PATH dirfd, openat2, creat), failed opens, path
operations, dup2 attribution, and shell redirections, through
`compendium record` + `compendium show --json`."""
import os
import sys
import tempfile

from conftest import workload

O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC = 0o1, 0o2, 0o100, 0o200, 0o1000
O_DIRECTORY, O_CLOEXEC, O_PATH = 0o200000, 0o2000000, 0o10000000


def between_markers(rec, pid):
    """Events of pid between the workload's start and end markers."""
    evs = [e for e in rec.events if e.get("pid") == pid]
    idx = [i for i, e in enumerate(evs) if e["type"] == "open"
           and e.get("path", "").startswith("/compendium-marker/")]
    assert len(idx) == 2, "markers not found"
    return evs[idx[0]:idx[1] + 1]


def root_pid(rec):
    return rec.header["root_pid"] if "root_pid" in rec.header else rec.events[0]["pid"]


def one(evs, type_, **match):
    hits = [e for e in evs if e["type"] == type_
            and all(e.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, f"{type_} {match}: {len(hits)} matches"
    return hits[0]


def test_file_workload(record, tmp_path):
    d = tmp_path / "w"
    d.mkdir()
    d = str(d)
    rec = record([workload("io_files"), d])
    assert rec.proc.returncode == 0, rec.proc.stderr
    evs = between_markers(rec, root_pid(rec))
    assert evs[0]["errno"] == "ENOENT"

    one(evs, "file_op", op="mkdir", path=f"{d}/sub")
    # relative to the chdir'ed cwd, O_CREAT|O_EXCL: created
    a = one(evs, "open", path=f"{d}/sub/a.txt", created=True)
    assert a["flags"] & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL
    assert a["access"] == "write" and a["mode"] == 0o644 and "errno" not in a
    writes = [e for e in evs if e["type"] == "io" and e["op"] == "write"
              and e.get("path") == f"{d}/sub/a.txt"]
    assert [e["bytes"] for e in writes] == [10000, 2000, 345]
    assert all(e["fd"] == a["fd"] and e["fd_kind"] == "file" for e in writes)
    close = [e for e in evs if e["type"] == "close" and e.get("path") == f"{d}/sub/a.txt"]
    assert len(close) == 2

    # through an O_PATH dirfd
    dirfd = one(evs, "open", path=f"{d}/sub", syscall="openat")
    assert dirfd["flags"] & O_PATH and dirfd["access"] == "path"
    r = one(evs, "open", path=f"{d}/sub/a.txt", created=False)
    assert r["access"] == "read"
    reads = [e for e in evs if e["type"] == "io" and e["op"] == "read"
             and e.get("path") == f"{d}/sub/a.txt"]
    assert sum(e["bytes"] for e in reads) == 12345 and reads[-1]["bytes"] == 0

    # "../b.txt" relative to the dirfd; pwrite offset; writev; ftruncate
    b = [e for e in evs if e["type"] == "open" and e.get("path") == f"{d}/b.txt"]
    assert [e["syscall"] for e in b] == ["openat", "openat2"]
    assert b[0]["flags"] & (O_CREAT | O_TRUNC | O_CLOEXEC) == O_CREAT | O_TRUNC | O_CLOEXEC
    assert b[0]["created"] is False and b[0]["mode"] == 0o600
    assert b[1]["access"] == "read" and b[1]["flags"] & O_CLOEXEC
    one(evs, "io", syscall="pwrite64", path=f"{d}/b.txt", bytes=5, offset=100)
    one(evs, "io", syscall="writev", path=f"{d}/b.txt", bytes=7)
    ft = one(evs, "file_op", op="ftruncate")
    assert (ft["path"], ft["length"], ft["fd"]) == (f"{d}/b.txt", 50, b[0]["fd"])
    # dup2 onto 10: the 9 bytes written through fd 10 are b.txt's
    dup = one(evs, "dup", new_fd=10)
    assert dup["fd"] == b[0]["fd"] and dup["path"] == f"{d}/b.txt" and dup["cloexec"] is False
    one(evs, "io", op="write", fd=10, path=f"{d}/b.txt", bytes=9)
    cr = one(evs, "close", syscall="close_range")
    assert (cr["fd"], cr["last_fd"], cr["path"]) == (10, 12, f"{d}/b.txt")
    one(evs, "io", syscall="preadv2", path=f"{d}/b.txt", bytes=4, offset=1)

    c = one(evs, "open", syscall="creat")
    assert c["path"] == f"{d}/c.txt" and c["flags"] & (O_CREAT | O_TRUNC | O_WRONLY)

    one(evs, "file_op", op="rename", path=f"{d}/sub/a.txt", path2=f"{d}/sub/moved.txt")
    one(evs, "file_op", op="rename", syscall="renameat", path=f"{d}/sub/moved.txt",
        path2=f"{d}/top.txt")
    one(evs, "file_op", op="link", path=f"{d}/top.txt", path2=f"{d}/sub/hard.txt")
    one(evs, "file_op", op="symlink", path=f"{d}/c.txt", path2=f"{d}/sub/sym")
    one(evs, "file_op", op="truncate", path=f"{d}/c.txt", length=3)
    one(evs, "file_op", op="unlink", syscall="unlink", path=f"{d}/top.txt")
    one(evs, "file_op", op="unlink", syscall="unlinkat", path=f"{d}/sub/hard.txt")
    one(evs, "file_op", op="mkdir", path=f"{d}/gone")
    one(evs, "file_op", op="rmdir", path=f"{d}/gone")

    # cwd tracking: chdir then fchdir back
    one(evs, "file_op", op="chdir", path=f"{d}/sub")
    one(evs, "open", path=f"{d}/sub/in-sub.txt")
    one(evs, "file_op", op="fchdir", path=d)
    one(evs, "open", path=f"{d}/after-fchdir.txt")

    p = one(evs, "pipe")
    assert p["flags"] == O_CLOEXEC
    one(evs, "io", op="write", fd=p["write_fd"], fd_kind="pipe", bytes=5)
    one(evs, "io", op="read", fd=p["read_fd"], fd_kind="pipe", bytes=5)

    missing = one(evs, "open", path=f"{d}/no/such/file")
    assert missing["errno"] == "ENOENT" and missing["fd"] == -1
    excl = one(evs, "open", path=f"{d}/c.txt", errno="EEXIST")
    assert excl["created"] is False


def test_failed_opens_eacces_enoent(record):
    d = tempfile.mkdtemp(prefix="compendium-eacces-")
    try:
        os.chmod(d, 0o755)  # searchable by nobody; the file inside is not readable
        rec = record([workload("io_eacces"), d])
        assert rec.proc.returncode == 0, rec.proc.stderr
        opens = [e for e in rec.events if e["type"] == "open"
                 and e.get("path") in (f"{d}/secret", f"{d}/missing")]
        assert [(e["path"], e.get("errno")) for e in opens] == [
            (f"{d}/secret", None), (f"{d}/secret", "EACCES"), (f"{d}/missing", "ENOENT")]
        assert opens[0]["created"] is False and opens[1]["fd"] == -1
        assert os.stat(f"{d}/secret").st_mode & 0o777 == 0o600
    finally:
        for f in ("secret",):
            if os.path.exists(f"{d}/{f}"):
                os.unlink(f"{d}/{f}")
        os.rmdir(d)


def test_shell_redirect_attributes_bytes_to_out(record, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.write_bytes(b"z" * 5000)
    rec = record(["sh", "-c", f"cat {src} > {out}"])
    assert rec.proc.returncode == 0, rec.proc.stderr
    assert out.read_bytes() == b"z" * 5000
    # the shell opened out and moved it onto fd 1
    o = [e for e in rec.events if e["type"] == "open" and e.get("path") == str(out)]
    assert len(o) == 1 and o[0]["flags"] & O_TRUNC and o[0]["access"] == "write"
    dups = [e for e in rec.events if e["type"] == "dup" and e.get("new_fd") == 1
            and e.get("path") == str(out)]
    assert len(dups) == 1 and dups[0]["fd"] == o[0]["fd"]
    # after exec, cat's output on fd 1 is counted for out, from cat's pid
    # (cat copies with copy_file_range when it can, else read/write)
    execs = [e for e in rec.events if e["type"] == "exec" and e.get("path", "").endswith("/cat")]
    assert len(execs) == 1
    cat_pid = execs[0]["pid"]
    writes = [e for e in rec.events if e["type"] == "io" and e["op"] == "write"
              and e.get("path") == str(out)]
    copies = [e for e in rec.events if e["type"] == "transfer" and e.get("dst") == str(out)]
    assert sum(e["bytes"] for e in writes + copies) == 5000
    assert all(e["pid"] == cat_pid for e in writes + copies)
    assert all(e["fd"] == 1 for e in writes) and all(e["dst_fd"] == 1 for e in copies)
    assert all(e["src"] == str(src) for e in copies)
    reads = [e for e in rec.events if e["type"] == "io" and e["op"] == "read"
             and e.get("path") == str(src)]
    assert sum(e["bytes"] for e in reads + copies) == 5000


def test_failed_exec_is_recorded(record, tmp_path):
    missing = tmp_path / "no-such-program"
    rec = record(["sh", "-c", f"{missing}; exit 3"])
    assert rec.proc.returncode == 3
    failed = [e for e in rec.events if e["type"] == "exec" and e.get("path") == str(missing)]
    assert len(failed) == 1 and failed[0]["errno"] == "ENOENT"
    assert failed[0]["syscall"] == "execve"
    # successful execs are the tracer's (PTRACE_EVENT_EXEC): exactly one, sh
    ok = [e for e in rec.events if e["type"] == "exec" and "errno" not in e]
    assert len(ok) == 1 and ok[0]["path"] in ("/usr/bin/dash", "/bin/dash", "/bin/sh")


CLOSES = r"""
import os, sys
d = sys.argv[1]
r, w = os.pipe()
os.write(w, b"x")
os.close(w)
os.close(r)
f = os.open(d + "/c.txt", os.O_CREAT | os.O_WRONLY, 0o600)
os.write(f, b"hello")
os.close(f)
n = os.open("/dev/null", os.O_WRONLY)
os.close(n)
try:
    os.close(987)
except OSError:
    pass
"""


def test_closes_at_entry_and_exit(record, tmp_path):
    """A close that cannot fail (pipe, file on a local filesystem) is taken
    at its entry stop: recorded without duration, with the fd's path. A
    device's close and a close of an fd that is not open keep their exit
    stop: a duration, and EBADF for the bad fd."""
    rec = record([sys.executable, "-c", CLOSES, str(tmp_path)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    closes = rec.of("close")
    f = [e for e in closes if e.get("path") == f"{tmp_path}/c.txt"]
    assert len(f) == 1 and "errno" not in f[0] and f[0]["dur_ns"] == 0
    pipes = [e for e in closes if e.get("fd_kind") == "pipe"]
    assert len(pipes) >= 2 and all(e["dur_ns"] == 0 and "errno" not in e for e in pipes)
    null = [e for e in closes if e.get("path") == "/dev/null" and e["fd_kind"] == "device"]
    assert null and all(e["dur_ns"] > 0 for e in null)
    bad = [e for e in closes if e.get("fd") == 987]
    assert len(bad) == 1 and bad[0]["errno"] == "EBADF" and bad[0]["dur_ns"] > 0
    # the bytes went to the file, whichever stop the close took
    w = [e for e in rec.of("io", op="write") if e.get("path") == f"{tmp_path}/c.txt"]
    assert [e["bytes"] for e in w] == [5]


INTERRUPTED_OPEN = r"""
import os, signal, sys
d = sys.argv[1]
os.mkfifo(d + "/fifo")
class Alarm(Exception):
    pass
def on_alarm(*a):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.05)
try:
    os.open(d + "/fifo", os.O_RDONLY)  # no writer: blocks until SIGALRM
except Alarm:
    pass
f = os.open(d + "/after.txt", os.O_CREAT | os.O_WRONLY, 0o600)
os.write(f, b"abc")
os.close(f)
"""


def test_open_interrupted_by_a_signal(record, tmp_path):
    """An open that blocks and is interrupted: recorded once, with the
    kernel's restart code at its exit (both modes see it before the signal
    is handled) and its real duration; the signal, then the next open and
    its write, follow in order."""
    rec = record([sys.executable, "-c", INTERRUPTED_OPEN, str(tmp_path)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    evs = [e for e in rec.events if e.get("pid") == rec.of("open", path=f"{tmp_path}/fifo")[0]["pid"]]
    i = next(i for i, e in enumerate(evs) if e.get("path") == f"{tmp_path}/fifo")
    fifo = evs[i]
    assert fifo["type"] == "open" and fifo["errno"] == "ERESTARTSYS" and fifo["fd"] == -1
    assert fifo["dur_ns"] >= 40_000_000
    rest = [e for e in evs[i + 1:] if e["type"] in ("signal", "open", "io")]
    assert rest[0]["type"] == "signal" and rest[0]["signal"] == "SIGALRM"
    after = rest[1]
    assert after["type"] == "open" and after["path"] == f"{tmp_path}/after.txt"
    assert "errno" not in after and after["fd"] >= 0
    w = rest[2]
    assert (w["type"], w["op"], w["fd"], w["path"], w["bytes"]) == \
        ("io", "write", after["fd"], f"{tmp_path}/after.txt", 3)
