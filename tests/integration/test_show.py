"""`compendium show`: the terminal printer and the FINAL block on real
recordings (golden lines, normalised for times, pids and addresses only),
noise rules, folding, escaping, filters, colour and exit statuses."""
import os
import re
import subprocess

import pytest

from conftest import COMPENDIUM, run, run_on_pty, workload


def show(path, *opts, **kw):
    return run(["show", *opts, str(path)], **kw)


def normalise(text, tmpdir=None):
    """Replaces what varies between runs: times, pids, addresses, the tmp dir."""
    if tmpdir:
        text = text.replace(str(tmpdir), "DIR")
    text = re.sub(r"\[\+\d+\.\d{3}s\]", "[+T]", text)
    text = re.sub(r"\[\d+\] ", "[PID] ", text)
    text = re.sub(r"(spawn \w+) \d+", r"\1 PID", text)
    text = re.sub(r"\b[0-9a-f]{6,16}-[0-9a-f]{6,16}\b", "ADDR", text)
    # the decoders may or may not know that O_CREAT created the file
    return text.replace(", created)", ")")


def between(lines, start="/compendium-marker/start", end="/compendium-marker/end"):
    i = next(k for k, l in enumerate(lines) if start in l)
    j = next(k for k, l in enumerate(lines) if end in l)
    return lines[i:j + 1]


GOLDEN_EVENTS = """\
[+T] open /compendium-marker/start (read) ENOENT
[+T] open DIR/data.bin (write)
[+T] write   4.0 KB ×3 to DIR/data.bin
[+T] write    100 B to DIR/data.bin
[+T] open DIR/data.bin (read)
[+T] read   4.0 KB ×3 from DIR/data.bin
[+T] read    100 B from DIR/data.bin
[+T] open DIR/missing (read) ENOENT
[+T] mmap ADDR rw-   8.0 KB anon
[+T] munmap ADDR   8.0 KB
[+T] [PID] spawn process PID
[+T] [PID] exit 7
[+T] [PID] open /compendium-marker/end (read) ENOENT"""


