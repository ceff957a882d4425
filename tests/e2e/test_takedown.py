"""The ways a client (or a damaged spool) could take the server down, each
against the real binary: a repeated recipient, surprising spool entries, a
Maildir with two files of one base name, quadratic DATA, unread POP3 output,
and a failed Maildir write after the spool write."""

from __future__ import annotations

import json
import os
import poplib
import re
import socket
import threading
import time

from simslib import (POSTMASTER, QUEUE_DEADLINE, TRUSTED_IP, RawSMTP, compose, peers, queue_overrides, relay,
                     spool_files, swaks, wait_until, zone)

assert peers  # the fixture, imported for pytest

MX_ZONE = ("remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); here after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- a repeated recipient ---------------------------------------------------


def test_repeated_recipient_is_relayed_once_and_the_server_survives_a_restart(sims_server, peers):
    sink = peers.smtp_sink()
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port))
    with RawSMTP(sims.smtp_port, source=TRUSTED_IP) as c:
        c.expect("EHLO trusted.client.test", 250)
        c.expect(f"MAIL FROM:<{POSTMASTER}>", 250)
        c.expect("RCPT TO:<bob@remote.test>", 250)
        text = c.expect("RCPT TO:<bob@REMOTE.test>", 250)
        assert "duplicate" in text
        c.expect('RCPT TO:<"bob"@Remote.Test>', 250)
        c.expect("DATA", 354)
        c.send(compose("twice", to="bob@remote.test") + b".\r\n")
        assert c.reply()[0] == 250
    wait_until(lambda: sink.messages(), QUEUE_DEADLINE, what="the message at the sink")
    sims.wait_for_log(r"removed from queue: all recipients done", timeout=QUEUE_DEADLINE)
    messages = sink.messages()
    assert len(messages) == 1 and messages[0].rcpt_tos == ["bob@remote.test"], messages
    assert sims.running(), "the queue runner took the process down"
    assert sims.stop() == 0
    sims.start()
    assert sims.running()


def write_envelope(queue, qid: str, recipients: list[tuple[str, str]], message: bytes | None = b"Subject: x\r\n\r\ny\r\n",
                   raw: str | None = None, envelope_id: str | None = None):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    envelope = {
        "id": envelope_id or qid, "reversePath": POSTMASTER, "created": now, "nextAttempt": now, "attempts": 0,
        "receivedFrom": "127.0.0.1", "delayWarningSent": False,
        "recipients": [{"address": a, "domain": d, "state": "pending", "permission": "client network 127.0.0.1"}
                       for a, d in recipients],
    }
    (queue / "envelopes" / f"{qid}.json").write_text(raw if raw is not None else json.dumps(envelope))
    if message is not None:
        (queue / "messages" / qid).write_bytes(message)


def test_damaged_or_surprising_spool_entries_are_quarantined_never_fatal(sims_server, peers):
    sink = peers.smtp_sink()
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port), start=False)
    queue = sims.data / "queue"
    for sub in ("envelopes", "messages"):
        (queue / sub).mkdir(parents=True, exist_ok=True)
    # What an older server wrote: the same recipient twice.
    write_envelope(queue, "S.DUPLICATE1", [("bob@remote.test", "remote.test"), ("bob@remote.test", "remote.test")])
    write_envelope(queue, "S.GARBAGE1", [], raw="{ not json \x00\x1b")
    write_envelope(queue, "S.NOBODY1", [])
    write_envelope(queue, "S.NODOMAIN1", [("bob", "")])
    write_envelope(queue, "S.WRONGID1", [("bob@remote.test", "remote.test")], envelope_id="../../etc/passwd")
    sims.start(new_ports=False)
    wait_until(lambda: sink.messages(), QUEUE_DEADLINE, what="the merged entry at the sink")
    sims.wait_for_log(r"\[S\.DUPLICATE1\] removed from queue", timeout=QUEUE_DEADLINE)
    assert [m.rcpt_tos for m in sink.messages()] == [["bob@remote.test"]]
    quarantined = sorted(p.name for p in (queue / "quarantine").iterdir())
    for qid in ("S.GARBAGE1", "S.NOBODY1", "S.NODOMAIN1", "S.WRONGID1"):
        assert f"{qid}.json" in quarantined, quarantined
    log = sims.log_since_start()
    assert "S.DUPLICATE1: 1 duplicate recipient(s) merged" in log
    assert re.search(r"S\.GARBAGE1: unreadable envelope, moved to quarantine/", log), log
    assert sims.running()
    # And again after a restart: nothing left to trip over.
    assert sims.stop() == 0
    sims.start()
    assert sims.running()


