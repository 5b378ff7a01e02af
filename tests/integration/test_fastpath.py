"""The fast path (record/fastpath.c, bpf/io.bpf.c): the read/write family
and the memory calls recorded by eBPF instead of ptrace must give the same
facts as the ptrace path (bytes per file, per peer, per fd; the same
mmap/munmap/mremap/mprotect/brk events and the same final memory map),
attribute every byte to the right file when fd numbers are reused across
threads, say in the header whether it ran, and step aside without
privilege.

The other I/O and memory tests (test_io.py, test_net.py, test_files.py,
test_mem.py) run in both modes too: `COMPENDIUM_RECORD_OPTS=--no-fastpath`
runs the suite through ptrace alone (see conftest.py).
"""
import collections
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import COMPENDIUM, Recording, workload

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="the fast path needs root")


def fastpath_source(rec):
    return next(s for s in rec.header["sources"] if s["name"] == "fastpath")


def record_mode(tmp_path, cmd, fast, name, rc=0, **kw):
    out = tmp_path / f"{name}-{'fast' if fast else 'ptrace'}.cmp"
    opts = [] if fast else ["--no-fastpath"]
    p = subprocess.run([COMPENDIUM, "record", "-o", str(out), *opts, "--", *cmd],
                       capture_output=True, text=True, timeout=120, **kw)
    assert p.returncode == rc, p.stderr
    rec = Recording(p, out)
    assert fastpath_source(rec)["active"] == fast, rec.header["sources"]
    return rec


def norm(s, d):
    """A name with what differs between two runs taken out: the run's own
    folder, pipe and socket inode numbers, ephemeral ports."""
    if s is None:
        return None
    s = s.replace(str(d), "<D>")
    s = re.sub(r"(pipe|socket|anon_inode):\[\d+\]", r"\1:[N]", s)
    s = re.sub(r"@compendium-test-\d+", "@compendium-test-N", s)  # net_unix: pid
    return re.sub(r":\d+$", ":P", s)


MEM_TYPES = ("mmap", "munmap", "mremap", "mprotect", "brk")


def facts(rec, d, by_fd=True):
    """Bytes per (op, file or peer, fd, address), per transfer (src, dst),
    and calls per file for regular files (sockets may split reads). Without
    by_fd: files only, whatever their fd (threads racing for fd numbers).
    Memory calls are counted by what does not depend on where ASLR put
    things: kind, protection, mapped file, error."""
    total = collections.Counter()
    calls = collections.Counter()
    for e in rec.events:
        if e["type"] in MEM_TYPES:
            calls[(e["type"], e.get("prot"), norm(e.get("path"), d), e.get("errno"))] += 1
            continue
        if e["type"] == "io" and not by_fd and e.get("fd_kind") != "file":
            continue
        if e["type"] == "io":
            name = norm(e.get("path") or e.get("peer"), d)
            key = (e["op"], name, e["fd"] if by_fd else None, norm(e.get("addr"), d))
            total[key] += e.get("bytes", 0)
            if e.get("fd_kind") == "file":
                calls[(e["syscall"], name, e["fd"] if by_fd else None, e.get("offset"),
                       e.get("errno"))] += 1
        elif e["type"] == "transfer":
            total[("transfer", e["syscall"], norm(e.get("src"), d),
                   norm(e.get("dst"), d))] += e.get("bytes", 0)
    return total, calls


def both_modes(tmp_path, name, make_cmd):
    """Runs the workload in each mode in a fresh folder; returns their facts.
    ASLR is off (setarch -R): how many munmaps trim a thread's malloc arena
    (one or two) depends on where mmap put it."""
    out = []
    for fast in (True, False):
        d = tmp_path / f"{name}-{'fast' if fast else 'ptrace'}"
        d.mkdir()
        rec = record_mode(tmp_path, ["setarch", "-R", *make_cmd(d)], fast, name,
                          rc=EXIT.get(name, 0), cwd=str(d))
        assert not rec.of("loss")
        out.append(facts(rec, d, by_fd=name != "stress"))
    return out