@pytest.fixture
def golden(record, tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    rec = record([workload("show_golden"), str(d)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    return rec, d


def test_golden_event_lines(golden):
    rec, d = golden
    p = show(rec.path)
    assert p.returncode == 0, p.stderr
    lines = normalise(p.stdout, d).splitlines()
    assert lines[0] == f"compendium: tracing {workload('show_golden')} DIR"
    assert lines[1] == "[+T] ─── show_golden exec ───"
    assert "\n".join(between(lines)) == GOLDEN_EVENTS
    # .so files, /proc and localhost are noise: hidden by default
    assert not any(".so" in l or "/proc/" in l or "127.0.0.1" in l for l in lines)


def test_golden_final_block(golden):
    rec, d = golden
    out = normalise(show(rec.path).stdout, d)
    final = out[out.index("━━━"):].splitlines()
    rule = "━" * 64
    assert final[0] == rule and final[2] == rule and final[-1] == rule
    assert final[1].startswith(f" FINAL: {workload('show_golden')} DIR (")
    sections = [l for l in final if l.startswith(" ") and not l.startswith("  ")]
    names = [s.split(":")[0].strip() for s in sections[1:]]
    assert names == ["Memory", "I/O", "Files opened for read", "Files opened for write",
                     "Top files by bytes", "Failed opens", "Recording", "Exit"]
    text = "\n".join(final)
    assert "   Files written:   12.1 KB" in text
    assert " Files opened for write:\n   DIR/data.bin\n" in text
    assert " Top files by bytes:\n    24.2 KB  DIR/data.bin (read, written)\n" in text
    assert re.search(r"^   Mmap:     \d+\.\d MB \(\d+ regions", text, re.M)
    assert re.search(r"^ Recording: complete, \d+ events$", text, re.M)
    assert final[-2] == " Exit: 0"
    assert "Network connections" not in text  # localhost only


def test_all_shows_noise(golden):
    rec, d = golden
    out = normalise(show(rec.path, "--all").stdout, d)
    assert "[+T] open /proc/self/status (read)" in out
    assert re.search(r"connect tcp4 → 127\.0\.0\.1:\d+", out)
    assert re.search(r"\.so[.\d]* \(read\)", out)
    assert " Network connections:\n   tcp4 → 127.0.0.1:" in out


def test_only_and_pid_filters(golden):
    rec, d = golden
    out = show(rec.path, "--only", "mem").stdout
    body = out[:out.index("━━━")].splitlines()[1:]
    assert body and all(re.search(r"\] (\[\d+\] )?(mmap|munmap|brk|mremap) ", l) for l in body if l)
    child = rec.of("exit", exit_code=7)[0]["pid"]
    out = show(rec.path, "--pid", str(child)).stdout
    body = [l for l in out[:out.index("━━━")].splitlines()[1:] if l]
    assert body == [f"{body[0][:9]} [{child}] exit 7"]
    assert show(rec.path, "--only", "nonsense").returncode == 2


def test_verbose_shows_every_call(golden):
    rec, d = golden
    out = normalise(show(rec.path, "-v").stdout, d)
    lines = between(out.splitlines())
    writes = [l for l in lines if "write   4.0 KB to DIR/data.bin" in l]
    assert len(writes) == 3 and "[write = 4096," in writes[0]
    assert any(l.startswith("[+T] close ") for l in lines)
    assert any("read      0 B from DIR/data.bin" in l for l in lines)  # EOF read


def test_folding_dd(record, tmp_path):
    out_file = tmp_path / "zeros"
    rec = record(["dd", "if=/dev/zero", f"of={out_file}", "bs=4096", "count=250",
                  "status=none"])
    assert rec.proc.returncode == 0
    out = show(rec.path).stdout
    assert f"write   4.0 KB ×250 to {out_file}\n" in out
    assert "/dev/zero" not in out.split("━━━")[0].split("\n", 1)[1]
    verbose = show(rec.path, "-v", "--all").stdout
    assert verbose.count(f"write   4.0 KB to {out_file}") == 250


def test_escaping_terminal_and_json(record, tmp_path):
    name = os.fsencode(str(tmp_path)) + b"/\x1b[31mred\nx\xff"
    rec = record([b"/bin/sh", b"-c", b'printf x > "$1"', b"sh", name])
    assert rec.proc.returncode == 0, rec.proc.stderr
    p = subprocess.run([COMPENDIUM, "show", str(rec.path)], capture_output=True)
    out = p.stdout
    assert b"\x1b" not in out  # no raw escape, no colour into a pipe
    assert b"/\\x1b[31mred\\nx\\xff (write" in out
    opens = [e for e in rec.events if e["type"] == "open" and "red" in e.get("path", "")]
    assert opens and opens[0]["path"].encode("utf-8", "surrogateescape") == name
    raw = subprocess.run([COMPENDIUM, "show", "--json", str(rec.path)],
                         capture_output=True).stdout
    assert b"\\u001b[31mred\\u000ax\\udcff" in raw
    raw.decode("ascii")  # non-ASCII only from valid UTF-8 input: here none at all


def test_stdin_and_output_file(golden, tmp_path):
    rec, d = golden
    with open(rec.path, "rb") as f:
        p = subprocess.run([COMPENDIUM, "show", "-"], stdin=f, capture_output=True, text=True)
    assert p.returncode == 0
    assert p.stdout == show(rec.path).stdout
    out = tmp_path / "out.txt"
    assert show(rec.path, "-o", str(out)).returncode == 0
    assert out.read_text() == p.stdout


def test_exit_statuses(record, tmp_path):
    # the sleep puts the two halves in different frames (flushed every 250 ms)
    rec = record(["/bin/sh", "-c", "cat /etc/hostname; sleep 0.6; cat /etc/hostname"])
    data = rec.path.read_bytes()
    cut = tmp_path / "cut.cmp"
    cut.write_bytes(data[:len(data) - 7])
    p = show(cut)
    assert p.returncode == 3, p.stderr
    assert "truncated" in p.stderr
    assert "─── sh exec ───" in p.stdout  # events before the cut
    assert " Recording: truncated after " in p.stdout
    code, recs = __import__("conftest").show_json(cut)
    assert code == 3 and recs[-1]["type"] == "end" and recs[-1]["truncated"]
    junk = tmp_path / "junk.cmp"
    junk.write_bytes(b"hello, this is not a recording\n" * 10)
    p = show(junk)
    assert p.returncode == 2 and "not a compendium recording" in p.stderr
    newer = tmp_path / "newer.cmp"
    newer.write_bytes(data[:8] + b"\x63\x00" + data[10:])
    p = show(newer)
    assert p.returncode == 2 and p.stdout == ""
    assert show(tmp_path / "absent.cmp").returncode == 2


def test_closed_pipe_is_quiet(golden):
    rec, d = golden
    p = subprocess.Popen([COMPENDIUM, "show", "-v", "--all", str(rec.path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=30) == 0
    assert err == b""


def test_color_only_on_a_terminal(golden):
    rec, d = golden

    def on_pty(env):
        return run_on_pty(["show", str(rec.path)], "stdout", env, timeout=30)

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert b"\x1b[" in on_pty(env)
    assert b"\x1b[" not in on_pty(dict(env, NO_COLOR="1"))
    assert b"\x1b[" not in show(rec.path).stdout.encode()
