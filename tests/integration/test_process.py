"""Tracer core: processes, threads, exec, signals, Ctrl-C and attach, asserted
through `compendium record` + `compendium show --json` on the programs in
tests/workloads/proc_*.c.
"""
import collections
import os
import re
import select
import signal
import socket
import subprocess
import time

import pytest

from conftest import COMPENDIUM, Recording, workload

CLONE_VM = 0x100
CLONE_FILES = 0x400
CLONE_THREAD = 0x10000
CLONE_VFORK = 0x4000


def exits(rec, **match):
    return rec.of("exit", **match)


def spawned(proc, timeout=10):
    """Starts `compendium record ...` in the background (its stdout piped)."""
    return subprocess.Popen([COMPENDIUM, "record", *proc], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def read_line(stream, timeout=10):
    """One line of a child's stdout, failing the test instead of hanging.
    Reads the fd byte by byte so nothing is left in a Python buffer."""
    line = b""
    end = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        left = end - time.monotonic()
        ready, _, _ = select.select([stream], [], [], max(left, 0))
        assert ready, f"no output from the traced program in time (got {line!r})"
        byte = os.read(stream.fileno(), 1)
        assert byte, f"output ended early (got {line!r})"
        line += byte
    return line.decode()


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def wait_for(pred, timeout=10, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


# ---- fork, exec, exit -------------------------------------------------------

def test_fork_exec_chain_exit_codes(record):
    rec = record([workload("proc_forkexec"), "3"])
    assert rec.proc.returncode == 13
    levels = {int(m[1]): (int(m[0]), int(m[2]))
              for m in re.findall(r"level (\d+) pid (\d+) exit (\d+)", rec.proc.stdout)}
    assert sorted(levels.values()) == [(0, 10), (1, 11), (2, 12), (3, 13)]
    # every process is exec'd with its level, in order, the root first
    execs = rec.of("exec")
    assert [e["argv"][1] for e in execs] == ["3", "2", "1", "0"]
    assert [e["pid"] for e in execs] == sorted(levels, key=lambda p: -levels[p][0])
    assert all(e["path"] == workload("proc_forkexec") for e in execs)
    # each level forked the next one
    by_level = {lvl: pid for pid, (lvl, _) in levels.items()}
    spawns = rec.of("spawn")
    assert [(s["pid"], s["child_pid"], s["kind"]) for s in spawns] == \
        [(by_level[l], by_level[l - 1], "process") for l in (3, 2, 1)]
    assert all(s["child_tid"] == s["child_pid"] for s in spawns)
    # one exit per process with its exact code
    assert sorted((e["pid"], e["exit_code"]) for e in exits(rec)) == \
        sorted((pid, code) for pid, (_, code) in levels.items())
    assert all(e["thread"] is False for e in exits(rec))
    assert rec.trailer["end_reason"] == "completed"
    assert rec.trailer["exit_code"] == 13
    assert rec.header["root_pid"] == by_level[3]
    assert rec.end["truncated"] is False


def test_failed_exec_then_a_good_one(record, tmp_path):
    """A failed exec is an event with its errno and the path made absolute
    against the cwd of that moment (taken at the entry stop: with the fast
    path the call has no exit stop); the exec that follows succeeds."""
    script = f"cd {tmp_path} && ./no-such-program; exec /bin/true"
    r = record(["sh", "-c", script])
    assert r.proc.returncode == 0, r.proc.stderr
    execs = r.of("exec")
    failed = [e for e in execs if e.get("errno")]
    assert [(e["path"], e["errno"]) for e in failed] == \
        [(f"{tmp_path}/no-such-program", "ENOENT")]
    assert execs[-1]["path"] == "/usr/bin/true" or execs[-1]["path"] == "/bin/true"
    assert "errno" not in execs[-1] and execs[-1]["pid"] == execs[0]["pid"]


def test_no_seccomp_sees_the_same_process_events(record):
    """The seccomp filter must not hide anything the decoders would see."""
    def facts(rec):
        return (len(rec.of("exec")), len(rec.of("spawn")),
                sorted(e["exit_code"] for e in exits(rec)),
                sorted((e["path"], e["fd"]) for e in rec.of("open")),
                collections.Counter(e["type"] for e in rec.events))

    with_filter = record([workload("proc_forkexec"), "2"])
    without = record([workload("proc_forkexec"), "2"], "--no-seccomp")
    assert without.proc.returncode == with_filter.proc.returncode == 12
    assert facts(with_filter) == facts(without)
    sources = {s["name"]: s for s in without.header["sources"]}
    assert sources["seccomp"]["active"] is False
    assert "--no-seccomp" in sources["seccomp"]["reason"]
    sources = {s["name"]: s for s in with_filter.header["sources"]}
    assert sources["seccomp"]["active"] is True and sources["ptrace"]["active"] is True


def test_sixteen_threads_exit_in_random_order(record):
    rec = record([workload("proc_threads")])
    assert rec.proc.returncode == 0
    assert rec.proc.stdout == "threads 16\n"
    root = rec.header["root_pid"]
    spawns = rec.of("spawn")
    assert len(spawns) == 16
    assert all(s["kind"] == "thread" and s["pid"] == root and s["child_pid"] == root
               for s in spawns)
    assert all(s["clone_flags"] & (CLONE_VM | CLONE_FILES | CLONE_THREAD) ==
               CLONE_VM | CLONE_FILES | CLONE_THREAD for s in spawns)
    tids = {s["child_tid"] for s in spawns}
    assert len(tids) == 16 and root not in tids
    thread_exits = exits(rec, thread=True)
    assert sorted(e["tid"] for e in thread_exits) == sorted(tids)
    assert all(e["pid"] == root and e["exit_code"] == 0 for e in thread_exits)
    proc_exits = exits(rec, thread=False)
    assert [(e["tid"], e["exit_code"]) for e in proc_exits] == [(root, 0)]
    # the process exit comes after every thread's
    assert rec.events.index(proc_exits[0]) > max(rec.events.index(e) for e in thread_exits)
    # each thread's own syscalls are attributed to it (per-task state)
    opens = {e["tid"] for e in rec.of("open", path="/dev/null")}
    assert opens == tids


def test_exec_from_a_non_leader_thread(record):
    rec = record([workload("proc_thread_exec")], timeout=30)
    assert rec.proc.returncode == 7
    m = re.search(r"exec from tid (\d+) pid (\d+)", rec.proc.stdout)
    execer, pid = int(m[1]), int(m[2])
    assert execer != pid
    assert f"child pid {pid}\n" in rec.proc.stdout
    execs = rec.of("exec")
    assert len(execs) == 2
    last = execs[1]
    assert (last["pid"], last["tid"], last.get("old_tid")) == (pid, pid, execer)
    assert last["argv"][1:] == ["child"]
    threads = {s["child_tid"] for s in rec.of("spawn", kind="thread")}
    assert len(threads) == 3 and execer in threads
    # the two blocked threads and the old leader end as threads; the process
    # (now running in the execer, under the leader's tid) exits 7
    assert sorted(e["tid"] for e in exits(rec, thread=True)) == \
        sorted((threads - {execer}) | {pid})
    assert [(e["tid"], e["exit_code"]) for e in exits(rec, thread=False)] == [(pid, 7)]
    assert not [e for e in rec.events if e["tid"] == execer and
                rec.events.index(e) > rec.events.index(last)]
    assert rec.trailer["exit_code"] == 7


def test_posix_spawn_and_vfork(record):
    rec = record([workload("proc_spawn")])
    assert rec.proc.returncode == 0
    p1 = int(re.search(r"posix_spawn pid (\d+) exit 21", rec.proc.stdout)[1])
    p2 = int(re.search(r"vfork pid (\d+) exit 22", rec.proc.stdout)[1])
    spawns = rec.of("spawn")
    assert [(s["child_pid"], s["kind"]) for s in spawns] == [(p1, "vfork"), (p2, "vfork")]
    assert all(s["clone_flags"] & (CLONE_VM | CLONE_VFORK) == CLONE_VM | CLONE_VFORK
               for s in spawns)
    assert spawns[1]["syscall"] == "vfork"
    assert spawns[0]["syscall"] in ("clone", "clone3")
    assert [(e["pid"], e["argv"][1:]) for e in rec.of("exec")[1:]] == \
        [(p1, ["exit", "21"]), (p2, ["exit", "22"])]
    codes = {e["pid"]: e["exit_code"] for e in exits(rec)}
    assert codes == {p1: 21, p2: 22, rec.header["root_pid"]: 0}


def test_child_killed_by_sigsegv_with_core(record, tmp_path):
    rec = record([workload("proc_segv")], cwd=tmp_path)
    assert rec.proc.returncode == 0
    m = re.search(r"child (\d+) signal (\d+) core (\d)", rec.proc.stdout)
    child, sig, core = int(m[1]), int(m[2]), m[3] == "1"
    assert sig == signal.SIGSEGV
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if not pattern.startswith("|") and "/" not in pattern:
        assert core, "core_pattern writes to the cwd: the child must dump core"
    delivered = rec.of("signal", tid=child, signal="SIGSEGV")
    assert len(delivered) == 1 and delivered[0]["code"] > 0  # SEGV_MAPERR: from the kernel
    [ex] = exits(rec, pid=child)
    assert ex["signal"] == "SIGSEGV"
    assert "exit_code" not in ex
    assert ex["core_dumped"] is core
    assert rec.trailer["end_reason"] == "completed"


# ---- job control and signals ------------------------------------------------

def test_sigstop_child_is_seen_stopped_and_resumed(record):
    """The parent's waitpid(WUNTRACED) must see the stop: SIGSTOP is not swallowed."""
    rec = record([workload("proc_stop"), "child"], timeout=30)
    assert rec.proc.returncode == 0
    assert rec.proc.stdout == "stopped 19\nchild exit 5\n"
    child = rec.of("spawn")[0]["child_pid"]
    assert len(rec.of("signal", tid=child, signal="SIGSTOP", group_stop=True)) == 1
    assert len(rec.of("signal", tid=child, signal="SIGCONT")) == 1
    assert [e["exit_code"] for e in exits(rec, pid=child)] == [5]


def test_self_stopped_program_really_stops_then_finishes(tmp_path):
    out = tmp_path / "stop.cmp"
    p = spawned(["-o", str(out), "--", workload("proc_stop"), "self"])
    try:
        pid = int(read_line(p.stdout).split()[1])
        wait_for(lambda: proc_state(pid) in ("T", "t"), what="the program to stop")
        time.sleep(0.3)
        assert proc_state(pid) in ("T", "t"), "a SIGSTOPped tracee must stay stopped"
        assert p.poll() is None
        os.kill(pid, signal.SIGCONT)
        stdout, _ = p.communicate(timeout=20)
    finally:
        p.kill()
    assert p.returncode == 6
    assert stdout == "resumed\n"
    rec = Recording(p, out)
    assert len(rec.of("signal", signal="SIGSTOP", group_stop=True)) == 1
    [cont] = rec.of("signal", signal="SIGCONT")
    assert cont["sender_pid"] == os.getpid()
    assert rec.trailer["exit_code"] == 6


def test_sigint_is_forwarded_to_the_program_once(tmp_path):
    """First Ctrl-C (here a SIGINT sent to compendium, not from a terminal)
    reaches the program, whose handler runs; a genuine SIGTRAP reaches it too."""
    out = tmp_path / "int.cmp"
    p = spawned(["-o", str(out), "--", workload("proc_sigint")])
    try:
        assert read_line(p.stdout) == "got SIGTRAP\n"
        assert read_line(p.stdout) == "ready\n"
        p.send_signal(signal.SIGINT)
        stdout, _ = p.communicate(timeout=20)
    finally:
        p.kill()
    assert p.returncode == 42
    assert stdout == "got SIGINT\n"
    rec = Recording(p, out)
    [sigint] = rec.of("signal", signal="SIGINT")
    assert sigint["sender_pid"] == p.pid
    assert len(rec.of("signal", signal="SIGTRAP")) == 1
    assert rec.trailer["end_reason"] == "completed"
    assert rec.trailer["exit_code"] == 42


def test_second_sigint_kills_the_program(tmp_path):
    out = tmp_path / "int2.cmp"
    p = spawned(["-o", str(out), "--", workload("proc_sigint"), "ignore"])
    try:
        assert read_line(p.stdout) == "ready\n"
        p.send_signal(signal.SIGINT)
        time.sleep(0.3)
        assert p.poll() is None, "the first SIGINT must not end the trace"
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=20)
    finally:
        p.kill()
    assert p.returncode == 128 + signal.SIGKILL
    rec = Recording(p, out)
    assert len(rec.of("signal", signal="SIGINT")) == 1
    [ex] = exits(rec)
    assert ex["signal"] == "SIGKILL"
    assert rec.trailer["end_reason"] == "interrupted"
    assert rec.trailer["exit_signal"] == "SIGKILL"


def test_sigterm_ends_the_recording_cleanly(tmp_path):
    out = tmp_path / "term.cmp"
    p = spawned(["-o", str(out), "--", workload("proc_sigint"), "ignore"])
    try:
        assert read_line(p.stdout) == "ready\n"
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=20)
    finally:
        p.kill()
    assert p.returncode == 128 + signal.SIGKILL
    rec = Recording(p, out)
    assert rec.trailer["end_reason"] == "interrupted"
    assert rec.end["truncated"] is False


