"""Hostile input over raw sockets, byte for byte."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from simslib import POSTMASTER, RawSMTP


def start_transaction(c: RawSMTP):
    c.expect("EHLO hostile.example", 250)
    c.expect("MAIL FROM:<attacker@remote.test>", 250)
    c.expect(f"RCPT TO:<{POSTMASTER}>", 250)


def test_megabyte_without_newline_then_usable(sims):
    with sims.smtp() as c:
        c.expect("EHLO big.example", 250)
        c.send(b"A" * (1024 * 1024))
        c.send(b"\r\n")
        code, text = c.reply(timeout=30)
        assert (code, text[:5]) == (500, "5.5.2"), (code, text)
        # Exactly one error reply for the whole line, then the session is usable.
        c.expect("NOOP", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: after flood\r\n\r\nok\r\n.\r\n")
        assert c.reply()[0] == 250
    assert len(sims.mail_files()) == 1


def test_command_line_length_boundary(sims):
    with sims.smtp() as c:
        c.expect("EHLO len.example", 250)
        # 512 octets including CRLF is allowed (RFC 5321 § 4.5.3.1.4) ...
        line = b"NOOP " + b"x" * (512 - 2 - 5)
        assert len(line + b"\r\n") == 512
        assert c.cmd(line)[0] == 250
        # ... 513 is not.
        code, text = c.cmd(line + b"x")
        assert (code, text[:5]) == (500, "5.5.2"), (code, text)
        local = "a" * 600
        code, text = c.cmd(f"MAIL FROM:<{local}@remote.test>")
        assert (code, text[:5]) == (500, "5.5.2"), (code, text)
        # The over-long MAIL did not start a transaction.
        code, _ = c.cmd(f"RCPT TO:<{POSTMASTER}>")
        assert code == 503
        c.expect("NOOP", 250)


@pytest.mark.parametrize("bare", [b"\n", b"\r"])
def test_bare_line_ending_in_command(sims, bare):
    with sims.smtp() as c:
        c.expect("EHLO bare.example", 250)
        c.send(b"NOOP" + bare + b"NOOP\r\n")
        code, text = c.reply()
        assert (code, text[:5]) == (500, "5.5.2"), (code, text)
        # The server may treat a bare LF as the end of the (refused) line, then
        # run the rest as the next command; it must never run the first NOOP.
        if not c.nothing_pending(0.3):
            assert bare == b"\n", f"extra reply after a bare CR: {c.buffer!r}"
            assert c.reply()[0] == 250
        c.expect("NOOP", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)


SMUGGLING_ENDINGS = [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\r", b"\r.\n",
                     # beyond the classic five
                     b"\r\n.\n", b"\n.\r"]


@pytest.mark.parametrize("prefix", [b"outer body", b"L" * 1500], ids=["short", "overlong"])
@pytest.mark.parametrize("ending", SMUGGLING_ENDINGS, ids=lambda e: repr(e)[2:-1])
def test_smtp_smuggling_refused(sims, ending, prefix):
    """The smuggling ending follows a short line, or a line over text_line_length
    (whose tail the server skips unseen: its ending must still count)."""
    smuggled = (b"MAIL FROM:<evil@x.test>\r\n"
                b"RCPT TO:<postmaster@example.test>\r\n"
                b"DATA\r\n"
                b"smuggled\r\n")
    with sims.smtp() as c:
        start_transaction(c)
        c.expect("DATA", 354)
        c.send(b"From: <attacker@remote.test>\r\nSubject: outer\r\n\r\n" + prefix + ending + smuggled + b"\r\n.\r\n")
        code, text = c.reply()
        # The smuggled commands are message text: there must be no replies for them.
        clean = c.nothing_pending(0.5)
        extra = c.buffer
        if clean:
            c.expect("NOOP", 250)
            # The transaction is over: a RCPT now is out of sequence.
            assert c.cmd(f"RCPT TO:<{POSTMASTER}>")[0] == 503
            c.cmd("QUIT")
    stored = {f.name: f.read_bytes() for f in sims.all_stored_files()}
    smuggled_files = [n for n, d in stored.items() if b"smuggled" in d]
    assert not smuggled_files, (
        f"SMUGGLED MESSAGE STORED (ending {ending!r}): {smuggled_files}; server replies: {text!r} then {extra!r}")
    assert stored == {}, f"a message was stored: {stored}"
    assert (code, text[:5]) == (554, "5.6.0"), (code, text)
    assert clean, f"extra replies after the refused message: {extra!r}"
    assert "delivered" not in sims.log_text()


@pytest.mark.parametrize("text", [b"line with bare LF\nsecond\r\n", b"bare CR\rinside\r\n", b"end with bare LF\n"])
def test_bare_cr_lf_in_message_refused(sims, text):
    with sims.smtp() as c:
        start_transaction(c)
        c.expect("DATA", 354)
        c.send(b"Subject: bare\r\n\r\n" + text + b".\r\n" if text.endswith(b"\r\n") else
               b"Subject: bare\r\n\r\n" + text + b"\r\n.\r\n")
        code, reply = c.reply()
        assert (code, reply[:5]) == (554, "5.6.0"), (code, reply)
        c.expect("NOOP", 250)
    assert sims.all_stored_files() == []


def test_commands_pipelined_after_starttls_are_discarded(sims):
    with sims.smtp() as c:
        c.expect("EHLO tls.example", 250)
        c.send(b"STARTTLS\r\nMAIL FROM:<a@b.test>\r\n")
        code, text = c.reply()
        assert code == 220, (code, text)
        # No plaintext reply to the injected MAIL may follow the 220.
        assert c.buffer == b"" and c.nothing_pending(0.3), f"plaintext after 220: {c.buffer!r}"
        tls = c.starttls()
        assert tls.version().startswith("TLSv1.")
        # If the injected MAIL had been kept and executed inside TLS, its reply
        # would arrive first and NOOP would get the wrong one.
        assert c.nothing_pending(0.3), f"unsolicited data after the handshake: {c.buffer!r}"
        c.expect("NOOP", 250)
        code, text = c.cmd(f"RCPT TO:<{POSTMASTER}>")
        assert (code, text[:5]) == (503, "5.5.1"), (code, text)
        text = c.expect("EHLO tls.example", 250)
        assert "STARTTLS" not in text.split("\n"), "STARTTLS advertised inside TLS"
        # After EHLO there is still no transaction from the injected MAIL.
        code, text = c.cmd(f"RCPT TO:<{POSTMASTER}>")
        assert (code, text[:5]) == (503, "5.5.1"), (code, text)
        code, _ = c.cmd("STARTTLS")
        assert code == 503
        c.expect("MAIL FROM:<real@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: tls\r\n\r\nafter starttls\r\n.\r\n")
        assert c.reply()[0] == 250
        c.cmd("QUIT")
    files = sims.mail_files()
    assert len(files) == 1
    data = files[0].read_bytes()
    assert b"with ESMTPS" in data and b"(using TLSv1." in data
    assert b"a@b.test" not in data


def test_starttls_requires_ehlo_again(sims):
    with sims.smtp() as c:
        c.expect("EHLO tls.example", 250)
        c.expect("STARTTLS", 220)
        c.starttls()
        code, text = c.cmd("MAIL FROM:<x@remote.test>")
        assert code == 503, (code, text)


@pytest.mark.parametrize("abort", ["close", "reset"])
def test_client_vanishing_mid_data(sims, abort):
    c = sims.smtp()
    start_transaction(c)
    c.expect("DATA", 354)
    c.send(b"Subject: half\r\n\r\n" + b"partial line\r\n" * 1000 + b"no end")
    if abort == "reset":
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    sims.wait_for_log(r"127\.0\.0\.1 disconnected", timeout=10)
    assert sims.all_stored_files() == [], "a partial message was stored"
    # The server still serves.
    with sims.smtp() as c2:
        start_transaction(c2)
        c2.expect("DATA", 354)
        c2.send(b"Subject: whole\r\n\r\nok\r\n.\r\n")
        assert c2.reply()[0] == 250
    files = sims.all_stored_files()
    assert len(files) == 1 and b"partial line" not in files[0].read_bytes()


def test_early_talker_is_dropped(sims_server):
    sims = sims_server({"timeouts.greeting_delay": "1s"})
    # A polite client waits and is greeted.
    started = time.monotonic()
    with sims.smtp() as polite:
        assert polite.greeting[0] == 220
        assert time.monotonic() - started >= 0.9, "greeting was not delayed"
        polite.expect("EHLO polite.example", 250)
    # An impatient one talks first.
    c = sims.smtp(read_greeting=False)
    c.send(b"EHLO rude.example\r\n")
    code, text = c.reply(timeout=10)
    assert (code, text[:5]) == (554, "5.5.0"), (code, text)
    assert c.closed_by_server(timeout=5), f"connection not closed: {c.buffer!r}"
    c.close()


def test_idle_timeout(sims_server):
    sims = sims_server({"timeouts.command": "2s"})
    with sims.smtp() as c:
        c.expect("EHLO idle.example", 250)
        started = time.monotonic()
        code, text = c.reply(timeout=15)
        elapsed = time.monotonic() - started
        assert (code, text[:5]) == (421, "4.4.2"), (code, text)
        assert 1.5 <= elapsed <= 10, elapsed
        assert c.closed_by_server(timeout=5)


def test_data_block_timeout(sims_server):
    """data_block applies while the message text is read, independently of the
    (here much longer) command timeout."""
    sims = sims_server({"timeouts.data_block": "2s", "timeouts.command": "30s"})
    with sims.smtp() as c:
        start_transaction(c)
        c.expect("DATA", 354)
        c.send(b"Subject: slow\r\n\r\nstarted but never finished\r\n")
        started = time.monotonic()
        try:
            code, text = c.reply(timeout=12)
        except (TimeoutError, socket.timeout):
            raise AssertionError("no 421 within 12 s although data_block is 2s (command timeout is 30s)")
        elapsed = time.monotonic() - started
        assert (code, text[:5]) == (421, "4.4.2"), (code, text)
        assert elapsed <= 8, f"data_block=2s, but the timeout came after {elapsed:.1f}s"
        assert c.closed_by_server(timeout=5)
    assert sims.all_stored_files() == []


def test_garbage_and_binary_commands(sims):
    with sims.smtp() as c:
        c.expect("EHLO junk.example", 250)
        code, text = c.cmd(b"\x00\x01\x02\xff\xfe")
        assert 500 <= code <= 599, (code, text)
        code, text = c.cmd(b"FOOBAR")
        assert (code, text[:5]) == (500, "5.5.1"), (code, text)
        c.expect("NOOP", 250)
        code, text = c.cmd("MAIL FROM:<a@b.test")
        assert code == 501
        code, text = c.cmd("DATA")
        assert (code, text[:5]) == (503, "5.5.1"), (code, text)
        c.expect("VRFY postmaster", 252)
        c.expect("EXPN postmaster", 502)
        c.expect("QUIT", 221)
        assert c.closed_by_server(timeout=5)