def io_threads(d):
    (d / "data").write_bytes(b"t" * 1000)
    return [workload("io_threads"), str(d / "data")]


def io_transfer(d):
    (d / "src").write_bytes(bytes(range(256)) * 47)
    return [workload("io_transfer"), str(d / "src"), str(d / "d1"), str(d / "d2")]


def io_files(d):
    (d / "w").mkdir()
    return [workload("io_files"), str(d / "w")]


WORKLOADS = {
    "io_threads": io_threads,
    "io_transfer": io_transfer,
    "io_files": io_files,
    "net_tcp4": lambda d: [workload("net_tcp"), "4"],
    "net_tcp6": lambda d: [workload("net_tcp"), "6"],
    "net_udp": lambda d: [workload("net_udp")],
    "net_unix": lambda d: [workload("net_unix"), str(d)],
    "stress": lambda d: [workload("fast_stress"), str(d), "4", "200"],
    # exec from a non-leader thread: the new image runs under the leader's
    # tid, whose task-map entry the engine must keep (stops_exec)
    "thread_exec": lambda d: [workload("proc_thread_exec")],
}


EXIT = {"thread_exec": 7}


@ROOT_ONLY
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_same_facts_in_both_modes(tmp_path, name):
    (fast_bytes, fast_calls), (slow_bytes, slow_calls) = both_modes(tmp_path, name,
                                                                      WORKLOADS[name])
    assert fast_bytes == slow_bytes
    assert fast_calls == slow_calls
    assert sum(fast_bytes.values()) > 0


@ROOT_ONLY
@pytest.mark.parametrize("fast", [True, False], ids=["fastpath", "ptrace"])
def test_fd_reuse_across_threads(tmp_path, fast):
    """4 threads each open, write one record to and close their own file,
    1000 times: fd numbers pass between the threads all the time. Every
    byte must be the writing thread's own file's, none lost."""
    rec = record_mode(tmp_path, [workload("fast_stress"), str(tmp_path), "4", "1000"],
                      fast, "stress")
    owner = {}
    for line in rec.proc.stdout.split("\n"):
        if line.strip():
            _, tid, path, nbytes = line.split()
            owner[path] = (int(tid), int(nbytes))
    assert len(owner) == 4
    per_path = collections.Counter()
    calls = collections.Counter()
    for e in rec.events:
        if e["type"] == "io" and e["op"] == "write" and e["fd_kind"] == "file":
            assert e.get("path") in owner, e
            assert owner[e["path"]][0] == e["tid"], e
            per_path[e["path"]] += e["bytes"]
            calls[e["path"]] += 1
    for path, (tid, nbytes) in owner.items():
        assert per_path[path] == nbytes == os.path.getsize(path)
        assert calls[path] == 1000
    assert not rec.of("loss")


@ROOT_ONLY
def test_fastpath_events_match_ptrace_fields(tmp_path):
    """The same event fields: a pread/pwrite offset, a writev's bytes, the
    time and duration of the call."""
    recs = {}
    for fast in (True, False):
        d = tmp_path / f"w-{fast}"
        d.mkdir()
        recs[fast] = record_mode(tmp_path, io_files(d), fast, "fields", cwd=str(d))

    def shape(rec):
        return [(e["syscall"], e["op"], e["fd"], e.get("bytes"), e.get("offset"),
                 e.get("errno"), e["fd_kind"])
                for e in rec.events if e["type"] == "io" and e["fd_kind"] == "file"]

    assert shape(recs[True]) == shape(recs[False])
    fast_io = [e for e in recs[True].events if e["type"] == "io"]
    assert fast_io and all(e["dur_ns"] > 0 and e["ts_ns"] > 0 for e in fast_io)
    assert any(e.get("offset", -1) >= 0 for e in fast_io)