# -- a Maildir with two files of one base name ------------------------------


def test_two_maildir_files_with_one_base_name_both_readable_by_pop3(sims_server):
    sims = sims_server({"pop3.allow_plaintext": True})
    maildir = sims.maildir()
    (maildir / "new" / "1700000000.X.host").write_bytes(b"Subject: one\r\n\r\nfirst\r\n")
    (maildir / "cur" / "1700000000.X.host:2,S").write_bytes(b"Subject: two\r\n\r\nsecond\r\n")
    pop = poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    pop.user(POSTMASTER)
    pop.pass_(sims.postmaster_password)
    count, _ = pop.stat()
    assert count == 2
    uids = [line.split()[1] for line in pop.uidl()[1]]
    assert len(set(uids)) == 2, uids
    bodies = sorted(b"\r\n".join(pop.retr(n)[1]) for n in (1, 2))
    assert bodies == [b"Subject: one\r\n\r\nfirst", b"Subject: two\r\n\r\nsecond"]
    pop.quit()
    assert sims.running()
    # The uids stay as they are in the next session.
    pop = poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    pop.user(POSTMASTER)
    pop.pass_(sims.postmaster_password)
    assert sorted(line.split()[1] for line in pop.uidl()[1]) == sorted(uids)
    pop.quit()


# -- DATA costs linear CPU, and large messages are not held in memory ------


