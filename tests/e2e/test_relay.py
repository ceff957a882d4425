"""SIMS is not an open relay: remote recipients and address tricks are refused,
from an outside address and from loopback alike, and nothing is ever stored."""

from __future__ import annotations

import re

import pytest

from simslib import OUTSIDE_IP, POSTMASTER, swaks

# address -> the mailbox the log names for a relay refusal (None: must be refused,
# but it is not a relay attempt the server can recognise as remote, e.g. a local
# part with '%' or '!' in a local domain, or a syntax error).
TRICKS = {
    "user@remote.test": "user@remote.test",
    "USER@REMOTE.TEST": "user@remote.test",
    "user%remote.test@example.test": None,
    "USER%REMOTE.TEST@EXAMPLE.TEST": None,
    "remote.test!user@example.test": None,
    "REMOTE.TEST!USER@EXAMPLE.TEST": None,
    "@example.test:user@remote.test": "user@remote.test",
    "@EXAMPLE.TEST:USER@REMOTE.TEST": "user@remote.test",
    "@example.test,@example.test:user@remote.test": "user@remote.test",
    '"user@remote.test"@example.test': None,
    '"USER@REMOTE.TEST"@EXAMPLE.TEST': None,
    '"user%remote.test"@example.test': None,
    "user@remote.test@example.test": None,
    "user@example.test@remote.test": None,
    "user@[127.0.0.1]": "user@[127.0.0.1]",
    "USER@[127.0.0.1]": "user@[127.0.0.1]",
    "postmaster@[127.0.0.1]": "postmaster@[127.0.0.1]",
    "user@[IPv6:::1]": "user@[ipv6:::1]",
    "user@remote.test.": None,
    "USER@REMOTE.TEST.": None,
    "user@localhost": "user@localhost",
    "user@sub.example.test": "user@sub.example.test",
    "user@example.test.remote.test": "user@example.test.remote.test",
    "user@remote.test%example.test": None,
    "user@remote.test,postmaster@example.test": None,
}


@pytest.mark.parametrize("client_ip", [OUTSIDE_IP, "127.0.0.1"])
def test_relay_refused_for_every_address_trick(sims, client_ip):
    replies = {}
    for address, logged in TRICKS.items():
        with sims.smtp(source=client_ip) as c:
            c.expect("EHLO relay.tester.example", 250)
            c.expect("MAIL FROM:<spammer@remote.test>", 250)
            code, text = c.cmd(f"RCPT TO:<{address}>")
            replies[address] = (code, text)
            # A client that ignores the refusal and sends the message anyway.
            code_data, text_data = c.cmd("DATA")
            if code_data == 354:
                c.send(b"Subject: relayed\r\n\r\nrelay test\r\n.\r\n")
                c.reply()
            else:
                assert code_data in (503, 554), (address, code_data, text_data)
            c.cmd("QUIT")

    accepted = {a: r for a, r in replies.items() if not 500 <= r[0] <= 599}
    assert not accepted, f"address tricks not refused with 5xx from {client_ip}: {accepted}"
    for address, logged in TRICKS.items():
        if logged is not None:
            assert replies[address][0] == 554 and replies[address][1].startswith("5.7.1"), \
                (address, replies[address])

    assert sims.all_stored_files() == [], "something was stored"

    log = sims.log_text()
    relay_lines = [l for l in log.splitlines()
                   if f" {client_ip} <" in l and f"refused relay: client {client_ip} " in l]
    assert len(relay_lines) == sum(1 for r in replies.values() if r[0] == 554), relay_lines
    logged_boxes = [re.search(r" <([^>]*)> refused relay", l).group(1).lower() for l in relay_lines]
    for address, logged in TRICKS.items():
        if logged is not None:
            assert logged in logged_boxes, f"no 'refused relay' log line for {address} ({logged})"
    assert " delivered" not in log


def test_relay_refused_via_swaks_from_outside(sims):
    result = swaks("--server", f"127.0.0.1:{sims.smtp_port}", "--local-interface", OUTSIDE_IP,
                   "--from", "bob@remote.test", "--to", "x@remote.test", "--helo", "outside.example")
    transcript = result.stdout + result.stderr
    assert result.returncode != 0, transcript
    assert re.search(r"<\*\* +554 5\.7\.1 ", transcript), transcript
    assert f"Hello outside.example [{OUTSIDE_IP}]" in transcript
    sims.wait_for_log(
        rf"\] {re.escape(OUTSIDE_IP)} <x@remote\.test> refused relay: client {re.escape(OUTSIDE_IP)} is not "
        r"authenticated and not in a client network \(from <bob@remote\.test>\)")
    assert sims.all_stored_files() == []


def test_relay_mixed_with_local_recipient_only_local_is_delivered(sims):
    """A remote recipient next to a local one: the local one gets the mail, the
    remote one is refused at RCPT (no later bounce) and never stored."""
    with sims.smtp(source=OUTSIDE_IP) as c:
        c.expect("EHLO mixed.example", 250)
        c.expect("MAIL FROM:<bob@remote.test>", 250)
        c.expect("RCPT TO:<victim@remote.test>", 554, "5.7.1")
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("RCPT TO:<other@[127.0.0.1]>", 554, "5.7.1")
        c.expect("DATA", 354)
        c.send(b"Subject: mixed\r\n\r\nbody\r\n.\r\n")
        assert c.reply()[0] == 250
    files = sims.all_stored_files()
    assert files == sims.mail_files(POSTMASTER) and len(files) == 1
    data = files[0].read_bytes()
    assert b"for <postmaster@example.test>" in data
    assert b"victim" not in data
