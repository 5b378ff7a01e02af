"""Memory: the raw mmap/munmap/mremap/mprotect/brk events of a known
sequence (the summary's totals are asserted by the summary tests)."""
from conftest import workload

P = 4096
PROT_READ, PROT_RW = 1, 3
MAP_SHARED, MAP_FIXED, MAP_ANONYMOUS, MAP_FIXED_NOREPLACE = 0x1, 0x10, 0x20, 0x100000


def test_mmap_sequence(record, tmp_path):
    f = tmp_path / "mapped"
    f.write_bytes(b"m" * 3 * P)
    rec = record([workload("io_mem"), str(f)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    out = dict(line.split(" ", 1) for line in rec.proc.stdout.splitlines())
    base, moved = int(out["base"]), int(out["moved"])
    b0, b1, b2, b3 = (int(x) for x in out["brk"].split())
    pid = rec.header["root_pid"]
    mem = [e for e in rec.events if e["pid"] == pid and e["type"] in
           ("mmap", "munmap", "mremap", "mprotect", "brk")]
    start = next(i for i, e in enumerate(mem) if e["type"] == "mmap" and e["addr"] == base
                 and e["len"] == 16 * P)
    # stdio's buffer comes from brk between these calls: brk events apart
    seq = [e for e in mem[start:] if e["type"] != "brk"]

    a = seq[0]
    assert (a["prot"], a["fd"], "path" in a) == (PROT_RW, -1, False)
    assert a["flags"] & (MAP_ANONYMOUS | MAP_FIXED_NOREPLACE) == MAP_ANONYMOUS | MAP_FIXED_NOREPLACE
    assert (seq[1]["type"], seq[1]["addr"], seq[1]["len"]) == ("munmap", base + 4 * P, 4 * P)
    assert (seq[2]["type"], seq[2]["addr"], seq[2]["len"], seq[2]["prot"]) == \
        ("mprotect", base + P, P, PROT_READ)
    r = seq[3]
    assert r["type"] == "mremap" and (r["old_addr"], r["old_len"], r["new_addr"], r["new_len"],
                                      r["flags"]) == (base + 8 * P, 8 * P, moved, 12 * P, 3)
    assert moved == base + 64 * P
    fx = seq[4]
    assert (fx["type"], fx["addr"], fx["len"], fx["prot"]) == ("mmap", base + 2 * P, P, PROT_RW)
    assert fx["flags"] & MAP_FIXED
    fm = seq[5]
    assert fm["type"] == "mmap" and (fm["path"], fm["len"], fm["prot"], fm["offset"]) == \
        (str(f), 2 * P, PROT_READ, 0)
    assert fm["flags"] & MAP_SHARED and fm["fd"] >= 0
    assert (seq[6]["type"], seq[6]["addr"], seq[6]["len"]) == ("munmap", fm["addr"], 2 * P)
    brks = [e for e in mem[start:] if e["type"] == "brk" and e["ts_ns"] > seq[6]["ts_ns"]]
    assert [(e["requested"], e["new_brk"]) for e in brks] == \
        [(0, b0), (b0 + (1 << 20), b1), (b1 + 65536, b2), (b2 - 65536, b3)]
    assert [e["old_brk"] for e in brks[1:]] == [b0, b1, b2]
    assert b1 - b0 == 1 << 20 and b3 == b1
    assert not [e for e in mem[start:] if "errno" in e]
