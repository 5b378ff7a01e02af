"""`compendium record`: its command line, its errors (like a shell's for a
command that cannot run, with the reason and the fix for -p), output file
handling and the recording header.
"""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time

from conftest import COMPENDIUM, Recording, run, workload

NAME_RE = r"proc_stdio-\d{8}-\d{6}(-\d+)?\.cmp"


def cmp_files(d):
    return sorted(p.name for p in d.iterdir() if p.suffix == ".cmp")


# ---- a command that cannot run -----------------------------------------------

def test_command_not_found_exits_127(tmp_path):
    out = tmp_path / "x.cmp"
    p = run(["record", "-o", str(out), "--", "no-such-command-compendium"])
    assert p.returncode == 127
    assert p.stderr == "compendium: no-such-command-compendium: command not found\n"
    assert not out.exists(), "nothing was traced: no recording is left behind"


def test_missing_path_exits_127(tmp_path):
    p = run(["record", "-o", str(tmp_path / "x.cmp"), "--", str(tmp_path / "nope")])
    assert p.returncode == 127
    assert "No such file or directory" in p.stderr
    assert cmp_files(tmp_path) == []


def test_not_executable_exits_126(tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    p = run(["record", "-o", str(tmp_path / "x.cmp"), "--", str(script)])
    assert p.returncode == 126
    assert p.stderr == f"compendium: {script}: Permission denied\n"
    assert cmp_files(tmp_path) == []
    p = run(["record", "-o", str(tmp_path / "y.cmp"), "--", str(tmp_path)])
    assert p.returncode == 126
    assert "Is a directory" in p.stderr


def test_path_search_and_script_without_shebang(tmp_path):
    """Like a shell: PATH is searched, a script without #! runs under /bin/sh."""
    (tmp_path / "bin").mkdir()
    tool = tmp_path / "bin" / "mytool"
    tool.write_text("echo from-mytool\nexit 4\n")
    tool.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:/usr/bin:/bin")
    out = tmp_path / "t.cmp"
    p = run(["record", "-o", str(out), "--", "mytool"], env=env)
    assert p.returncode == 4
    assert p.stdout == "from-mytool\n"
    rec = Recording(p, out)
    assert rec.trailer["exit_code"] == 4


# ---- output file -----------------------------------------------------------------

def test_existing_output_is_refused_without_force(tmp_path):
    out = tmp_path / "keep.cmp"
    out.write_bytes(b"precious")
    p = run(["record", "-o", str(out), "--", workload("proc_stdio")], input="")
    assert p.returncode == 1
    assert "already exists" in p.stderr and "--force" in p.stderr
    assert p.stdout == "", "the command must not run when the output is refused"
    assert out.read_bytes() == b"precious"
    p = run(["record", "--force", "-o", str(out), "--", workload("proc_stdio")],
            input="a\nb\n")
    assert p.returncode == 2
    assert p.stdout == "A\nB\n"
    rec = Recording(p, out)
    assert rec.trailer["exit_code"] == 2
    assert {"name": "force", "value": "true"} in rec.header["options"]


def test_default_output_name(tmp_path):
    p1 = subprocess.run([COMPENDIUM, "record", "--", workload("proc_stdio")], input="",
                        capture_output=True, text=True, cwd=tmp_path, timeout=60)
    p2 = subprocess.run([COMPENDIUM, "record", workload("proc_stdio")], input="",
                        capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p1.returncode == p2.returncode == 0
    names = cmp_files(tmp_path)
    assert len(names) == 2, "a second run never overwrites the first"
    assert all(re.fullmatch(NAME_RE, n) for n in names), names
    for p in (p1, p2):
        m = re.search(r"compendium: recorded \d+ events to (\S+)\n", p.stderr)
        assert m and m[1] in names
        assert p.stderr.startswith("to stderr\n")  # the program's own line comes first
    rec = Recording(p1, tmp_path / re.search(r"events to (\S+)\n", p1.stderr)[1])
    assert rec.trailer["end_reason"] == "completed"


def test_unwritable_output_fails_before_running(tmp_path):
    p = run(["record", "-o", str(tmp_path / "no" / "dir.cmp"), "--", workload("proc_stdio")],
            input="x\n")
    assert p.returncode == 1
    assert "cannot create" in p.stderr and "No such file or directory" in p.stderr
    assert p.stdout == ""


# ---- usage ---------------------------------------------------------------------------

def test_usage_errors(tmp_path):
    out = str(tmp_path / "u.cmp")
    for args in (["record"], ["record", "-o", out], ["record", "-p", "1", "--", "true"],
                 ["record", "--bogus", "--", "true"], ["record", "-p", "abc"]):
        p = run(args)
        assert p.returncode == 2, args
        assert p.stderr.startswith("compendium record: "), (args, p.stderr)
    p = run(["record", "--help"])
    assert p.returncode == 0 and "usage: compendium record" in p.stdout
    assert cmp_files(tmp_path) == []


# ---- -p errors ----------------------------------------------------------------------

def free_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    return pid


def test_attach_to_a_missing_pid(tmp_path):
    out = tmp_path / "p.cmp"
    pid = free_pid()
    p = run(["record", "-o", str(out), "-p", str(pid)])
    assert p.returncode == 1
    assert p.stderr == f"compendium: cannot attach to {pid}: no such process\n"
    assert not out.exists()


def test_attach_refused_names_the_reason_and_the_fix(tmp_path):
    """An unprivileged user may not trace root's process: EPERM, explained."""
    victim = subprocess.Popen(["sleep", "30"])
    d = pathlib.Path(tempfile.mkdtemp(prefix="compendium-test-", dir="/tmp"))
    d.chmod(0o777)  # the unprivileged user could write its recording here
    try:
        p = subprocess.run([COMPENDIUM, "record", "-o", str(d / "p.cmp"), "-p", str(victim.pid)],
                           capture_output=True, text=True, timeout=30,
                           preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
    finally:
        victim.kill()
        victim.wait()
        leftover = sorted(os.listdir(d))
        shutil.rmtree(d)
    assert p.returncode == 1
    assert p.stderr.startswith(f"compendium: cannot attach to {victim.pid}: "
                               "Operation not permitted")
    assert "CAP_SYS_PTRACE" in p.stderr and "ptrace_scope" in p.stderr
    assert leftover == []


def test_attach_to_an_already_traced_process(tmp_path):
    victim = subprocess.Popen(["sleep", "30"])
    first = subprocess.Popen([COMPENDIUM, "record", "-o", str(tmp_path / "a.cmp"),
                              "-p", str(victim.pid)], stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with open(f"/proc/{victim.pid}/status") as f:
                if re.search(r"TracerPid:\s+[1-9]", f.read()):
                    break
            time.sleep(0.02)
        p = run(["record", "-o", str(tmp_path / "b.cmp"), "-p", str(victim.pid)])
        assert p.returncode == 1
        assert f"already traced by process {first.pid}" in p.stderr
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=20) == 0
    finally:
        first.kill()
        victim.kill()
        victim.wait()
    assert Recording(first, tmp_path / "a.cmp").trailer["end_reason"] == "detached"


# ---- header and exit status -------------------------------------------------------

def test_header_describes_the_recording(record):
    rec = record([workload("proc_stdio")], input="")
    h = rec.header
    assert h["tool_version"] == run(["--version"]).stdout.split()[1]
    assert h["argv"] == [workload("proc_stdio")]
    assert h["mode"] == "spawn"
    assert h["arch"] == "x86_64"
    assert h["page_size"] == os.sysconf("SC_PAGE_SIZE")
    assert h["kernel_release"] == os.uname().release
    assert h["hostname"] == os.uname().nodename
    assert h["recorder_argv"][:2] == ["compendium", "record"]
    assert abs(h["start_wall_ns"] / 1e9 - time.time()) < 60
    [ex] = rec.of("exec")
    assert h["root_pid"] == ex["pid"] and ex["ts_ns"] >= 0
    sources = {s["name"]: s["active"] for s in h["sources"]}
    # the I/O fast path: on as root unless --no-fastpath (test_fastpath.py)
    assert sources.pop("fastpath") in (True, False)
    assert sources == {"ptrace": True, "seccomp": True}
    t = rec.trailer
    assert t["end_reason"] == "completed" and t["exit_code"] == 0
    assert t["event_count"] == len(rec.events)
    assert t["end_ts_ns"] >= max(e["ts_ns"] for e in rec.events)


def test_killed_command_exit_status_is_128_plus_signal(record):
    rec = record(["/bin/sh", "-c", "kill -TERM $$"])
    assert rec.proc.returncode == 128 + signal.SIGTERM
    assert rec.trailer["end_reason"] == "killed"
    assert rec.trailer["exit_signal"] == "SIGTERM"


def test_verbose_records_undecoded_syscalls_without_seccomp(record):
    rec = record(["/bin/sh", "-c", "exit 0"], "-v", "--no-seccomp")
    raw = rec.of("syscall")
    assert raw, "every stopped syscall without a decoder becomes a syscall event"
    assert "openat" not in {e["syscall"] for e in raw}  # decoded ones are not raw
    assert {"name": "verbose", "value": "true"} in rec.header["options"]
