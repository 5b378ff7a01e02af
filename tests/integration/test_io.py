"""I/O: bytes attributed across threads (shared fd table), in-kernel
transfers, and fds the tracer did not see created (resolved from /proc)."""
import os
import subprocess

from conftest import COMPENDIUM, Recording, workload


def test_thread_reads_file_opened_by_another_thread(record, tmp_path):
    f = tmp_path / "data"
    f.write_bytes(b"t" * 1000)
    rec = record([workload("io_threads"), str(f)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    words = rec.proc.stdout.split()
    opener, reader = int(words[1]), int(words[3])
    pid = rec.header["root_pid"]
    assert len({opener, reader, pid}) == 3
    o = [e for e in rec.events if e["type"] == "open" and e.get("path") == str(f)]
    assert len(o) == 1 and o[0]["tid"] == opener and o[0]["pid"] == pid
    r = [e for e in rec.events if e["type"] == "io" and e.get("path") == str(f)]
    assert len(r) == 1
    assert (r[0]["tid"], r[0]["pid"], r[0]["op"], r[0]["bytes"], r[0]["fd"]) == \
        (reader, pid, "read", 777, o[0]["fd"])


def test_threads_that_unshare_their_fd_table(record, tmp_path):
    """unshare(CLONE_FILES) and close_range(CLOSE_RANGE_UNSHARE) give a thread
    a table of its own: the file it opens under the number the main thread
    still uses does not take the main thread's bytes; unshare(CLONE_FS) and
    a chdir in the thread leave the main thread's cwd (io_unshare.c)."""
    r = record([workload("io_unshare"), str(tmp_path)])
    assert r.proc.returncode == 0, r.proc.stderr
    written = {}
    for e in r.of("io", op="write"):
        written[e.get("path")] = written.get(e.get("path"), 0) + e["bytes"]
    assert written == {f"{tmp_path}/main.txt": 9, f"{tmp_path}/t1.txt": 11,
                       f"{tmp_path}/t2.txt": 22}
    main = [e for e in r.of("io", op="write") if e["path"] == f"{tmp_path}/main.txt"]
    assert {e["tid"] for e in main} == {main[0]["pid"]}
    assert [e["path"] for e in r.of("open") if e["path"].startswith(str(tmp_path))] == [
        f"{tmp_path}/main.txt", f"{tmp_path}/t1.txt", f"{tmp_path}/a/x.txt",
        f"{tmp_path}/t2.txt"]


def test_sendfile_copy_file_range_splice_tee(record, tmp_path):
    src, d1, d2 = tmp_path / "src", tmp_path / "d1", tmp_path / "d2"
    src.write_bytes(os.urandom(12000))
    rec = record([workload("io_transfer"), str(src), str(d1), str(d2)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    tr = [e for e in rec.events if e["type"] == "transfer"]
    sf = [e for e in tr if e["syscall"] == "sendfile"]
    assert sum(e["bytes"] for e in sf) == 10000 == d1.stat().st_size
    assert all((e["src"], e["dst"], e["src_kind"], e["dst_kind"]) ==
               (str(src), str(d1), "file", "file") for e in sf)
    cfr = [e for e in tr if e["syscall"] == "copy_file_range"]
    assert [(e["src"], e["dst"], e["bytes"]) for e in cfr] == [(str(src), str(d2), 4321)]
    sp = [e for e in tr if e["syscall"] == "splice"]
    assert [(e["src_kind"], e["dst_kind"], e["bytes"]) for e in sp] == \
        [("file", "pipe", 100), ("pipe", "file", 100)]
    assert sp[0]["src"] == str(src) and sp[1]["dst"] == str(d2)
    tee = [e for e in tr if e["syscall"] == "tee"]
    assert [(e["src_kind"], e["dst_kind"], e["bytes"]) for e in tee] == [("pipe", "pipe", 100)]
    assert d2.stat().st_size == 4421
    # no read/write events for data that never left the kernel
    assert not [e for e in rec.events if e["type"] == "io" and e.get("path") == str(src)]


def test_inherited_fd_resolved_from_proc(tmp_path):
    """An fd inherited from outside the trace is resolved through
    /proc/PID/fd/N: its writes, and those through a dup of it, are the file's."""
    out = tmp_path / "inherited.txt"
    rec_path = tmp_path / "rec.cmp"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT, 0o644)
    code = (f"import os; os.write({fd}, b'0123456789'); os.dup2({fd}, 1); "
            "os.write(1, b'abc')")
    try:
        p = subprocess.run([COMPENDIUM, "record", "-o", str(rec_path), "--",
                            "/usr/bin/python3", "-c", code],
                           pass_fds=(fd,), capture_output=True, text=True, timeout=60)
    finally:
        os.close(fd)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == b"0123456789abc"
    rec = Recording(p, rec_path)
    dups = [e for e in rec.events if e["type"] == "dup" and e["fd"] == fd and e["new_fd"] == 1]
    assert len(dups) == 1 and dups[0]["path"] == str(out) and dups[0]["fd_kind"] == "file"
    writes = [e for e in rec.events if e["type"] == "io" and e.get("path") == str(out)]
    assert [(e["fd"], e["bytes"]) for e in writes] == [(fd, 10), (1, 3)]


def test_attach_seeds_fds_from_proc(tmp_path):
    """-p: fds opened before the attach are seeded from /proc (the file's
    path, the socket's addresses from /proc/PID/net/tcp) and later I/O on
    them is attributed."""
    import signal
    import time
    f = tmp_path / "attach.log"
    rec_path = tmp_path / "attach.cmp"
    w = subprocess.Popen([workload("net_attach"), str(f)], stdout=subprocess.PIPE, text=True)
    try:
        _, port, cfd, ffd = w.stdout.readline().split()
        cfd, ffd = int(cfd), int(ffd)
        r = subprocess.Popen([COMPENDIUM, "record", "-o", str(rec_path), "-p", str(w.pid)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        r.send_signal(signal.SIGINT)
        out, err = r.communicate(timeout=30)
        assert r.returncode == 0, err
        assert w.poll() is None, "the attached process must keep running"
    finally:
        w.terminate()
        w.wait(timeout=10)
    rec = Recording(r, rec_path)
    srv = f"127.0.0.1:{port}"
    seeded = [e for e in rec.events if e.get("seeded")]
    so = [e for e in seeded if e["type"] == "open" and e.get("fd") == ffd]
    assert len(so) == 1 and so[0]["path"] == str(f)
    sc = [e for e in seeded if e["type"] == "connect" and e["fd"] == cfd]
    assert len(sc) == 1 and sc[0]["addr"] == srv and sc[0]["proto"] == "tcp4"
    assert [e for e in seeded if e["type"] == "bind" and e["addr"] == srv]
    live = [e for e in rec.events if e["type"] == "io" and not e.get("seeded")]
    writes = [e for e in live if e["fd"] == ffd]
    sends = [e for e in live if e["fd"] == cfd]
    assert writes and all(e["path"] == str(f) and e["bytes"] == 3 for e in writes)
    assert sends and all(e["peer"] == srv and e["op"] == "send" and e["bytes"] == 5
                         for e in sends)
