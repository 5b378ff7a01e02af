"""Hostile recordings: files crafted by an attacker (a bug report attachment)
must never crash show, show --json, report or diff, nor reach the terminal,
the JSON or the HTML page raw.

The recordings are built here byte by byte (schemas/compendium.proto: file
header, frames of magic + sizes + CRC-32C + zstd, varint-delimited Record
messages) so every field can hold what no recorder would write: control
characters, bidi overrides, invalid UTF-8, "</script>", out-of-range enums,
INT64_MIN byte counts, wrapping timestamps and address ranges, string ids
that point nowhere, one long string referenced hundreds of times.

Each recording is checked the same way: exit status 0-4 (never a signal),
no raw ESC in the terminal output, strictly valid UTF-8 JSON (one object a
line), a report page with no more "</script" or "<!--" than the template's
own, and diff against itself and against a benign recording.
"""
import json
import re
import struct
import subprocess

import pytest

from conftest import COMPENDIUM

# ---- protobuf encoding -------------------------------------------------------


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zz(v):
    return ((v << 1) ^ (v >> 63)) & ((1 << 64) - 1)


def f_var(num, v):
    return varint(num << 3) + varint(v)


def f_sint(num, v):
    return f_var(num, zz(v))


def f_len(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def rec_string(s):
    return f_len(1, s)


def rec_header(fields):
    return f_len(2, fields)


def rec_event(kind_field, body, ts_delta=0, tid=100, pid=None, dur=0, syscall=None, err=0,
              flags=0):
    ev = b""
    if ts_delta:
        ev += f_sint(1, ts_delta)
    ev += f_var(2, tid)
    if pid is not None:
        ev += f_var(3, pid)
    if dur:
        ev += f_var(4, dur)
    if syscall is not None:
        ev += f_var(5, syscall)
    if err:
        ev += f_var(6, err)
    if flags:
        ev += f_var(7, flags)
    ev += f_len(kind_field, body)
    return f_len(3, ev)


def rec_trailer(fields):
    return f_len(4, fields)


# ---- framing -----------------------------------------------------------------

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def frame(records):
    content = b"".join(varint(len(r)) + r for r in records)
    comp = subprocess.run(["zstd", "-q", "-c", "-1"], input=content, capture_output=True,
                          check=True).stdout
    head = b"CFRM" + struct.pack("<II", len(comp), len(content))
    return head + struct.pack("<I", crc32c(comp, crc32c(head))) + comp


def recording(frames):
    return b"CMPNDM\r\n" + struct.pack("<HHI", 1, 0, 0) + b"".join(frame(f) for f in frames)


# ---- the nasty strings ---------------------------------------------------------

NASTY = [
    b"\x1b]0;pwned\x07\x1b[2J\x1b[31mred",          # OSC title, clear screen, colour
    b"\xe2\x80\xaeevil\xe2\x80\xac.txt",              # bidi override U+202E
    b"\xe2\x81\xa6isolate\xe2\x81\xa9",               # bidi isolate
    b"\xc2\x9b31m C1 CSI",                            # C1 control
    b"\xff\xfe\xc0\xaf invalid utf-8 \xed\xa0\x80",   # invalid, overlong, surrogate
    b"</script><script>alert(1)</script>",
    b"</SCRIPT ><!-- <script>",
    b"\"quote' & <b>bold</b> \\backslash",
    b"line\nbreak\rcarriage\ttab\x00nul-is-cut",
    b"\xe2\x80\xa8 line separator \xe2\x80\xa9",
    b"\x7f del \x01 \x08 backspace",
]


def hostile_header():
    h = f_len(1, b"0.1\x1b[31m</script>")            # tool_version (a proto string)
    h += f_var(2, 1) + f_var(3, 0)
    for s in NASTY:
        h += f_len(4, s)                              # argv
    h += f_len(7, b"host\x1b[2J</script>")           # hostname
    h += f_len(8, b"6.1\x1b]0;x\x07")                # kernel_release
    h += f_var(9, 3)                                  # page_size: not a power of two
    h += f_len(10, b"x86_64\x1b[1m")
    h += f_var(11, 77)                                # mode out of range
    h += f_var(12, 100)
    h += f_len(13, f_len(1, b"faults\x1b") + f_len(2, b"</script>"))
    h += f_len(14, f_len(1, b"perf-faults") + f_var(2, 1) + f_len(3, b"\x1b[5m"))
    h += f_len(14, f_len(1, b"ebpf-sched\xe2\x80\xae") + f_var(2, 1))
    h += f_len(14, f_len(1, b"ebpf-block") + f_var(2, 1))
    h += f_len(15, b"compendium\x1b")
    return rec_header(h)


def fdref(fd, kind, name, proto=0):
    return f_sint(1, fd) + f_var(2, kind) + f_var(3, name) + f_var(4, proto)


INT64_MIN = -(1 << 63)
U64_MAX = (1 << 64) - 1


def hostile_events():
    """One frame: every string id defined, then every kind with wild values."""
    recs = [rec_string(s) for s in NASTY]             # ids 1..len(NASTY)
    n = len(NASTY)
    ids = list(range(1, n + 1))
    bad = 0xFFFFFFFF                                  # an id defined nowhere
    for i, sid in enumerate(ids + [bad, n + 1]):
        recs.append(rec_event(20, f_var(1, sid) + f_var(2, 0o101) + f_sint(4, 3 + i),
                              ts_delta=1000, syscall=258))           # open
    recs.append(rec_event(16, f_var(1, 101) + f_var(2, 101) + f_var(3, 9) +
                          f_var(4, U64_MAX)))                           # spawn kind 9
    recs.append(rec_event(17, f_var(1, 1) + b"".join(f_var(2, i) for i in ids * 20 + [bad]) +
                          f_var(3, 2), pid=101, tid=101, syscall=60))   # exec
    recs.append(rec_event(44, f_var(1, 3) + f_var(2, 1), tid=102, pid=101))  # task
    recs.append(rec_event(30, f_var(1, 99) + f_len(2, fdref(3, 200, 4, 200)) +
                          f_sint(3, INT64_MIN) + f_var(4, 5) + f_var(5, 0xFFFFFFFF) +
                          f_sint(6, INT64_MIN), dur=U64_MAX, syscall=1))   # io
    for op in range(4):
        recs.append(rec_event(30, f_var(1, op) + f_len(2, fdref(-5, 2, 6, 9)) +
                              f_sint(3, INT64_MIN if op & 1 else (1 << 63) - 1),
                              syscall=0))
        recs.append(rec_event(30, f_var(1, op) + f_len(2, fdref(7, 1, 6)) + f_sint(3, -7)))
    recs.append(rec_event(31, f_len(1, fdref(1, 99, 7)) + f_len(2, fdref(2, 2, 8, 99)) +
                          f_sint(3, INT64_MIN)))                        # transfer
    recs.append(rec_event(21, f_len(1, fdref(3, 250, 9)) + f_sint(2, -1)))   # close
    recs.append(rec_event(22, f_var(1, 99) + f_var(2, 10) + f_var(3, 11) +
                          f_sint(4, INT64_MIN) + f_sint(5, -1)))       # file_op 99
    recs.append(rec_event(23, f_len(1, fdref(1, 77, 1)) + f_sint(2, -(1 << 31))))  # dup
    recs.append(rec_event(25, f_sint(1, 9) + f_var(5, 250) + f_sint(6, -1)))      # socket
    for field in (26, 27):                                             # connect, bind
        recs.append(rec_event(field, f_sint(1, 9) + f_var(2, 250) + f_var(3, 6),
                              err=0xFFFFFFFF))
    recs.append(rec_event(28, f_sint(1, 9) + f_sint(2, -(1 << 31)) + f_var(3, 6) +
                          f_var(4, 99)))                                # listen
    recs.append(rec_event(29, f_sint(1, 9) + f_sint(2, 10) + f_var(3, 99) + f_var(4, 6) +
                          f_var(5, 7)))                                 # accept
    recs.append(rec_event(32, f_var(1, U64_MAX) + f_var(2, 5) + f_var(3, U64_MAX)))  # brk
    recs.append(rec_event(32, f_var(1, 0x1000) + f_var(2, U64_MAX - 10)))
    recs.append(rec_event(33, f_var(1, U64_MAX - 4095) + f_var(2, U64_MAX) + f_var(3, 7) +
                          f_var(4, 0x12) + f_sint(5, 3) + f_var(7, 2)))  # mmap wraps
    recs.append(rec_event(33, f_var(1, 0x7F0000000000) + f_var(2, 1 << 40) + f_var(4, 0x22)))
    recs.append(rec_event(34, f_var(1, 0) + f_var(2, U64_MAX)))          # munmap all
    recs.append(rec_event(35, f_var(1, 0x7F0000000000) + f_var(2, U64_MAX) +
                          f_var(3, U64_MAX - 4095) + f_var(4, U64_MAX)))  # mremap
    recs.append(rec_event(36, f_var(1, U64_MAX - 100) + f_var(2, 1000) + f_var(3, 7)))
    for i in range(40):                                                 # faults
        recs.append(rec_event(37, f_sint(1, INT64_MIN if i % 2 else (1 << 63) - 1) +
                              f_var(2, U64_MAX), tid=101, pid=101))
    recs.append(rec_event(38, f_var(1, U64_MAX) + f_var(2, 0xFFFFFFFF)))   # sched
    recs.append(rec_event(38, f_var(1, 0)))
    recs.append(rec_event(39, f_var(1, 0xFFFFFFFF) + f_var(2, U64_MAX) + f_var(3, 0xFFFFFFFF) +
                          f_var(5, 1) + f_sint(6, -(1 << 31)), dur=U64_MAX))  # block
    recs.append(rec_event(39, f_var(3, 0), dur=0))
    buckets = b"".join(varint(U64_MAX) for _ in range(100))
    for kind in (0, 1, 9):                                              # hist
        recs.append(rec_event(40, f_var(1, kind) + f_len(2, buckets) +
                              f_len(3, b"us\x1b[2J")))
    recs.append(rec_event(40, f_var(1, 1) + f_len(3, b"us")))           # no buckets
    recs.append(rec_event(41, f_len(1, b"ebpf\x1b[2J</script>") + f_var(2, U64_MAX) +
                          f_len(3, b"\xe2\x80\xae\xff")))               # loss
    recs.append(rec_event(42, f_var(1, 9) + f_var(2, 1)))                 # note level 9
    recs.append(rec_event(43, f_len(1, b"".join(varint(U64_MAX) for _ in range(20))) +
                          f_sint(2, INT64_MIN), syscall=0xFFFFFFFF))     # raw syscall
    recs.append(rec_event(43, b"", syscall=1))                          # no args
    recs.append(rec_event(19, f_var(1, 0xFFFFFFFF) + f_sint(2, INT64_MIN & 0xFFFFFFFF)))
    recs.append(rec_event(18, f_sint(1, -(1 << 31)) + f_var(2, 0xFFFFFFFF) + f_var(3, 1),
                          ts_delta=INT64_MIN, pid=101, tid=101))         # exit, time wraps
    recs.append(rec_event(18, f_sint(1, 0), ts_delta=(1 << 63) - 1, pid=100, tid=100))
    return recs


def hostile_trailer():
    loss = f_len(1, b"writer\x1b]0;t\x07") + f_var(2, U64_MAX) + f_len(3, b"</script>")
    return rec_trailer(f_var(1, 99) + f_sint(2, -(1 << 31)) + f_var(3, 0xFFFFFFFF) +
                       f_var(5, U64_MAX) + f_var(6, U64_MAX) + f_len(7, loss) +
                       f_len(7, loss))


def benign():
    return recording([[rec_header(f_len(1, b"0.1") + f_var(2, 1) + f_len(4, b"/bin/true") +
                                  f_var(11, 1) + f_var(12, 100))],
                      [rec_string(b"/etc/passwd"),
                       rec_event(20, f_var(1, 1) + f_sint(4, 3), ts_delta=1000, syscall=258),
                       rec_event(18, b"", ts_delta=1000)],
                      [rec_trailer(f_var(1, 1) + f_var(5, 3000) + f_var(6, 2))]])


def long_string_bomb():
    """One 1 MiB string referenced by every argv slot of thousands of execs:
    a few kilobytes on disk, gigabytes if a sink copies per reference."""
    big = b"A" * (1 << 20)
    recs = [rec_string(big), rec_string(b"x\x1b")]
    argv = b"".join(f_var(2, 1) for _ in range(300))
    for pid in range(200, 2200):
        recs.append(rec_event(17, f_var(1, 1) + argv + f_var(3, 1), ts_delta=1, pid=pid,
                              tid=pid, syscall=60))
    return recording([[hostile_header()], recs, [hostile_trailer()]])


RECORDINGS = {
    "every_kind": lambda: recording([[hostile_header()], hostile_events(),
                                     [hostile_trailer()]]),
    "no_header_no_trailer": lambda: recording([hostile_events()]),
    "two_headers": lambda: recording([[hostile_header()], [hostile_header()],
                                      hostile_events()]),
}


def corrupt_variants(data):
    """A bad CRC in the middle, a cut tail, garbage between frames."""
    yield "cut", data[: len(data) - 7]
    mid = len(data) // 2
    yield "flipped", data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
    yield "garbage", data[:16] + b"CFRM" + b"\xff" * 12 + b"junk" * 10 + data[16:]
    yield "huge_sizes", data[:16] + b"CFRM" + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, 0) \
        + data[16:]


