"""compendium report: one self-contained HTML file whose cards equal the
FINAL block, whose data cannot break out of its <script>, and whose cap
says what it left out. (tests/browser/ opens the same pages in chromium.)"""
import json
import os
import re
import subprocess

import pytest

from conftest import COMPENDIUM, run, workload


def page_data(html):
    """The JSON embedded in a report page, as the page's JSON.parse sees it."""
    m = re.search(r'<script type="application/json" id="cmp-data">(.*?)</script>', html, re.S)
    assert m, "no data element"
    assert "<" not in m.group(1)
    return json.loads(m.group(1))


def cards(data):
    return {(c["title"], row[0]): row[1] for c in data["cards"] for row in c["rows"]}


def final_value(show, label):
    m = re.search(r"^\s+" + re.escape(label) + r":\s+(\S+(?: [KMGTPE]?B)?)", show, re.M)
    assert m, f"{label} not in FINAL block"
    return m.group(1)


@pytest.fixture
def demo(record, tmp_path):
    rec = record([workload("demo"), str(tmp_path)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    return rec


def test_report_cards_equal_final_block(demo, tmp_path):
    out = tmp_path / "demo.html"
    p = run(["report", "-o", str(out), str(demo.path)])
    assert p.returncode == 0, p.stderr
    assert "report written to" in p.stderr
    data = page_data(out.read_text(encoding="utf-8"))
    show = run(["show", str(demo.path)]).stdout
    c = cards(data)
    assert c[("Memory", "Heap")] == final_value(show, "Heap")
    assert c[("Memory", "Mmap")] == final_value(show, "Mmap")
    assert c[("Memory", "Total")] == final_value(show, "Total")
    for label in ("Files read", "Files written"):
        assert c[("File I/O", label)] == final_value(show, label)
    for label in ("Net sent", "Net received"):
        assert c[("Network", label)] == final_value(show, label)
    events = re.search(r"Recording: \w+.*?(\d+) events", show).group(1)
    assert c[("Recording", "Events")] == events == str(len(demo.events))
    assert c[("Process", "Exit")] == "0"
    assert data["kept"] == len(demo.events) and data["dropped"] == 0
    # one lane per task: the demo's process, its thread, the shell and ls
    tids = {e["tid"] for e in demo.events} | {e["child_tid"] for e in demo.events
                                               if e["type"] == "spawn" and "errno" not in e}
    assert len(data["tasks"]) == len(tids)
    assert sum(1 for t in data["tasks"] if t[4]) >= 1  # a thread
    names = [data["strs"][t[3] - 1] for t in data["tasks"] if t[3]]
    assert "demo" in names and "ls" in names
    # the files panel has the file the demo wrote and read back, with its bytes
    notes = [f for f in data["files"] if f[0].endswith("/demo-notes.txt")]
    assert notes and notes[0][1] > 0 and notes[0][2] > 0


def test_report_is_self_contained(demo, tmp_path):
    out = tmp_path / "r.html"
    assert run(["report", "-o", str(out), str(demo.path)]).returncode == 0
    html = out.read_text(encoding="utf-8")
    assert "default-src 'none'" in html
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html)
    assert "@import" not in html and "url(" not in html
    assert html.count("<script") == 2


def test_report_default_output_and_stdout(demo, tmp_path):
    cmp = tmp_path / "run.cmp"
    os.rename(demo.path, cmp)
    p = run(["report", str(cmp)])
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "run.html").exists()
    assert not (tmp_path / "run.html.tmp").exists()
    p = run(["report", "-o", "-", str(cmp)])
    assert p.returncode == 0 and p.stdout.startswith("<!doctype html>")
    # stdin -> report.html in the current directory
    with open(cmp, "rb") as f:
        p = subprocess.run([COMPENDIUM, "report", "-"], stdin=f, cwd=tmp_path,
                           capture_output=True, timeout=60)
    assert p.returncode == 0 and (tmp_path / "report.html").exists()


def test_report_cap_says_what_it_left_out(demo, tmp_path):
    out = tmp_path / "cap.html"
    p = run(["report", "--max-report-events", "20", "-o", str(out), str(demo.path)])
    assert p.returncode == 0, p.stderr
    total = len(demo.events)
    assert f"{total - 20} more left out by --max-report-events 20" in p.stderr
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["kept"] == 20 and data["dropped"] == total - 20
    assert sum(data["dropped_cats"].values()) == total - 20
    assert data["first_drop_ns"] == demo.events[20]["ts_ns"]
    # the cards still count everything
    assert cards(data)[("Recording", "Events")] == str(total)
    assert 'id="capwarn"' in out.read_text(encoding="utf-8")


def test_report_bad_usage_and_unreadable(tmp_path):
    bad = tmp_path / "bad.cmp"
    bad.write_bytes(b"not a recording at all\n" * 10)
    p = run(["report", str(bad)])
    assert p.returncode == 2
    assert not (tmp_path / "bad.html").exists() and not (tmp_path / "bad.html.tmp").exists()
    assert run(["report", "--max-report-events", "0", str(bad)]).returncode == 2
    assert run(["report", "--max-report-events", "x", str(bad)]).returncode == 2
    assert run(["report"]).returncode == 2
    assert run(["report", str(tmp_path / "missing.cmp")]).returncode == 2
    h = run(["report", "--help"])
    assert h.returncode == 0 and "--max-report-events" in h.stdout


def test_report_truncated_recording(demo, tmp_path):
    data = open(demo.path, "rb").read()
    cut = tmp_path / "cut.cmp"
    cut.write_bytes(data[: len(data) - 40])
    out = tmp_path / "cut.html"
    p = run(["report", "-o", str(out), str(cut)])
    assert p.returncode == 3, p.stderr
    d = page_data(out.read_text(encoding="utf-8"))
    assert cards(d)[("Recording", "State")] == "truncated"


def test_report_hostile_path(tmp_path):
    """A path that tries to end the data element and inject a script."""
    evil = b"/tmp/cmp-evil\xff</script><script>alert(1)</script><!--\xe2\x80\xa8"
    cmp = tmp_path / "evil.cmp"
    # not the record fixture: its str.splitlines() would split show --json at U+2028
    p = run(["record", "-o", str(cmp), "--", "/bin/sh", "-c", 'cat "$1" 2>/dev/null; true',
             "sh", os.fsdecode(evil)])
    assert cmp.exists(), p.stderr
    out = tmp_path / "evil.html"
    assert run(["report", "-o", str(out), str(cmp)]).returncode == 0
    raw = out.read_bytes()
    html = raw.decode("utf-8")  # valid UTF-8 throughout
    assert html.count("</script") == 2 and html.count("<script") == 2
    data = page_data(html)
    got = [s for s in data["strs"] if s.startswith("/tmp/cmp-evil")]
    assert got, data["strs"]
    # lossless: the JSON string maps back to the original bytes
    assert got[0].encode("utf-8", "surrogateescape") == evil