def test_tracee_killed_by_sigkill_leaves_a_complete_recording(tmp_path):
    out = tmp_path / "kill.cmp"
    p = spawned(["-o", str(out), "--", workload("proc_stop"), "self"])
    try:
        pid = int(read_line(p.stdout).split()[1])
        wait_for(lambda: proc_state(pid) in ("T", "t"), what="the program to stop")
        os.kill(pid, signal.SIGKILL)
        p.communicate(timeout=20)
    finally:
        p.kill()
    assert p.returncode == 128 + signal.SIGKILL
    rec = Recording(p, out)
    assert rec.trailer["end_reason"] == "killed"
    assert rec.trailer["exit_signal"] == "SIGKILL"
    assert [e["signal"] for e in exits(rec)] == ["SIGKILL"]
    assert rec.end["truncated"] is False and rec.end["corrupt_frames"] == 0


# ---- many processes -----------------------------------------------------------

def test_thousand_short_lived_children(record):
    rec = record([workload("proc_many"), "1000"], timeout=120)
    assert rec.proc.returncode == 0
    assert rec.proc.stdout == "children 1000\n"
    root = rec.header["root_pid"]
    spawns = rec.of("spawn")
    assert len(spawns) == 1000
    children = [s["child_pid"] for s in spawns]
    assert len(set(children)) == 1000
    codes = {e["pid"]: e["exit_code"] for e in exits(rec) if e["pid"] != root}
    assert len(codes) == 1000
    assert [codes[c] for c in children] == [i % 200 for i in range(1000)]
    assert [e["exit_code"] for e in exits(rec, pid=root)] == [0]
    assert rec.trailer["event_count"] == rec.end["events"] == len(rec.events)