# ---- the checks ------------------------------------------------------------


def run(args, timeout=120):
    p = subprocess.run([COMPENDIUM] + args, capture_output=True, timeout=timeout)
    assert p.returncode >= 0, f"{args} killed by signal {-p.returncode}: {p.stderr[-2000:]!r}"
    return p


def check_terminal(out, what):
    assert b"\x1b" not in out, f"raw ESC from {what}"
    assert b"\xc2\x9b" not in out, f"raw C1 CSI from {what}"
    assert b"\xe2\x80\xae" not in out, f"raw bidi override from {what}"


def check_show(path):
    for extra in ([], ["-v", "--all"]):
        p = run(["show", *extra, str(path)])
        assert 0 <= p.returncode <= 4, p.stderr
        check_terminal(p.stdout, "show")
        check_terminal(p.stderr, "show's warnings")
    p = run(["show", "--json", str(path)])
    assert 0 <= p.returncode <= 4, p.stderr
    text = p.stdout.decode("utf-8", "strict")
    for line in text.split("\n")[:-1]:  # not splitlines: U+2028 is valid in JSON
        json.loads(line)
    assert "\x1b" not in text


def script_breaks(page):
    low = page.lower()
    return low.count("</script"), low.count("<!--")


def check_report(path, tmp_path, baseline):
    out = tmp_path / (path.name + ".html")
    p = run(["report", "-o", str(out), str(path)])
    assert 0 <= p.returncode <= 4, p.stderr
    check_terminal(p.stderr, "report's warnings")
    page = out.read_bytes().decode("utf-8", "strict")
    assert script_breaks(page) == baseline, "recording bytes broke out of <script>"


