#!/usr/bin/env python3
"""make bench: what tracing costs, measured side by side in one run.

Each workload runs untraced, under `strace -f -o /dev/null`, under
`strace -f --seccomp-bpf -e trace=<what compendium decodes>` (the floor of
ptrace for this information), under `perf trace -o /dev/null`, and under
`compendium record` (plus --faults / --ebpf when they work here). compendium
runs with its I/O fast path (the default as root: the read/write family
recorded by eBPF) and with --no-fastpath (ptrace only), as two columns. Runs are
interleaved (tool after tool, round after round) so that drifts of the
machine hit every tool alike. Printed per workload: median wall time and
spread (min-max), and the ratio of compendium's added time (t - t_untraced)
to strace's added time. Also: recording size per event, compendium's peak
RSS, `show` / `report` throughput, and on the dd storm the added cost per
syscall in ns ((t - t_untraced) / syscalls).

usage: bench.py COMPENDIUM WORKLOADS_DIR LIST_SYSCALLS [--runs N] [--only a,b]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DD_COUNT = 20000  # dd storm: one read and one write per byte
# Pause before each run. A tool that detaches from the syscall tracepoints
# (perf trace, compendium's fast path) makes the next tool that attaches to
# them wait for an RCU grace period (~10 ms here): without a pause, each
# tool would pay for the previous one's teardown.
PAUSE_S = 0.1


def workloads(wdir, tmp):
    src = os.path.join(ROOT, "format", "reader.c")
    cc = ["gcc", "-O2", "-std=gnu11", "-I" + ROOT, "-I" + os.path.join(ROOT, "format"),
          "-I" + os.path.join(ROOT, "build", "gen"), "-c", src, "-o", os.path.join(tmp, "r.o")]
    return {
        "compile": cc,
        "tar": ["sh", "-c", "tar cf - /usr/include/linux 2>/dev/null | cat >/dev/null"],
        "spawn500": ["sh", "-c", "for i in $(seq 500); do /bin/true; done"],
        "dd": ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=" + str(DD_COUNT),
               "status=none"],
        "threads8": [os.path.join(wdir, "bench_threads"), tmp],
        "tcp10k": [os.path.join(wdir, "bench_tcp")],
    }


def works(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def tools(comp, syscalls, recdir):
    t = {
        "untraced": lambda name: [],
        "strace": lambda name: ["strace", "-f", "-o", "/dev/null"],
        "strace-seccomp": lambda name: ["strace", "-f", "--seccomp-bpf", "-e",
                                        "trace=" + syscalls, "-o", "/dev/null"],
        "perf-trace": lambda name: ["perf", "trace", "-o", "/dev/null", "--"],
        "compendium": lambda name: [comp, "record", "--force", "-o",
                                    os.path.join(recdir, name + ".cmp"), "--"],
        "compendium-nofast": lambda name: [comp, "record", "--force", "-o",
                                           os.path.join(recdir, name + "-nofast.cmp"),
                                           "--no-fastpath", "--"],
    }
    probe = os.path.join(recdir, "probe.cmp")
    if not (works([comp, "record", "--force", "-o", probe, "--", "true"]) and
            source_active(comp, probe, "fastpath")):
        print("note: the I/O fast path is not active here (not root?): "
              "compendium and compendium-nofast both run through ptrace")
    if not works(["perf", "trace", "-o", "/dev/null", "--", "true"]):
        del t["perf-trace"]
    for opt, source in (("--faults", "perf-faults"), ("--ebpf", "ebpf")):
        probe = os.path.join(recdir, "probe.cmp")
        if works([comp, "record", "--force", "-o", probe, opt, "--", "true"]) and \
                source_active(comp, probe, source):
            t["compendium" + opt.replace("--", "+")] = (
                lambda name, opt=opt: [comp, "record", "--force", "-o",
                                       os.path.join(recdir, name + opt[1:] + ".cmp"),
                                       opt, "--"])
    return t


def source_active(comp, path, name):
    """Whether the recording's header says the source `name` ran."""
    header = next((r for r in records(comp, path) if r["type"] == "header"), {})
    return any(s.get("name", "").startswith(name) and s.get("active")
               for s in header.get("sources", []))