def send_message(port: int, body_chunks, size_hint: int) -> tuple[int, str]:
    with RawSMTP(port, timeout=120) as c:
        c.expect("EHLO big.example", 250)
        c.expect("MAIL FROM:<bob@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        for chunk in body_chunks:
            c.send(chunk)
        c.send(b".\r\n")
        return c.reply(timeout=120)


def one_byte_lines(megabytes: float):
    yield b"Subject: many lines\r\n\r\n"
    block = b"x\r\n" * 100_000
    for _ in range(int(megabytes * 1_000_000 / len(block))):
        yield block


def normal_lines(megabytes: float):
    yield b"Subject: normal lines\r\n\r\n"
    block = (b"0123456789" * 7 + b"\r\n") * 10_000
    for _ in range(int(megabytes * 1_000_000 / len(block))):
        yield block


def test_data_costs_cpu_linear_in_size_for_tiny_and_normal_lines(sims):
    """Four times the text costs about four times the CPU. Quadratic work
    (the old copy of the whole message per line) is sixteen times: 1 MB of
    one-byte lines took 13 s, 30 MB of normal lines 277 s. Sizes are kept
    small for the debug build, where a one-byte line costs ~10 µs."""
    pid = sims.proc.pid
    costs = {}
    for name, make, small, large, ceiling in (("1-byte lines", one_byte_lines, 1, 4, 40),
                                              ("normal lines", normal_lines, 6, 24, 30)):
        for megabytes in (small, large):
            before = cpu_seconds(pid)
            code, text = send_message(sims.smtp_port, make(megabytes), int(megabytes * 1e6))
            assert code == 250, text
            costs[(name, megabytes)] = cpu_seconds(pid) - before
        assert costs[(name, large)] < 6 * max(costs[(name, small)], 0.3), costs
        assert costs[(name, large)] < ceiling, costs
    sizes = sorted(p.stat().st_size for p in sims.mail_files())
    assert len(sizes) == 4 and sizes[0] > 900_000 and sizes[-1] > 23_000_000, sizes


def test_concurrent_large_messages_are_streamed_to_disk_not_held_in_memory(sims_server):
    sims = sims_server({"timeouts.minimum_data_rate": 0})
    pid = sims.proc.pid
    sessions = []
    for _ in range(16):
        c = RawSMTP(sims.smtp_port, timeout=60)
        c.expect("EHLO big.example", 250)
        c.expect("MAIL FROM:<bob@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: streamed\r\n\r\n")
        sessions.append(c)
    baseline = rss_kib(pid)
    block = (b"y" * 998 + b"\r\n") * 1000
    for _ in range(6):  # 6 MB each, 96 MB in all, every message still open
        for c in sessions:
            c.send(block)
    incoming = sims.data / "queue" / "tmp"
    wait_until(lambda: sum(p.stat().st_size for p in incoming.glob("incoming.*")) >= 16 * 5_000_000, 60,
               what="the open messages' text on disk")
    grown = rss_kib(pid) - baseline
    assert grown < 48_000, f"RSS grew by {grown} KiB for 96 MB of open messages"
    for c in sessions:
        c.send(b".\r\n")
        assert c.reply(timeout=60)[0] == 250
        c.close()
    files = sims.mail_files()
    assert len(files) == 16
    assert all(p.stat().st_size > 6_000_000 for p in files)
    wait_until(lambda: not list(incoming.glob("incoming.*")), 10, what="spill files removed")


def test_header_section_larger_than_the_memory_limit_is_refused(sims_server):
    sims = sims_server({"limits.message_memory": 65536})
    header = b"".join(b"X-Pad-%d: %s\r\n" % (n, b"p" * 70) for n in range(1000))
    code, text = send_message(sims.smtp_port, [header, b"\r\nbody\r\n"], len(header))
    assert (code, text[:5]) == (552, "5.3.4"), (code, text)
    assert sims.mail_files() == []


# -- unread POP3 output ------------------------------------------------------


def test_pipelined_retr_never_read_does_not_grow_memory(sims_server):
    sims = sims_server({"pop3.allow_plaintext": True})
    message = b"Subject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * 1000
    (sims.maildir() / "new" / "1700000001.BIG.host").write_bytes(message)
    pid = sims.proc.pid
    s = socket.create_connection(("127.0.0.1", sims.pop_port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    s.sendall(f"USER {POSTMASTER}\r\nPASS {sims.postmaster_password}\r\n".encode())
    assert f.readline().startswith(b"+OK") and f.readline().startswith(b"+OK")
    baseline = rss_kib(pid)
    # 200 MB asked for, nothing read.
    stop = threading.Event()

    def pipeline():
        try:
            for _ in range(200):
                if stop.is_set():
                    return
                s.sendall(b"RETR 1\r\n")
        except OSError:
            pass

    sender = threading.Thread(target=pipeline, daemon=True)
    sender.start()
    peak = baseline
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        peak = max(peak, rss_kib(pid))
        time.sleep(0.1)
    stop.set()
    assert peak - baseline < 60_000, f"RSS grew by {peak - baseline} KiB with unread RETR output"
    s.close()
    assert sims.running()


# -- both durable or neither -------------------------------------------------


def test_failed_maildir_write_after_the_spool_write_keeps_nothing(sims_server, peers):
    sink = peers.smtp_sink()
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port))
    new = sims.maildir() / "new"
    new.rmdir()
    new.write_text("not a directory")  # the link into new/ fails, even for root
    with RawSMTP(sims.smtp_port, source=TRUSTED_IP) as c:
        c.expect("EHLO trusted.client.test", 250)
        c.expect(f"MAIL FROM:<{POSTMASTER}>", 250)
        c.expect("RCPT TO:<bob@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(compose("mixed", to="bob@remote.test") + b".\r\n")
        code, text = c.reply()
    assert code == 451, text
    assert [p for p in spool_files(sims) if "incoming." not in p.name] == [], "a queued copy was left behind"
    new.unlink()
    new.mkdir()
    qid = relay(sims, ["bob@remote.test", POSTMASTER], compose("mixed again", to="bob@remote.test"))
    sims.wait_for_log(rf"\[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    assert len(sink.messages()) == 1, "the remote recipient got the message more than once"
    assert len(sims.mail_files()) == 1