def check_diff(a, b):
    for args in ([], ["--json"]):
        p = run(["diff", *args, str(a), str(b)])
        assert 0 <= p.returncode <= 4, p.stderr
        check_terminal(p.stderr, "diff's warnings")
        if args:  # JSON escapes controls; other characters stay UTF-8
            assert b"\x1b" not in p.stdout and b"\xc2\x9b" not in p.stdout
            json.loads(p.stdout.decode("utf-8", "strict"))
        else:
            check_terminal(p.stdout, "diff")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    d = tmp_path_factory.mktemp("benign")
    path = d / "benign.cmp"
    path.write_bytes(benign())
    p = run(["show", str(path)])
    assert p.returncode == 0, p.stderr
    assert b"/etc/passwd" in p.stdout
    out = d / "benign.html"
    assert run(["report", "-o", str(out), str(path)]).returncode == 0
    return path, script_breaks(out.read_text())


@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_hostile_recording(name, tmp_path, baseline):
    benign_path, breaks = baseline
    data = RECORDINGS[name]()
    variants = [("whole", data)] + (list(corrupt_variants(data)) if name == "every_kind" else [])
    for vname, blob in variants:
        path = tmp_path / f"{name}-{vname}.cmp"
        path.write_bytes(blob)
        check_show(path)
        check_report(path, tmp_path, breaks)
        check_diff(path, path)
        check_diff(benign_path, path)


