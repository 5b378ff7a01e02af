"""Network: TCP on 127.0.0.1 and ::1 (connect, accept with peer, exact bytes
both ways, EINPROGRESS, ECONNREFUSED), UDP with destinations, unix sockets."""
import pytest

from conftest import workload


def is_socket(e):
    return e["type"] == "socket" and "sock_type" in e


def sum_bytes(evs, **match):
    return sum(e["bytes"] for e in evs if e["type"] == "io"
               and all(e.get(k) == v for k, v in match.items()))


@pytest.mark.parametrize("fam", ["4", "6"])
def test_tcp_client_server(record, fam):
    rec = record([workload("net_tcp"), fam])
    assert rec.proc.returncode == 0, rec.proc.stderr
    words = rec.proc.stdout.split()
    port, client = int(words[1]), int(words[3])
    server = rec.header["root_pid"]
    host = "127.0.0.1" if fam == "4" else "[::1]"
    proto = "tcp" + fam
    srv_addr = f"{host}:{port}"
    S = [e for e in rec.events if e["pid"] == server]
    C = [e for e in rec.events if e["pid"] == client]

    lsock = [e for e in S if is_socket(e)]
    assert lsock[0]["proto"] == proto and lsock[0]["domain"] == (2 if fam == "4" else 10)
    assert [e["addr"] for e in S if e["type"] == "bind"] == [f"{host}:0"]
    listen = [e for e in S if e["type"] == "listen"]
    assert len(listen) == 1 and listen[0]["addr"] == srv_addr and listen[0]["backlog"] == 8

    acc = [e for e in S if e["type"] == "accept"]
    assert [e["syscall"] for e in acc] == ["accept", "accept4", "accept"]
    for e in acc:
        assert e["proto"] == proto and e["local_addr"] == srv_addr
        assert e["peer_addr"].startswith(host + ":") and e["peer_addr"] != srv_addr
    peers = [e["peer_addr"] for e in acc]
    assert len(set(peers)) == 3
    # exact bytes, server side, per connection (the fd is named by its peer)
    assert sum_bytes(S, op="recv", peer=peers[0]) == 1000
    assert sum_bytes(S, op="write", peer=peers[0]) == 2500
    assert sum_bytes(S, op="recv", peer=peers[1]) == 300
    assert all(e["fd_kind"] == "socket" and e["proto"] == proto
               for e in S if e["type"] == "io" and e.get("peer") in peers)

    conns = [e for e in C if e["type"] == "connect"]
    assert [e["addr"] for e in conns[:3]] == [srv_addr] * 3
    assert "errno" not in conns[0] and "errno" not in conns[1]
    assert conns[2].get("errno") in (None, "EINPROGRESS")
    assert conns[3]["errno"] == "ECONNREFUSED" and conns[3]["addr"] != srv_addr
    assert conns[3]["addr"].startswith(host + ":") and len(conns) == 4
    # exact bytes, client side (the fds are named by the server's address)
    assert sum_bytes(C, op="send", peer=srv_addr) == 1000
    assert sum_bytes(C, op="recv", peer=srv_addr) == 2500
    assert sum_bytes(C, op="write", peer=srv_addr) == 300


def test_udp_destinations(record):
    rec = record([workload("net_udp")])
    assert rec.proc.returncode == 0, rec.proc.stderr
    words = rec.proc.stdout.split()
    dst, src = f"127.0.0.1:{words[1]}", f"127.0.0.1:{words[3]}"
    io = [e for e in rec.events if e["type"] == "io" and e.get("proto") == "udp4"]
    got = [(e["syscall"], e["op"], e["bytes"], e.get("addr"), e.get("count")) for e in io]
    assert got == [
        ("sendto", "send", 123, dst, None),
        ("sendmsg", "send", 45, dst, None),
        ("sendmmsg", "send", 60, dst, 3),
        ("recvfrom", "recv", 123, src, None),
        ("recvmsg", "recv", 45, src, None),
        ("recvmmsg", "recv", 60, None, 3),
    ]
    socks = [e for e in rec.events if is_socket(e) and e.get("proto") == "udp4"]
    assert len(socks) == 2


def test_unix_sockets(record, tmp_path):
    rec = record([workload("net_unix"), str(tmp_path)])
    assert rec.proc.returncode == 0, rec.proc.stderr
    pid = rec.header["root_pid"]
    pair = [e for e in rec.events if is_socket(e) and e["syscall"] == "socketpair"]
    assert len(pair) == 1 and pair[0]["proto"] == "unix" and pair[0]["fd2"] != pair[0]["fd"]
    io = [e for e in rec.events if e["type"] == "io" and e["fd"] in
          (pair[0]["fd"], pair[0]["fd2"]) and e["bytes"] == 77]
    assert [(e["op"], e["fd"], e["fd_kind"]) for e in io] == [
        ("write", pair[0]["fd"], "socket"), ("read", pair[0]["fd2"], "socket")]

    path = f"unix:{tmp_path}/srv.sock"
    abstract = f"unix:@compendium-test-{pid}"
    for addr, n in ((path, 11), (abstract, 5)):
        assert len([e for e in rec.events if e["type"] == "bind" and e["addr"] == addr]) == 1
        assert len([e for e in rec.events if e["type"] == "listen" and e["addr"] == addr]) == 1
        c = [e for e in rec.events if e["type"] == "connect" and e["addr"] == addr]
        assert len(c) == 1 and c[0]["proto"] == "unix" and "errno" not in c[0]
        a = [e for e in rec.events if e["type"] == "accept" and e["local_addr"] == addr]
        assert len(a) == 1
        assert sum_bytes(rec.events, op="send", peer=addr, fd=c[0]["fd"]) == n
        # the accepted end is named by the listener's path (its peer is unnamed)
        assert sum_bytes(rec.events, op="recv", peer=addr, fd=a[0]["new_fd"]) == n
