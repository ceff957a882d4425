"""Configured limits, enforced with the documented replies; and 200 parallel clients."""

from __future__ import annotations

import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from simslib import DOMAIN, OUTSIDE_IP, POSTMASTER, ConnectionClosed, parse_received, queue_id, wait_until


def open_transaction(c, recipients=(POSTMASTER,), mail_args: str = ""):
    c.expect("EHLO limits.example", 250)
    c.expect(f"MAIL FROM:<s@remote.test>{mail_args}", 250)
    for r in recipients:
        c.expect(f"RCPT TO:<{r}>", 250)


def body_of_size(size: int) -> bytes:
    header = b"Subject: size test\r\n\r\n"
    line = b"x" * 98 + b"\r\n"
    out = header
    while len(out) + len(line) <= size:
        out += line
    return out + b"y" * max(0, size - len(out) - 2) + b"\r\n" if size - len(out) >= 2 else out


def test_message_size_limit(sims_server):
    sims = sims_server({"limits.message_size": 10000})
    with sims.smtp() as c:
        text = c.expect("EHLO size.example", 250)
        assert "SIZE 10000" in text.split("\n"), text
        # Declared too big: refused at MAIL.
        code, text = c.cmd("MAIL FROM:<s@remote.test> SIZE=20000")
        assert (code, text[:5]) == (552, "5.3.4"), (code, text)
        # Undeclared too big: refused after the end of data.
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        big = body_of_size(20000)
        assert len(big) >= 19000
        c.send(big + b".\r\n")
        code, text = c.reply(timeout=15)
        assert (code, text[:5]) == (552, "5.3.4"), (code, text)
        c.expect("NOOP", 250)
        # Declared small but actually big: still refused.
        c.expect("MAIL FROM:<s@remote.test> SIZE=500", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(big + b".\r\n")
        code, text = c.reply(timeout=15)
        assert (code, text[:5]) == (552, "5.3.4"), (code, text)
        assert sims.all_stored_files() == []
        # Within the limit: accepted.
        small = body_of_size(5000)
        c.expect("MAIL FROM:<s@remote.test> SIZE=5000", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(small + b".\r\n")
        code, text = c.reply()
        assert code == 250, text
    files = sims.all_stored_files()
    assert len(files) == 1
    assert parse_received(files[0].read_bytes())[1] == small


def test_recipients_per_message(sims_server):
    sims = sims_server({"limits.recipients_per_message": 3})
    users = [f"{n}@{DOMAIN}" for n in ("alice", "bob", "carol", "dave")]
    for u in users:
        sims.add_account(u)
    with sims.smtp() as c:
        open_transaction(c, users[:3])
        code, text = c.cmd(f"RCPT TO:<{users[3]}>")
        assert (code, text[:5]) == (452, "4.5.3"), (code, text)
        code, text = c.cmd(f"RCPT TO:<{POSTMASTER}>")
        assert (code, text[:5]) == (452, "4.5.3"), (code, text)
        c.expect("DATA", 354)
        c.send(b"Subject: three\r\n\r\nfor three\r\n.\r\n")
        assert c.reply()[0] == 250
    for u in users[:3]:
        assert len(sims.mail_files(u)) == 1, u
    assert sims.mail_files(users[3]) == [] and sims.mail_files(POSTMASTER) == []


def test_errors_per_session(sims_server):
    sims = sims_server({"limits.errors_per_session": 3})
    with sims.smtp() as c:
        c.expect("EHLO errors.example", 250)
        assert c.cmd("BOGUS1")[0] == 500
        assert c.cmd("BOGUS2")[0] == 500
        c.expect("NOOP", 250)  # successes do not reset or count
        code, text = c.cmd("BOGUS3")
        if code == 500:  # an implementation may send the error reply first
            code, text = c.reply()
        assert (code, text[:1]) == (421, "4"), (code, text)
        assert c.closed_by_server(timeout=5)
    # Ten errors are allowed by default: a fresh session from the default config is
    # not affected by the earlier one.
    with sims.smtp() as c:
        c.expect("EHLO errors.example", 250)
        assert c.cmd("BOGUS")[0] == 500
        c.expect("NOOP", 250)


def test_commands_per_session(sims_server):
    sims = sims_server({"limits.commands_per_session": 10})  # the smallest allowed
    with sims.smtp() as c:
        replies = []
        try:
            for _ in range(20):
                replies.append(c.cmd("NOOP")[0])
                if replies[-1] == 421:
                    break
        except ConnectionClosed:
            pass
        assert replies and replies[-1] == 421, replies
        assert replies.count(250) in (9, 10), replies
        assert c.closed_by_server(timeout=5)


def test_connections_per_ip(sims_server):
    sims = sims_server({"limits.connections_per_ip": 2})
    first, second = sims.smtp(), sims.smtp()
    try:
        assert first.greeting[0] == 220 and second.greeting[0] == 220
        third = sims.smtp()
        code, text = third.greeting
        assert (code, text[:5]) == (421, "4.7.0"), (code, text)
        assert third.closed_by_server(timeout=5)
        third.close()
        # Another client address is not affected.
        with sims.smtp(source=OUTSIDE_IP) as outside:
            assert outside.greeting[0] == 220
            outside.expect("EHLO outside.example", 250)
        # The two first ones still work.
        first.expect("NOOP", 250)
        second.expect("NOOP", 250)
        # When one leaves, there is room again (the server notices the close
        # asynchronously: poll, bounded).
        second.cmd("QUIT")
        second.close()

        def admitted():
            c = sims.smtp()
            ok = c.greeting[0] == 220
            c.close()
            return ok

        wait_until(admitted, 5, interval=0.1, what="a slot to free up")
    finally:
        first.close()
        second.close()


def test_total_connections(sims_server):
    sims = sims_server({"limits.connections": 3, "limits.connections_per_ip": 50})
    clients = [sims.smtp(source=ip) for ip in ("127.0.0.1", "127.0.0.2", "127.0.0.3")]
    try:
        assert all(c.greeting[0] == 220 for c in clients)
        with sims.smtp(source="127.0.0.4") as c:
            code, text = c.greeting
            assert (code, text[:5]) == (421, "4.7.0"), (code, text)
    finally:
        for c in clients:
            c.close()


def test_text_line_length(sims):
    with sims.smtp() as c:
        # Exactly 1000 octets with CRLF is allowed ...
        open_transaction(c)
        c.expect("DATA", 354)
        c.send(b"Subject: long\r\n\r\n" + b"a" * 998 + b"\r\n.\r\n")
        code, text = c.reply()
        assert code == 250, text
        # ... 1001 is not, and the refusal comes after the end of data.
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: too long\r\n\r\n" + b"b" * 999 + b"\r\nmore\r\n")
        assert c.nothing_pending(0.3), "refused before the end of data"
        c.send(b".\r\n")
        code, text = c.reply()
        assert (code, text[:5]) == (554, "5.6.0"), (code, text)
        c.expect("NOOP", 250)
    files = sims.all_stored_files()
    assert len(files) == 1
    assert b"a" * 998 + b"\r\n" in files[0].read_bytes()
    assert b"b" * 999 not in files[0].read_bytes()


@pytest.mark.parametrize("length", [999, 5000])
def test_overlong_text_line_right_before_end_of_data(sims, length):
    """An over-long last line directly followed by the end-of-data marker: the
    message still ends there, and is refused with 554 5.6.0."""
    with sims.smtp() as c:
        open_transaction(c)
        c.expect("DATA", 354)
        c.send(b"Subject: long last line\r\n\r\n" + b"z" * length + b"\r\n.\r\n")
        try:
            code, text = c.reply(timeout=10)
        except (TimeoutError, OSError):
            raise AssertionError(f"no reply within 10 s to CRLF.CRLF after a {length + 2}-octet line: "
                                 f"the end of data was not recognised")
        assert (code, text[:5]) == (554, "5.6.0"), (code, text)
        c.expect("NOOP", 250)
    assert sims.all_stored_files() == []


def test_two_hundred_parallel_deliveries(sims_server):
    n = 200
    sims = sims_server({"limits.connections_per_ip": 500})
    barrier = threading.Barrier(n, timeout=60)

    def one(i: int):
        with smtplib.SMTP("127.0.0.1", sims.smtp_port, local_hostname=f"client{i}.example", timeout=60) as s:
            barrier.wait()  # all 200 connected and greeted at the same time
            s.ehlo_or_helo_if_needed()
            msg = f"Subject: parallel {i}\r\nX-Index: {i}\r\n\r\nmessage number {i}\r\n".encode()
            s.mail("load@remote.test")
            code, text = s.rcpt(POSTMASTER)
            assert code == 250, text
            code, text = s.data(msg)
            return i, code, text.decode(), msg

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n), timeout=120))
    codes = [r[1] for r in results]
    assert codes == [250] * n, [r for r in results if r[1] != 250][:5]
    qids = {queue_id(r[2]) for r in results}
    assert len(qids) == n, "queue ids are not unique"
    files = wait_until(lambda: (f := sims.mail_files()) and len(f) >= n and f, 10, what="200 files")
    assert len(files) == n
    stored = {parse_received(f.read_bytes())[1] for f in files}
    assert stored == {r[3] for r in results}
    assert sims.mail_files(POSTMASTER, "tmp") == []
