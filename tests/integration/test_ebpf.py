"""Scheduler and block-I/O latency (--ebpf) through the CLI on real
programs: the events are the traced tasks', `show` filters and groups them,
the FINAL block has the percentiles and histograms."""
import os
import re
import subprocess

import pytest

from conftest import run, workload

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root: loading BPF programs (CAP_BPF, CAP_PERFMON)")

DISK_DIR = "/var/tmp"


def spinners(stdout):
    """ebpf_spin's "spin pid=P tid=T wait_ns=W" lines."""
    return [dict(pid=int(m[0]), tid=int(m[1]), wait=int(m[2]))
            for m in re.findall(r"spin pid=(\d+) tid=(\d+) wait_ns=(\d+)", stdout)]


def latency_us(text):
    """'1.2 ms', '850 ns', '12 µs' -> µs."""
    v, unit = text.split()
    return float(v) * {"ns": 1e-3, "µs": 1, "ms": 1e3, "s": 1e6}[unit]


def test_spin_sched_events_and_final(record):
    threads = 2 * (os.cpu_count() or 1) + 1
    rec = record([workload("ebpf_spin"), str(threads), "300"], "--ebpf")
    assert rec.proc.returncode == 0, rec.proc.stderr
    spin = spinners(rec.proc.stdout)
    assert len(spin) == threads
    sched = rec.of("sched")
    traced = {e["pid"] for e in rec.events if e["type"] in ("exec", "spawn")}
    assert {e["pid"] for e in sched} <= traced | {rec.header["root_pid"]}
    for s in spin:  # more runnable threads than CPUs: each one waited
        assert any(e["tid"] == s["tid"] for e in sched), s
    hists = rec.of("hist", kind="sched")
    assert hists
    text = run(["show", str(rec.path)]).stdout
    # without -v: only delays of at least 100 µs
    shown = re.findall(r"sched delay (\S+ \S+) cpu", text)
    assert all(latency_us(d) >= 100 for d in shown)
    assert len(shown) == sum(e["delay_ns"] >= 100000 for e in sched)
    verbose = run(["show", "-v", str(rec.path)]).stdout
    assert len(re.findall(r"sched delay ", verbose)) == len(sched)
    waits = sum(sum(h["buckets"]) for h in hists)
    m = re.search(r"^ Scheduler latency:\n   ([\d,]+) waits \(from in-kernel histograms: "
                  r"every wait\)\n   p50 ≤ (\S+ \S+), p99 ≤ (\S+ \S+), max (\S+ \S+)\n",
                  text, re.M)
    assert m, text
    assert int(m.group(1).replace(",", "")) == waits
    assert latency_us(m.group(2)) <= latency_us(m.group(3)) <= latency_us(m.group(4))
    assert latency_us(m.group(4)) == pytest.approx(max(e["delay_ns"] for e in sched) / 1e3,
                                                   rel=0.1)
    assert re.search(r"^ +\S+ \S+ -> \S+ \S+ +[\d,]+ \|\*+ *\|$", text, re.M)


def test_threshold_zero_gives_more_events(record):
    args = [workload("ebpf_spin"), "2", "200", "sleep"]
    default = record(args, "--ebpf")
    every = record(args, "--ebpf", "--sched-threshold", "0")
    assert default.proc.returncode == 0 and every.proc.returncode == 0
    n_default, n_every = len(default.of("sched")), len(every.of("sched"))
    assert n_every > n_default
    assert all(e["delay_ns"] >= 10000 for e in default.of("sched"))


def test_fork_is_followed(record):
    rec = record([workload("ebpf_spin"), str(2 * (os.cpu_count() or 1)), "300", "fork"],
                 "--ebpf")
    assert rec.proc.returncode == 0, rec.proc.stderr
    child = {s["pid"] for s in spinners(rec.proc.stdout)} - {rec.header["root_pid"]}
    assert len(child) == 1
    assert any(e["pid"] in child for e in rec.of("sched"))


def disk_backed(path):
    fs = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True)
    return fs.returncode == 0 and fs.stdout.strip() not in ("tmpfs", "ramfs", "overlayfs")


def test_direct_io_block_requests(record, tmp_path):
    if not disk_backed(DISK_DIR):
        pytest.skip(f"{DISK_DIR} is not on a disk (tmpfs): no block requests to see")
    # one page per request: a multi-page request may be split by the block
    # layer (8192 + 8192 seen once for 16 KiB), a page never is
    n, bsize = 8, 4096
    path = os.path.join(DISK_DIR, f"compendium-test-dio-{os.getpid()}.bin")
    try:
        with open(path, "wb") as f:  # allocated beforehand: the test writes no metadata
            f.write(b"\0" * n * bsize)
            os.fsync(f.fileno())
        rec = record([workload("ebpf_dio"), "direct", path, str(n), str(bsize)], "--ebpf")
    finally:
        os.unlink(path)
    assert rec.proc.returncode == 0, rec.proc.stderr
    root = rec.header["root_pid"]
    mine = [e for e in rec.of("block") if e["pid"] == root and not e["writeback"]]
    # Each O_DIRECT pwrite/pread issues its one request while it runs. The
    # program's own page-ins (its binary and libraries after the page cache
    # was dropped) are block reads of this task too, outside those calls.
    calls = [e for e in rec.of("io") if e.get("path") == path]
    assert [e["syscall"] for e in calls] == ["pwrite64"] * n + ["pread64"] * n
    for c in calls:
        inside = [b for b in mine if c["ts_ns"] <= b["ts_ns"] <= c["ts_ns"] + c["dur_ns"]]
        assert [(b["bytes"], b["write"]) for b in inside] == \
            [(bsize, c["syscall"] == "pwrite64")], (c, inside)
    writes = [e for e in mine if e["write"]]
    assert [e["bytes"] for e in writes] == [bsize] * n
    text = run(["show", str(rec.path)]).stdout
    def folded(op):
        return sum(int(c or 1) for c in re.findall(
            rf"block {op} +4\.0 KB(?: ×(\d+) \(avg \S+ \S+, max \S+ \S+\)| \(\S+ \S+\))$",
            text, re.M))
    assert folded("write") == n and folded("read ") >= n  # page-ins may be 4 KiB reads too
    assert f" block write   4.0 KB ×{n} (avg " in text  # one group: the pwrites between do not cut it
    m = re.search(r"^ Block I/O:\n   (\d+) requests, read (\S+ \S+), written (\S+ \S+)\n", text, re.M)
    assert m and m.group(3) == "32.0 KB", text
    assert int(m.group(1)) == len(mine) and len(mine) >= 2 * n
    assert re.search(r"^   p50 ≤ \S+ \S+, p99 ≤ \S+ \S+, max \S+ \S+$", text, re.M)