def test_hostile_strings_are_escaped(tmp_path):
    """The nasty strings still show up, escaped: nothing was silently lost."""
    path = tmp_path / "every.cmp"
    path.write_bytes(recording([[hostile_header()], hostile_events(), [hostile_trailer()]]))
    p = run(["show", "-v", "--all", str(path)])
    assert 0 <= p.returncode <= 4
    out = p.stdout.decode("utf-8", "strict")
    assert "\\x1b]0;pwned" in out
    assert "\\xe2\\x80\\xaeevil" in out
    js = run(["show", "--json", str(path)]).stdout.decode("utf-8", "strict")
    assert re.search(r"\\u001b\]0;pwned", js)
    assert "</script><script>alert(1)</script>" in js  # JSON keeps it, as text


def test_long_string_bomb_is_cheap(tmp_path):
    """2000 execs of 300 references to a 1 MiB string (9 KB on disk): the
    reader cuts the string to 64 KiB and the summary, diff and report keep a
    few KiB a process, so memory stays bounded. (show --json is left out: it
    faithfully prints every reference, gigabytes of output.)"""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    path = tmp_path / "bomb.cmp"
    path.write_bytes(long_string_bomb())
    assert path.stat().st_size < 200_000
    for args in (["show", str(path)], ["report", "-o", str(tmp_path / "b.html"), str(path)],
                 ["diff", str(path), str(path)]):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", COMPENDIUM] + args,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           preexec_fn=limit, timeout=120)
        assert p.returncode in (0, 1, 3), p.stderr[-2000:]
        max_rss_kb = int(p.stderr.strip().splitlines()[-1])
        assert max_rss_kb < 1024 * 1024, f"{args[0]} used {max_rss_kb} KiB"