def timed(cmd):
    """Wall time of cmd, and CPU time of it and every process it reaped.
    wait4 rather than subprocess's wait: with a timeout, Python polls with
    sleeps of up to 50 ms, which would quantise every figure."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"failed ({p.returncode}): {' '.join(cmd)}")
    return dt, ru.ru_utime + ru.ru_stime


def records(comp, path):
    out = subprocess.run([comp, "show", "--json", path], capture_output=True,
                         timeout=600).stdout.decode("utf-8", "replace")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def ratios(wl, tl, med, what):
    print()
    print(f"added {what} relative to strace -f: (t - t_untraced) / (t_strace - t_untraced)")
    print(f"{'workload':10}" + "".join(f"{t:>18}" for t in tl if t != "untraced"))
    for w in wl:
        base = med[(w, "untraced")]
        ref = med[(w, "strace")] - base
        row = f"{w:10}"
        for t in tl:
            if t != "untraced":
                row += f"{(med[(w, t)] - base) / ref:18.2f}" if ref > 0 else f"{'-':>18}"
        print(row)


def fmt_t(v):
    return f"{v * 1000:8.1f}ms" if v < 10 else f"{v:8.2f}s "


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("compendium")
    ap.add_argument("workloads")
    ap.add_argument("list_syscalls")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    syscalls = subprocess.run([a.list_syscalls], capture_output=True, text=True,
                              check=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="compendium-bench-")
    recdir = os.path.join(tmp, "rec")
    os.mkdir(recdir)
    wl = workloads(a.workloads, tmp)
    if a.only:
        wl = {k: v for k, v in wl.items() if k in a.only.split(",")}
    tl = tools(a.compendium, syscalls, recdir)
    uname = os.uname()
    print(f"compendium benchmark: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"Linux {uname.release}, {a.runs} interleaved runs, median (min-max)")
    print(f"tools: {', '.join(tl)}")
    times = {(w, t): [] for w in wl for t in tl}
    cpu = {(w, t): [] for w in wl for t in tl}
    for r in range(a.runs):
        for w, cmd in wl.items():
            for t, prefix in tl.items():
                time.sleep(PAUSE_S)
                wall, c = timed(prefix(w) + cmd)
                times[(w, t)].append(wall)
                cpu[(w, t)].append(c)
    med = {k: statistics.median(v) for k, v in times.items()}
    cmed = {k: statistics.median(v) for k, v in cpu.items()}
    print()
    print(f"{'workload':10}" + "".join(f"{t:>22}" for t in tl))
    for w in wl:
        row = f"{w:10}"
        for t in tl:
            v = times[(w, t)]
            row += f"  {fmt_t(med[(w, t)])} ({min(v) / med[(w, t)] * 100 - 100:+3.0f}/" \
                   f"{max(v) / med[(w, t)] * 100 - 100:+3.0f}%)"
        print(row)
    ratios(wl, tl, med, "wall time (medians)")
    # Noise on a shared VM only ever adds time: the fastest runs are the
    # steadier estimate of what a tool costs; both are printed.
    ratios(wl, tl, {k: min(v) for k, v in times.items()}, "wall time (fastest runs)")
    ratios(wl, tl, cmed, "CPU time of the tool and the workload (medians)")
    if "dd" in wl:
        calls = 2 * DD_COUNT
        base = med[("dd", "untraced")]
        print()
        print(f"dd storm: added cost per syscall ((t - t_untraced) / {calls} read+write), "
              "wall time, startup included")
        print("".join(f"{t:>18}" for t in tl if t != "untraced"))
        print("".join(f"{(med[('dd', t)] - base) / calls * 1e9:15.0f} ns"
                      for t in tl if t != "untraced"))
    print()
    print("recordings (compendium record, last run):")
    for w in wl:
        path = os.path.join(recdir, w + ".cmp")
        recs = records(a.compendium, path)
        events = sum(1 for r in recs if r["type"] not in ("header", "trailer", "end"))
        trailer = next((r for r in recs if r["type"] == "trailer"), {})
        size = os.path.getsize(path)
        rss = trailer.get("recorder_max_rss_kb")
        t0 = time.perf_counter()
        subprocess.run([a.compendium, "show", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        show_s = time.perf_counter() - t0
        print(f"  {w:10} {events:8} events {size:9} B  {size / max(events, 1):5.2f} B/event"
              f"  recorder peak RSS {rss if rss is not None else '?'} KiB"
              f"  show {events / show_s / 1e6:5.2f} M events/s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