# ---- transparency ---------------------------------------------------------------

@pytest.mark.parametrize("cmd,stdin", [
    (["proc_stdio"], "one\ntwo\nthree\n"),
    (["/bin/sh", "-c", "echo out; echo err >&2; read x; echo \"got $x\"; exit 3"], "hello\n"),
    (["proc_forkexec", "2"], ""),
])
def test_output_and_status_identical_to_untraced(record, cmd, stdin):
    argv = [workload(cmd[0]) if "/" not in cmd[0] else cmd[0], *cmd[1:]]
    plain = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30)
    rec = record(argv, input=stdin)
    normalise = (lambda s: re.sub(r"pid \d+", "pid N", s))
    assert normalise(rec.proc.stdout) == normalise(plain.stdout)
    assert rec.proc.stderr == plain.stderr
    assert rec.proc.returncode == plain.returncode
    assert rec.trailer["exit_code"] == plain.returncode


# ---- attach ---------------------------------------------------------------------

def ask(port, text):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(text.encode() + b"\n")
        return s.makefile().readline()


def tracer_pid(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"TracerPid:\s+(\d+)", f.read())[1])


def test_attach_to_multithreaded_server_and_detach(tmp_path):
    server = subprocess.Popen([workload("proc_server")], stdout=subprocess.PIPE, text=True)
    out = tmp_path / "attach.cmp"
    try:
        port = int(read_line(server.stdout).split()[1])
        nthreads = int(read_line(server.stdout).split()[1])
        wait_for(lambda: len(os.listdir(f"/proc/{server.pid}/task")) == nthreads,
                 what="the server's threads")
        tids = sorted(int(t) for t in os.listdir(f"/proc/{server.pid}/task"))
        p = spawned(["-o", str(out), "-p", str(server.pid)])
        wait_for(lambda: all(tracer_pid(t) == p.pid for t in tids), what="attach")
        assert ask(port, "one") == "pong one\n"
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=20)
        assert p.returncode == 0, err
        # detached from every thread, still running and answering
        assert all(tracer_pid(t) == 0 for t in tids)
        assert server.poll() is None
        assert proc_state(server.pid) in ("S", "R")
        assert ask(port, "two") == "pong two\n"
    finally:
        server.kill()
        server.wait()
    rec = Recording(p, out)
    assert rec.header["mode"] == "attach"
    assert rec.header["root_pid"] == server.pid
    assert rec.header["argv"] == []
    tasks = rec.of("task")
    assert sorted(t["tid"] for t in tasks) == tids
    assert all(t["seeded"] and t["comm"] == "proc_server" for t in tasks)
    assert [t["tid"] for t in tasks if not t["thread"]] == [server.pid]
    [loss] = rec.of("loss")
    assert loss["source"] == "attach"
    assert rec.trailer["end_reason"] == "detached"
    assert [l["source"] for l in rec.trailer["losses"]] == ["attach"]
    # the listening socket was seeded from /proc
    binds = rec.of("bind", addr=f"127.0.0.1:{port}")
    assert len(binds) == 1 and binds[0]["seeded"]
    # the request made while attached was seen: accepted and answered
    assert any(e.get("peer") is not None or e["type"] == "accept" for e in
               rec.of("accept") + rec.of("io", op="write"))
    assert not exits(rec)


