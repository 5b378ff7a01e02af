"""Hostile tracees: arguments that lie (bad pointers, cut strings, wrong
lengths), huge argv, long paths, and process lifecycle edge cases, from
tests/workloads/adv_*.c. Each run checks that compendium exits with the
tracee's status, the recording reads back complete, the traced program
behaves as it does untraced, and the facts that are defined are exact.
"""
import subprocess

import pytest

from conftest import workload


def untraced(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def complete(rec, status):
    """compendium's status is the tracee's, and the recording is whole."""
    assert rec.proc.returncode == status, rec.proc.stderr
    assert rec.show_rc == 0
    assert rec.trailer is not None and rec.end["has_trailer"]
    assert not rec.end["truncated"] and rec.end["corrupt_frames"] == 0
    assert "AddressSanitizer" not in rec.proc.stderr
    assert "runtime error" not in rec.proc.stderr


def test_bogus_pointers_and_lying_lengths(record):
    cmd = [workload("adv_syscalls"), "bogus"]
    plain = untraced(cmd)
    rec = record(cmd)
    complete(rec, 3)
    assert rec.proc.stdout == plain.stdout
    assert rec.trailer["exit_code"] == 3

    opens = [e for e in rec.of("open") if e.get("errno") == "EFAULT"
             and e["syscall"] == "openat"]
    # NULL, -1 and a kernel address: no path; a string cut by an unmapped
    # page: what was readable before the fault
    assert [e.get("path") for e in opens] == ["/tmp/adv-nonul", None, None, None]
    assert rec.of("open", errno="EBADF", path="rel")
    assert len(rec.of("open", syscall="openat2", path="/etc/hostname")) == 2

    sends = [e for e in rec.of("io", syscall="sendto") if e.get("errno")]
    # addrlen 0 and 1 hold no address; 200 (> sockaddr_storage) is read up
    # to what a sockaddr can be; an unreadable pointer gives none
    assert [e.get("addr") for e in sends] == [None, None, "127.0.0.1:9", None]
    assert [e.get("addr") for e in rec.of("connect", proto="udp4")] == [None, None]
    un = rec.of("connect", proto="unix-dgram")
    assert [e.get("addr") for e in un] == ["unix:" + "q" * 108]
    assert rec.of("io", syscall="sendmsg", errno="EINVAL")[0].get("addr") is None
    assert rec.of("io", syscall="sendmsg", errno="EFAULT")
    assert rec.of("io", syscall="sendmmsg", errno="EFAULT")[0]["bytes"] == 0
    assert rec.of("io", syscall="writev", errno="EINVAL")
    assert rec.of("pipe", errno="EFAULT")[0]["read_fd"] == -1
    assert rec.of("socket", syscall="socketpair", errno="EFAULT")[0]["fd"] == -1
    assert rec.of("close", syscall="close_range")
    assert rec.of("dup", syscall="dup2", new_fd=1)
    assert rec.of("dup", syscall="fcntl", errno="EINVAL")
    assert rec.of("exec", errno="EFAULT")


def test_open_of_a_4095_byte_path_is_recorded_whole(record, tmp_path):
    cmd = [workload("adv_syscalls"), "longpath", str(tmp_path)]
    rec = record(cmd)
    complete(rec, 0)
    path = rec.proc.stdout.strip()
    assert len(path) == 4095
    opened = rec.of("open", path=path)
    assert len(opened) == 1 and opened[0]["fd"] >= 0 and opened[0]["access"] == "write"


def test_accept_into_a_short_address_buffer(record):
    """The kernel copies only the 4 bytes the buffer holds and writes back the
    full length (16): the bytes after the buffer are not the peer."""
    rec = record([workload("adv_syscalls"), "accept_short"])
    complete(rec, 0)
    port, written_len = rec.proc.stdout.split()
    assert written_len == "16"
    acc = rec.of("accept", proto="tcp4")
    assert len(acc) == 1
    assert acc[0]["peer_addr"] == f"127.0.0.1:{port}"
    # the accepted socket is named by its real peer in later I/O
    reads = rec.of("io", op="read", pid=acc[0]["pid"], fd=acc[0]["new_fd"])
    assert [e["peer"] for e in reads] == [f"127.0.0.1:{port}"]


@pytest.mark.parametrize("mode", [[], ["--no-fastpath"]], ids=["default", "ptrace"])
def test_recv_into_short_address_buffers(record, mode):
    """recvfrom and recvmsg with 4-byte name buffers: the address is cut, so
    none is recorded (never the tracee's bytes after the buffer), whether
    ptrace (decode_net.c) or the fast path (bpf/io.bpf.c) records them."""
    rec = record([workload("adv_syscalls"), "recv_short"], *mode)
    complete(rec, 0)
    port, al, namelen = rec.proc.stdout.split()
    assert (al, namelen) == ("16", "16")
    recvs = [e for e in rec.of("io", op="recv") if e["syscall"] in ("recvfrom", "recvmsg")]
    assert [e["syscall"] for e in recvs] == ["recvfrom", "recvmsg"]
    assert [e.get("addr") for e in recvs] == [None, None]
    sends = rec.of("io", syscall="sendto")
    assert [e.get("addr") for e in sends] == [f"127.0.0.1:{port}"] * 2


def test_huge_argv(record):
    args = ["a"] * 100000
    rec = record(["/bin/echo", *args])
    complete(rec, 0)
    assert rec.proc.stdout == " ".join(args) + "\n"
    ex = rec.of("exec")
    assert ex and ex[0]["argv"][:3] == ["/bin/echo", "a", "a"]


def test_argv_of_megabyte_strings(record):
    args = ["b" * 131071] * 8  # MAX_ARG_STRLEN - 1 each: 1 MiB in all
    rec = record(["/bin/echo", *args])
    complete(rec, 0)
    assert rec.proc.stdout == " ".join(args) + "\n"
    assert rec.of("exec")


def test_no_compendium_fd_leaks_into_the_tracee(record):
    code = "import os; print(sorted(int(x) for x in os.listdir('/proc/self/fd')))"
    cmd = ["python3", "-c", code]
    plain = untraced(cmd, stdin=subprocess.DEVNULL, close_fds=True)
    rec = record(cmd, stdin=subprocess.DEVNULL, close_fds=True)
    complete(rec, 0)
    assert rec.proc.stdout == plain.stdout == "[0, 1, 2, 3]\n"


PROC_CASES = [
    # mode, exit status, trailer facts
    (["vfork_missing"], 5, {"exit_code": 5}),
    (["sigpipe"], 128 + 13, {"exit_signal": "SIGPIPE"}),
    (["ignall"], 7, {"exit_code": 7}),
    (["stopself"], 8, {"exit_code": 8}),
    (["exitgroup"], 11, {"exit_code": 11}),
    (["killself"], 128 + 9, {"exit_signal": "SIGKILL"}),
    (["traceme"], 4, {"exit_code": 4}),
]


@pytest.mark.parametrize("args,status,trailer", PROC_CASES, ids=[c[0][0] for c in PROC_CASES])
def test_process_lifecycle_edge_cases(record, args, status, trailer):
    cmd = [workload("adv_proc"), *args]
    plain = untraced(cmd, stdin=subprocess.DEVNULL)
    rec = record(cmd, stdin=subprocess.DEVNULL, timeout=60)
    complete(rec, status)
    assert plain.returncode in (status, -(status - 128))
    for k, v in trailer.items():
        assert rec.trailer[k] == v
    if args[0] != "traceme":  # a traced child cannot PTRACE_TRACEME: told apart below
        assert rec.proc.stdout == plain.stdout
    else:
        assert rec.proc.stdout == "stopped 1\nkilled 9\n"
    # every task that started also ended
    spawned = {e["child_tid"] for e in rec.of("spawn")}
    ended = {e["tid"] for e in rec.of("exit")}
    assert spawned <= ended


def test_sigpipe_is_delivered_unchanged(record):
    rec = record([workload("adv_proc"), "sigpipe"])
    complete(rec, 141)
    assert rec.of("io", op="write", errno="EPIPE")
    assert rec.of("signal", signal="SIGPIPE", group_stop=False)
    assert rec.of("exit", signal="SIGPIPE", thread=False)


def test_five_thousand_fast_forks(record):
    cmd = [workload("adv_proc"), "forks", "5000"]
    rec = record(cmd, timeout=300)
    complete(rec, 0)
    assert rec.proc.stdout == "5000 17500\n"
    kids = {e["child_pid"] for e in rec.of("spawn", kind="process")}
    assert len(kids) == 5000
    exits = {e["pid"]: e["exit_code"] for e in rec.of("exit") if e["pid"] in kids}
    assert len(exits) == 5000 and sum(exits.values()) == 17500


def test_vfork_child_execs_a_missing_binary(record):
    rec = record([workload("adv_proc"), "vfork_missing"])
    complete(rec, 5)
    sp = rec.of("spawn", kind="vfork")
    assert len(sp) == 1
    child = sp[0]["child_tid"]
    assert rec.of("exec", tid=child, errno="ENOENT", path="/nonexistent/adv-missing")
    assert rec.of("exit", tid=child, exit_code=42)
