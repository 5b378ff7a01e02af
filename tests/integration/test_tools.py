"""Real tools: the files cp, python3 and git must touch are in the recording."""
import os
import re
import shutil

import pytest


PYTHON = "/usr/bin/python3"


def paths(rec, type_="open", **match):
    return [e for e in rec.events if e["type"] == type_
            and all(e.get(k) == v for k, v in match.items())]


def test_cp(record, tmp_path):
    src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
    src.write_bytes(os.urandom(100000))
    rec = record(["cp", str(src), str(dst)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    r = paths(rec, path=str(src))
    assert r and r[-1]["access"] == "read" and "errno" not in r[-1]
    w = paths(rec, path=str(dst))
    assert w and w[-1]["access"] == "write" and w[-1]["flags"] & 0o100
    moved = sum(e["bytes"] for e in rec.events if e["type"] == "transfer"
                and e.get("dst") == str(dst))
    moved += sum(e["bytes"] for e in rec.events if e["type"] == "io"
                 and e["op"] == "write" and e.get("path") == str(dst))
    assert moved == 100000


def test_python(record, tmp_path):
    out = tmp_path / "py.txt"
    rec = record([PYTHON, "-c", f"open({str(out)!r}, 'w').write('a' * 1234)"])
    assert rec.proc.returncode == 0, rec.proc.stderr
    o = paths(rec, path=str(out))
    assert len(o) == 1 and o[0]["access"] == "write"
    assert sum(e["bytes"] for e in rec.events if e["type"] == "io"
               and e.get("path") == str(out)) == 1234
    # the interpreter read its standard library (os is frozen; encodings is not)
    assert any(re.search(r"/python3\.\d+/encodings/(__pycache__/)?__init__", e["path"])
               for e in paths(rec) if "errno" not in e)


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_init_commit(record, tmp_path):
    repo = tmp_path / "repo"
    script = (f"git init -q {repo} && cd {repo} && echo hello > f.txt && "
              "git -c user.name=x -c user.email=x@y add f.txt && "
              "git -c user.name=x -c user.email=x@y commit -q -m first")
    rec = record(["sh", "-c", script])
    assert rec.proc.returncode == 0, rec.proc.stderr
    g = f"{repo}/.git"
    mk = {e["path"] for e in paths(rec, "file_op", op="mkdir") if "errno" not in e}
    assert {g, f"{g}/objects", f"{g}/refs"} <= mk
    renamed = {e["path2"] for e in paths(rec, "file_op", op="rename") if "errno" not in e}
    assert f"{g}/index" in renamed          # index.lock -> index
    assert any(p.startswith(f"{g}/refs/heads/") or p == f"{g}/HEAD" for p in renamed)
    # the work tree file was read through a path made absolute from the cwd
    assert paths(rec, path=f"{repo}/f.txt")
    written = {e["path"] for e in paths(rec) if "errno" not in e and e["access"] != "read"}
    assert f"{g}/COMMIT_EDITMSG" in written
    # the commit's objects were created under .git/objects
    assert any(p.startswith(f"{g}/objects/") for p in written | renamed)