def test_attach_sees_a_process_exit(tmp_path):
    """Attached, then the process exits by itself: recorded as completed."""
    prog = subprocess.Popen([workload("proc_sigint")], stdout=subprocess.PIPE, text=True)
    out = tmp_path / "attach-exit.cmp"
    try:
        read_line(prog.stdout)
        read_line(prog.stdout)
        p = spawned(["-o", str(out), "-p", str(prog.pid)])
        wait_for(lambda: tracer_pid(prog.pid) == p.pid, what="attach")
        prog.send_signal(signal.SIGINT)
        assert prog.wait(timeout=10) == 42
        p.communicate(timeout=20)
    finally:
        prog.kill()
    assert p.returncode == 42
    rec = Recording(p, out)
    assert [(e["pid"], e["exit_code"]) for e in exits(rec)] == [(prog.pid, 42)]
    [sig] = rec.of("signal", signal="SIGINT")
    assert sig["sender_pid"] == os.getpid()
    assert rec.trailer["end_reason"] == "completed"


def test_ctrl_c_on_a_terminal_reaches_the_program_exactly_once(tmp_path):
    """On a terminal, Ctrl-C signals the whole foreground group (compendium and
    the program): compendium must not forward a second SIGINT, and keeps
    recording until the program (which handles it) exits."""
    import fcntl
    import pty
    import termios
    out = tmp_path / "tty.cmp"
    master, slave = pty.openpty()
    p = subprocess.Popen([COMPENDIUM, "record", "-o", str(out), "--", workload("proc_sigint")],
                         stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    seen = b""
    try:
        end = time.monotonic() + 10
        while b"ready" not in seen and time.monotonic() < end:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 1024)
        assert b"ready" in seen
        os.write(master, b"\x03")  # the terminal's VINTR: Ctrl-C
        assert p.wait(timeout=20) == 42
        while select.select([master], [], [], 0.2)[0]:
            try:
                seen += os.read(master, 1024)
            except OSError:
                break
    finally:
        p.kill()
        os.close(master)
    assert seen.count(b"got SIGINT") == 1
    rec = Recording(p, out)
    [sigint] = rec.of("signal", signal="SIGINT")
    assert sigint["code"] == 0x80  # SI_KERNEL: sent by the terminal, not forwarded
    assert rec.trailer["end_reason"] == "completed" and rec.trailer["exit_code"] == 42