def after_last_exec(rec):
    """The events of the last image (setarch's own run has ASLR on)."""
    last = max(i for i, e in enumerate(rec.events) if e["type"] == "exec")
    return rec.events[last + 1:]


def mem_shape(rec):
    """Every memory event of the last image, in order, with all its fields
    but time and ids."""
    drop = {"ts_ns", "dur_ns", "pid", "tid"}
    return [tuple(sorted((k, v) for k, v in e.items() if k not in drop))
            for e in after_last_exec(rec) if e["type"] in MEM_TYPES]


def final_memory(rec):
    """The FINAL block's Memory section of `show` (heap, mapped bytes and
    region count, peaks)."""
    p = subprocess.run([COMPENDIUM, "show", str(rec.path)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines() + p.stderr.splitlines()
    i = next(i for i, line in enumerate(lines) if line.strip() == "Memory:")
    sect = []
    for line in lines[i + 1:]:
        if not line.startswith("   "):
            break
        sect.append(line.strip())
    return sect


@ROOT_ONLY
def test_memory_events_same_in_both_modes(tmp_path):
    """io_mem's known map sequence and brk growth, plus everything ld.so
    and libc map before it: with ASLR off (setarch -R) the two modes must
    give the very same memory events, field by field and in the same order
    (brk's old break included), and the same final memory map."""
    f = tmp_path / "mapped"
    f.write_bytes(b"m" * 3 * 4096)
    recs, outs = {}, {}
    for fast in (True, False):
        recs[fast] = record_mode(tmp_path, ["setarch", "-R", workload("io_mem"), str(f)],
                                 fast, "mem")
        outs[fast] = recs[fast].proc.stdout
    assert outs[True] == outs[False]  # ASLR really off: the same addresses
    fast, slow = mem_shape(recs[True]), mem_shape(recs[False])
    assert len(fast) > 20 and fast == slow
    # the workload's own sequence is in it, with its file mapping and breaks
    out = dict(line.split(" ", 1) for line in outs[True].splitlines())
    base = int(out["base"])
    b0, b1, b2, b3 = (int(x) for x in out["brk"].split())
    ev = [e for e in after_last_exec(recs[True]) if e["type"] in MEM_TYPES]
    start = next(i for i, e in enumerate(ev) if e["type"] == "mmap" and e["addr"] == base
                 and e["len"] == 16 * 4096)
    assert [e["type"] for e in ev[start:] if e["type"] != "brk"][:7] == \
        ["mmap", "munmap", "mprotect", "mremap", "mmap", "mmap", "munmap"]
    assert any(e["type"] == "mmap" and e.get("path") == str(f) for e in ev[start:])
    assert [(e["old_brk"], e["new_brk"]) for e in ev[start:] if e["type"] == "brk"][-3:] == \
        [(b0, b1), (b1, b2), (b2, b3)]
    # times come from the kernel on the fast path: present and ordered
    assert all(e["dur_ns"] > 0 for e in ev)
    assert [e["ts_ns"] for e in ev] == sorted(e["ts_ns"] for e in ev)
    final = final_memory(recs[True])
    assert any(line.startswith("Mmap:") for line in final), final
    assert final == final_memory(recs[False])
    assert not recs[True].of("loss")


@ROOT_ONLY
def test_header_says_whether_fastpath_ran(tmp_path):
    rec = record_mode(tmp_path, ["/bin/true"], True, "on")
    assert "reason" not in fastpath_source(rec)
    rec = record_mode(tmp_path, ["/bin/true"], False, "off")
    assert fastpath_source(rec)["reason"] == "disabled by --no-fastpath"
    out = tmp_path / "noseccomp.cmp"
    p = subprocess.run([COMPENDIUM, "record", "-o", str(out), "--no-seccomp", "--",
                        "/bin/echo", "hi"], capture_output=True, text=True, timeout=60)
    rec = Recording(p, out)
    src = fastpath_source(rec)
    assert not src["active"] and "seccomp" in src["reason"]
    # without the fast path's filter every write still stops and is decoded
    assert [e["bytes"] for e in rec.of("io", op="write")] == [3]


@ROOT_ONLY
def test_without_privilege_ptrace_does_it_all(tmp_path):
    """As an unprivileged user the fast path does not start, the header says
    why, and the I/O is recorded through ptrace."""
    d = tempfile.mkdtemp(prefix="compendium-unpriv-")  # pytest's tmp is root's alone
    os.chmod(d, 0o777)
    d = pathlib.Path(d)
    out = d / "rec.cmp"
    data = d / "data"
    code = f"open('{data}', 'w').write('x' * 1234)"
    p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        "--inh-caps=-all", COMPENDIUM, "record", "-o", str(out), "--",
                        "/usr/bin/python3", "-c", code],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""  # the fast path steps aside silently
    rec = Recording(p, out)
    src = fastpath_source(rec)
    assert not src["active"] and "CAP_BPF" in src["reason"]
    writes = rec.of("io", op="write", path=str(data))
    assert sum(e["bytes"] for e in writes) == 1234
    shutil.rmtree(d, ignore_errors=True)


DD_100K = ["dd", "if=/dev/zero", "of=/dev/null", "bs=1k", "count=100", "status=none"]


def can_unshare_pid():
    return subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"],
                          capture_output=True).returncode == 0


