"""Shared helpers for integration tests: run compendium on real programs and
read the recording back through `compendium show --json`.

Environment (set by `make integration`):
  COMPENDIUM  path of the binary under test
  WORKLOADS   folder of the compiled tests/workloads/*.c programs
  COMPENDIUM_RECORD_OPTS  extra options for every `record` fixture run,
              e.g. "--no-fastpath" to run the suite through ptrace alone
              (make integration runs it both ways)
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPENDIUM = os.environ.get("COMPENDIUM", os.path.join(ROOT, "compendium"))
WORKLOADS = os.environ.get("WORKLOADS", os.path.join(ROOT, "build", "workloads"))
RECORD_OPTS = os.environ.get("COMPENDIUM_RECORD_OPTS", "").split()


def workload(name):
    """Path of a compiled workload program from tests/workloads/NAME.c."""
    path = os.path.join(WORKLOADS, name)
    assert os.access(path, os.X_OK), f"workload {name} not built: run make workloads"
    return path


def run(args, timeout=60, **kw):
    """Runs compendium with args; returns CompletedProcess (text mode)."""
    return subprocess.run([COMPENDIUM] + list(args), capture_output=True, text=True,
                          timeout=timeout, **kw)


def run_on_pty(args, stream, env, timeout=60):
    """Runs compendium with `stream` ("stdout" or "stderr") on a new
    pseudo-terminal (the other discarded); returns the bytes written there."""
    import pty
    master, slave = pty.openpty()
    other = {"stdout": "stderr", "stderr": "stdout"}[stream]
    p = subprocess.Popen([COMPENDIUM] + list(args), env=env,
                         **{stream: slave, other: subprocess.DEVNULL})
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the pty
            break
        if not b:
            break
        chunks.append(b)
    p.wait(timeout=timeout)
    os.close(master)
    return b"".join(chunks)


def show_json(path, *extra):
    """Records of a recording as dicts: header, events..., trailer, end."""
    p = subprocess.run([COMPENDIUM, "show", "--json", *extra, str(path)],
                       capture_output=True, timeout=60)
    out = p.stdout.decode("utf-8", "strict")
    recs = [json.loads(line) for line in out.split("\n") if line.strip()]  # not splitlines: U+2028
    return p.returncode, recs


class Recording:
    """The result of `compendium record`: exit status, output and records."""

    def __init__(self, proc, path):
        self.proc = proc
        self.path = path
        self.show_rc, self.records = show_json(path)
        self.header = next((r for r in self.records if r["type"] == "header"), None)
        self.trailer = next((r for r in self.records if r["type"] == "trailer"), None)
        self.end = next((r for r in self.records if r["type"] == "end"), None)
        self.events = [r for r in self.records
                       if r["type"] not in ("header", "trailer", "end")]

    def of(self, type_, **match):
        """Events of a type whose keys equal the given values."""
        return [e for e in self.events if e["type"] == type_
                and all(e.get(k) == v for k, v in match.items())]


@pytest.fixture
def record(tmp_path):
    """record(cmd, *opts) -> Recording, tracing cmd (a list) with compendium record."""
    counter = [0]

    def _record(cmd, *opts, timeout=120, **kw):
        counter[0] += 1
        out = tmp_path / f"rec{counter[0]}.cmp"
        proc = run(["record", "-o", str(out), *RECORD_OPTS, *opts, "--", *cmd],
                   timeout=timeout, **kw)
        assert out.exists(), f"no recording written: {proc.stderr}"
        return Recording(proc, out)

    return _record
