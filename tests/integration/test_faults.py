"""Page faults (--faults) through the CLI on a real program: the recorded
counts per worker match what it touched and the kernel's own count, and
`show` groups them by region and sums them in the FINAL block."""
import os
import re

import pytest

from conftest import COMPENDIUM, run, workload

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root: perf_event_open of every traced task")

N = 300        # pages each worker touches in its fresh mapping and in the heap
PAGE = 4096


def workers(stdout):
    """fault_touch's "D KIND TID PID T0 T1 MINFLT0 MINFLT1 MMAP HEAP" lines."""
    out = []
    for line in stdout.splitlines():
        f = line.split()
        if f and f[0] == "D":
            out.append(dict(kind=f[1], tid=int(f[2]), pid=int(f[3]), t0=int(f[4]),
                            t1=int(f[5]), minflt=int(f[7]) - int(f[6]),
                            mmap=int(f[8], 16), heap=int(f[9], 16)))
    return out


@pytest.fixture
def touched(record):
    rec = record([workload("fault_touch"), str(N)], "--faults")
    assert rec.proc.returncode == 0, rec.proc.stderr
    ws = workers(rec.proc.stdout)
    assert sorted(w["kind"] for w in ws) == ["C", "T", "T"]
    return rec, ws


def test_counts_per_worker(touched):
    rec, ws = touched
    sources = {s["name"]: s["active"] for s in rec.header["sources"]}
    assert sources.get("perf-faults") is True
    base = rec.header["monotonic_base_ns"]
    faults = rec.of("fault")
    for w in ws:
        mine = [f for f in faults if f["tid"] == w["tid"]]
        assert all(f["pid"] == w["pid"] for f in mine)
        # THP is off in the workload: one touch is one fault, exactly
        assert sum(w["mmap"] <= f["addr"] < w["mmap"] + N * PAGE for f in mine) == N
        assert sum(w["heap"] <= f["addr"] < w["heap"] + N * PAGE for f in mine) == N
        # the kernel's count in the worker's window (getrusage around it):
        # the same faults, give or take the few getrusage/clock_gettime take
        window = [f for f in mine if w["t0"] - base <= f["ts_ns"] <= w["t1"] - base]
        assert 2 * N <= w["minflt"] <= 2 * N + 8
        assert abs(len(window) - w["minflt"]) <= 2, (len(window), w["minflt"])


def test_show_groups_and_final(touched):
    rec, ws = touched
    p = run(["show", str(rec.path)])
    assert p.returncode == 0, p.stderr
    text = p.stdout
    for w in ws:
        tag = rf"^\[\+\d+\.\d{{3}}s\] \[{w['tid']}\] "
        assert re.search(tag + rf"{N} faults in heap @ [0-9a-f]+ \(rw-\)$", text, re.M), text
        assert re.search(tag + rf"{N} faults in anon [0-9a-f]+-[0-9a-f]+ \(rw-\)$", text, re.M)
    m = re.search(r"^ Page faults:\n   ([\d,]+) minor, (\S+ \S+) touched\n"
                  r"   heap +([\d,]+) +\S+ \S+\n   anon +([\d,]+) +\S+ \S+\n"
                  r"   file +([\d,]+) +\S+ \S+\n   stack +([\d,]+) +\S+ \S+\n", text, re.M)
    assert m, text
    total, heap, anon = (int(m.group(i).replace(",", "")) for i in (1, 3, 4))
    assert total == len(rec.of("fault"))
    # the workers' 3N each, plus what the runtime itself touches there
    assert 3 * N <= heap <= 3 * N + 16
    assert 3 * N <= anon <= 3 * N + 64
    peak = re.search(r"^   Peak resident growth: ([\d.]+) MB$", text, re.M)
    assert peak and float(peak.group(1)) * 2**20 >= 6 * N * PAGE * 0.99


def test_live_equals_show_with_faults(tmp_path):
    rec = tmp_path / "rec.cmp"
    import subprocess
    p = subprocess.run([COMPENDIUM, "--faults", "-w", str(rec), "--",
                        workload("fault_touch"), str(N)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    s = run(["show", str(rec)])
    assert p.stderr == s.stdout
    assert f" {N} faults in heap @ " in p.stderr
