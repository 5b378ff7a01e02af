"""`compendium diff` on real recordings of tests/workloads/diff_wl.c.

Timing is noise on a loaded test host (one preempted syscall can take
30 ms), so tests that assert exact differences pass --time-threshold 1e9,
which hides every time change (durations and percentiles are checked by the
unit tests on synthetic streams); everything else uses the defaults.
"""
import json
import shutil
import struct

from conftest import run, workload

QUIET_TIME = ["--time-threshold", "1e9"]


def diff(*args):
    return run(["diff", *map(str, args)])


def diff_json(*args):
    p = diff("--json", *args)
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)


def key(c):
    """A change as a tuple; the test's temporary directory (itself a
    temporary name that diff normalises, e.g. .../pytest-N/test_fooXXXXXX)
    is shown as WORK."""
    subject = c["subject"]
    if subject.endswith("/workloads/diff_wl"):
        # the build folder may itself look temporary, or hold "/work/" (CI)
        subject = "DIFF_WL"
    elif "/pytest-N/" in subject and "/work/" in subject:
        subject = "WORK/" + subject.rsplit("/work/", 1)[1]
    return (c["section"], c["change"], subject, c["metric"])


def rec_wl(record, tmp_path, *flags):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    r = record([workload("diff_wl"), str(work), *flags])
    assert r.proc.returncode == 0, r.proc.stderr
    return r


def test_same_recording_equal(record, tmp_path):
    a = rec_wl(record, tmp_path)
    p = diff(a.path, a.path)
    assert p.returncode == 0, p.stdout
    assert "no differences" in p.stdout


def test_same_workload_twice_equal(record, tmp_path):
    a = rec_wl(record, tmp_path)
    b = rec_wl(record, tmp_path)
    # pids, the mkstemp name, ephemeral ports and addresses all differ
    assert a.of("exec")[0]["pid"] != b.of("exec")[0]["pid"]
    p = diff(*QUIET_TIME, a.path, b.path)
    assert p.returncode == 0, p.stdout
    assert "no differences" in p.stdout
    assert "\x1b[" not in p.stdout  # no colour in a pipe
    # with the default thresholds, only timing may differ
    rc, j = diff_json(a.path, b.path)
    assert [c for c in j["changes"] if c["section"] != "time"] == []
    assert rc == (0 if j["equal"] else 1)


def test_flagged_run_gives_exactly_those_differences(record, tmp_path):
    a = rec_wl(record, tmp_path)
    b = rec_wl(record, tmp_path, "--more")
    rc, j = diff_json(*QUIET_TIME, a.path, b.path)
    assert rc == 1 and j["equal"] is False
    root = "DIFF_WL"
    got = sorted(key(c) for c in j["changes"])
    assert got == sorted([
        ("process", "changed", root, "argv"),
        ("file", "added", "WORK/extra.txt", "open"),
        ("file", "changed", "WORK/out.dat", "written"),
        ("net", "added", "127.0.0.1:<listen#2> tcp4", "peer"),
    ]), json.dumps(j["changes"], indent=1)
    by = {key(c): c for c in j["changes"]}
    w = by[("file", "changed", "WORK/out.dat", "written")]
    assert (w["a"], w["b"], w["unit"], w["pct"]) == (16384, 32768, "bytes", 100.0)
    extra = by[("file", "added", "WORK/extra.txt", "open")]
    assert extra["b"] == "write"
    assert by[("process", "changed", root, "argv")]["b"].endswith(" --more")

    p = diff(*QUIET_TIME, a.path, b.path)
    assert p.returncode == 1
    assert f"+ {extra['subject']}  open: write (only in B)" in p.stdout
    assert f"~ {w['subject']}  written: 16.0 KB → 32.0 KB (+16.0 KB, +100%)" in p.stdout
    assert "+ 127.0.0.1:<listen#2> tcp4  peer:" in p.stdout
    assert "4 differences" in p.stdout

    # the other way round: the same rows, removed instead of added
    rc, j = diff_json(*QUIET_TIME, b.path, a.path)
    assert ("net", "removed", "127.0.0.1:<listen#2> tcp4", "peer") in {key(c) for c in j["changes"]}


def test_threshold_hides_small_changes(record, tmp_path):
    a = rec_wl(record, tmp_path)
    b = rec_wl(record, tmp_path, "--more")
    rc, j = diff_json(*QUIET_TIME, "--threshold", "150", a.path, b.path)
    assert rc == 1
    metrics = {c["metric"] for c in j["changes"]}
    assert "written" not in metrics  # +100% < 150%
    assert "open" in metrics and "peer" in metrics  # presence is always shown
    assert j["hidden"] >= 1 and j["threshold_pct"] == 150


def test_different_commands(record, tmp_path):
    a = rec_wl(record, tmp_path)
    t = record(["/bin/true"])
    rc, j = diff_json(*QUIET_TIME, a.path, t.path)
    assert rc == 1
    keys = {key(c) for c in j["changes"]}
    assert ("process", "changed", "DIFF_WL", "path") in keys
    assert ("process", "removed", "/usr/bin/true", "process") in keys
    assert ("file", "removed", "WORK/out.dat", "open") in keys
    assert any(k[0] == "net" and k[1] == "removed" for k in keys)
    assert j["b"]["command"] == ["/bin/true"]
    p = diff(a.path, t.path)
    assert p.returncode == 1
    for section in ("Processes", "Files", "Network"):
        assert f"\n{section}\n" in p.stdout


def test_newer_format_minor_compares(record, tmp_path):
    a = rec_wl(record, tmp_path)
    newer = tmp_path / "newer.cmp"
    shutil.copy(a.path, newer)
    with open(newer, "r+b") as f:
        f.seek(10)
        (minor,) = struct.unpack("<H", f.read(2))
        f.seek(10)
        f.write(struct.pack("<H", minor + 1))
    p = diff(a.path, newer)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "no differences" in p.stdout


def test_truncated_recording_is_reported(record, tmp_path):
    a = rec_wl(record, tmp_path)
    b = rec_wl(record, tmp_path)
    cut = tmp_path / "cut.cmp"
    data = open(b.path, "rb").read()
    cut.write_bytes(data[: len(data) // 2])
    p = diff(a.path, cut)
    assert p.returncode == 1, p.stderr
    assert "B is truncated" in p.stdout
    assert "end: complete → truncated" in p.stdout
    rc, j = diff_json(a.path, cut)
    assert j["b"]["truncated"] is True and j["b"]["status"] == "truncated"
    assert j["a"]["truncated"] is False
    assert ("recording", "changed", "recording", "end") in {key(c) for c in j["changes"]}


def test_errors_and_usage(record, tmp_path):
    a = rec_wl(record, tmp_path)
    junk = tmp_path / "junk.cmp"
    junk.write_text("not a recording\n")
    assert diff(a.path, tmp_path / "missing.cmp").returncode == 2
    p = diff(a.path, junk)
    assert p.returncode == 2 and "junk.cmp" in p.stderr
    assert diff("--threshold", "lots", a.path, a.path).returncode == 2
    assert diff(a.path).returncode == 2
    h = diff("--help")
    assert h.returncode == 0 and "--threshold" in h.stdout
