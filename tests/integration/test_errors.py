"""Bad input gets one clear error line and a distinct exit status."""
from conftest import run


def test_show_a_directory(tmp_path):
    p = run(["show", str(tmp_path)])
    assert p.returncode == 2
    assert p.stderr.strip() == f"compendium: {tmp_path}: cannot read: Is a directory"


def test_show_missing_file(tmp_path):
    p = run(["show", str(tmp_path / "nope.cmp")])
    assert p.returncode == 2
    assert "No such file or directory" in p.stderr


def test_show_empty_and_foreign_files(tmp_path):
    empty = tmp_path / "empty.cmp"
    empty.write_bytes(b"")
    text = tmp_path / "text.cmp"
    text.write_text("hello, I am not a recording\n")
    for f, why in ((empty, "empty file: not a compendium recording"),
                   (text, "not a compendium recording (bad magic)")):
        p = run(["show", str(f)])
        assert p.returncode == 2
        assert p.stderr.strip() == f"compendium: {f}: {why}"


def test_truncated_recording_is_said_once(record, tmp_path):
    rec = record(["/bin/true"])
    data = rec.path.read_bytes()
    cut = tmp_path / "cut.cmp"
    cut.write_bytes(data[: len(data) - 7])
    p = run(["show", str(cut)])
    assert p.returncode == 3
    lines = [l for l in p.stderr.splitlines() if "truncated" in l]
    assert len(lines) == 1, p.stderr
    assert "the file ends inside a frame" in lines[0]


def test_newer_major_version_is_refused(record, tmp_path):
    rec = record(["/bin/true"])
    data = bytearray(rec.path.read_bytes())
    data[8] = 9  # major version 9
    newer = tmp_path / "newer.cmp"
    newer.write_bytes(bytes(data))
    p = run(["show", str(newer)])
    assert p.returncode == 2
    assert "recording format 9.0 is not readable by this compendium" in p.stderr
    assert "upgrade compendium" in p.stderr
    assert p.stdout == ""