NEEDS_PIDNS = pytest.mark.skipif(not can_unshare_pid(),
                                 reason="cannot create a PID namespace here")


def dd_bytes(rec):
    """(bytes read from /dev/zero, bytes written to /dev/null) by dd."""
    io = [e for e in rec.of("io") if e.get("path") in ("/dev/zero", "/dev/null")]
    return (sum(e["bytes"] for e in io if e["op"] == "read" and e["path"] == "/dev/zero"),
            sum(e["bytes"] for e in io if e["op"] == "write" and e["path"] == "/dev/null"))


@ROOT_ONLY
@NEEDS_PIDNS
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "ptrace"])
def test_inside_a_pid_namespace(tmp_path, fast):
    """compendium in a container's PID namespace: the kernel sees other
    process ids than ptrace; the fast path takes them in our namespace, so
    both modes record the same bytes, and --ebpf refuses with the reason."""
    out = tmp_path / "ns.cmp"
    opts = [] if fast else ["--no-fastpath"]
    p = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", COMPENDIUM, "record",
                        "-o", str(out), "--ebpf", *opts, "--", *DD_100K],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rec = Recording(p, out)
    assert fastpath_source(rec)["active"] == fast
    assert dd_bytes(rec) == (102400, 102400)
    assert not rec.of("loss")
    ebpf = next(s for s in rec.header["sources"] if s["name"] == "ebpf-sched")
    assert not ebpf["active"] and "PID namespace" in ebpf["reason"]
    assert "PID namespace" in p.stderr


@ROOT_ONLY
@NEEDS_PIDNS
def test_nested_pid_namespace_is_a_counted_loss(tmp_path):
    """A traced program that starts a child in a PID namespace of its own:
    the fast path cannot name that child's calls; they are missing, and
    the recording says so (loss fastpath-pidns), never silently."""
    rec = record_mode(tmp_path, ["unshare", "--pid", "--fork", *DD_100K], True, "nested")
    losses = {e["source"]: e for e in rec.of("loss")}
    assert losses["fastpath-pidns"]["count"] >= 1
    assert "--no-fastpath" in losses["fastpath-pidns"]["reason"]
    # its opens still go through ptrace
    assert {e["path"] for e in rec.of("open")} >= {"/dev/zero", "/dev/null"}
    ptrace = record_mode(tmp_path, ["unshare", "--pid", "--fork", *DD_100K], False, "nested")
    assert dd_bytes(ptrace) == (102400, 102400) and not ptrace.of("loss")
