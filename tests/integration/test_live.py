"""Live mode (`compendium [OPTIONS] -- COMMAND`): same output as `show` of
the recording of the same run, exit status propagation, -o, closed pipes,
options of sources this build does not have."""
import os
import subprocess

from conftest import COMPENDIUM, run, run_on_pty, show_json, workload


def live(args, **kw):
    return subprocess.run([COMPENDIUM, *args], capture_output=True, text=True, timeout=120,
                          **kw)


def show_text(path, *opts):
    return run(["show", *opts, str(path)])


def test_live_equals_show(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    rec = tmp_path / "rec.cmp"
    p = live(["-w", str(rec), "--", workload("show_golden"), str(d)])
    assert p.returncode == 0, p.stderr
    s = show_text(rec)
    assert s.returncode == 0
    assert p.stderr == s.stdout
    assert "─── show_golden exec ───" in p.stderr and " FINAL: " in p.stderr
    assert p.stdout == ""


def test_live_equals_show_subprocesses_verbose(tmp_path):
    rec = tmp_path / "rec.cmp"
    cmd = ["/bin/sh", "-c", "cat /etc/hostname >/dev/null; ls / >/dev/null; exit 3"]
    p = live(["-v", "-w", str(rec), "--", *cmd])
    assert p.returncode == 3
    assert p.stderr == show_text(rec, "-v").stdout
    assert " Subprocesses:\n   [" in p.stderr
    assert " Exit: 3\n" in p.stderr


def test_exit_status_propagation(tmp_path):
    assert live(["--", "/bin/true"]).returncode == 0
    assert live(["--", "/bin/sh", "-c", "exit 3"]).returncode == 3
    p = live(["--", "/bin/sh", "-c", "kill -9 $$"])
    assert p.returncode == 137
    assert " Exit: killed by SIGKILL\n" in p.stderr
    p = live(["--", "/nonexistent/command"])
    assert p.returncode == 127
    assert "FINAL" not in p.stderr


def test_output_copy(tmp_path):
    out = tmp_path / "out.txt"
    p = live(["-o", str(out), "--", "/bin/true"])
    assert p.returncode == 0
    assert out.read_text() == p.stderr


def test_closed_stderr_pipe_completes_recording(tmp_path):
    rec = tmp_path / "rec.cmp"
    zeros = tmp_path / "zeros"
    p = subprocess.Popen([COMPENDIUM, "-v", "--all", "-w", str(rec), "--", "dd",
                          "if=/dev/zero", f"of={zeros}", "bs=1", "count=20000", "status=none"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    p.stderr.readline()
    p.stderr.close()
    assert p.wait(timeout=120) == 0
    code, recs = show_json(rec)
    assert code == 0
    assert recs[-2]["type"] == "trailer" and recs[-2]["end_reason"] == "completed"
    writes = [r for r in recs if r["type"] == "io" and r.get("op") == "write"
              and r.get("path") == str(zeros)]
    assert len(writes) == 20000


def test_report_option(tmp_path):
    rep = tmp_path / "r.html"
    p = live(["--report", str(rep), "--", "/bin/true"])
    assert p.returncode == 0, p.stderr
    assert f"report written to {rep}" in p.stderr
    assert rep.read_text().lstrip().lower().startswith("<!doctype html")
    p = live(["--report", "--", "/bin/true"], cwd=tmp_path)
    assert p.returncode == 0 and (tmp_path / "report.html").exists()


def test_usage():
    p = live(["--help"])
    assert p.returncode == 0 and "-- COMMAND" in p.stdout and "show" in p.stdout
    p = live(["--version"])
    assert p.returncode == 0 and p.stdout.startswith("compendium ")
    assert live(["--bogus", "--", "/bin/true"]).returncode == 2
    assert live(["-v"]).returncode == 2  # neither a command nor -p


def test_no_color_on_terminal():
    def on_pty(env):
        return run_on_pty(["--", "/bin/true"], "stderr", env)

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert b"\x1b[" in on_pty(env)
    assert b"\x1b[" not in on_pty(dict(env, NO_COLOR="1"))
