"""Delivery with real clients: swaks (plain, STARTTLS + PIPELINING) and smtplib."""

from __future__ import annotations

import smtplib

import pytest

from simslib import (DOMAIN, HOSTNAME, POSTMASTER, files_with_id, parse_received, queue_id, swaks,
                     swaks_sent_data, wait_until)

ALICE = f"alice@{DOMAIN}"


def compose(tmp_path, name: str, body: bytes):
    path = tmp_path / name
    path.write_bytes(body)
    return path


@pytest.mark.parametrize("recipient", [POSTMASTER, ALICE])
def test_swaks_plain_delivery_is_byte_exact(sims, tmp_path, recipient):
    if recipient == ALICE:
        sims.add_account(ALICE)
    # No trailing CRLF: swaks then adds exactly one CRLF before the final dot.
    message = (b"From: Sender <sender@remote.test>\r\n"
               b"To: <" + recipient.encode() + b">\r\n"
               b"Subject: byte exact\r\n"
               b"Message-ID: <exact-1@remote.test>\r\n"
               b"\r\n"
               b"first line\r\n"
               b".a line that starts with a dot\r\n"
               b"..two dots\r\n"
               b"\ttab and trailing space \r\n"
               b"\r\n"
               b"last line")
    data_file = compose(tmp_path, "msg.eml", message)
    result = swaks("--server", f"127.0.0.1:{sims.smtp_port}", "--helo", "client.example",
                   "--from", "sender@remote.test", "--to", recipient, "--data", f"@{data_file}")
    assert result.returncode == 0, result.stdout + result.stderr
    transcript = result.stdout + result.stderr
    assert "<-  250 2.0.0 Message accepted" in transcript, transcript
    expected = message + b"\r\n"
    assert swaks_sent_data(transcript) == expected, "swaks did not send what the test composed"
    qid = queue_id(transcript.split("<-  250 2.0.0 Message accepted", 1)[1].splitlines()[0])

    files = sims.mail_files(recipient)
    assert len(files) == 1, files
    assert files_with_id(files, qid) == files
    stored = files[0].read_bytes()
    fields, rest = parse_received(stored)
    assert rest == expected
    assert fields["helo"] == "client.example"
    assert fields["ip"] == "127.0.0.1"
    assert fields["by"] == HOSTNAME
    assert fields["proto"] == "ESMTP"
    assert fields["id"] == qid
    assert fields["tls"] is None
    assert fields["for"] == recipient
    # Dovecot's W= (the size with CRLF line ends) is the file's size: SMTP text has only CRLF.
    assert files[0].name.endswith(f",S={len(stored)},W={len(stored)}")
    # Nothing delivered to anybody else, and tmp/ is clean.
    other = POSTMASTER if recipient == ALICE else ALICE
    assert sims.mail_files(other) == []
    assert sims.mail_files(recipient, "tmp") == []
    assert f"[{qid}] 127.0.0.1 <{recipient}> delivered: local mailbox {recipient}" in sims.log_text()


def test_swaks_starttls_pipelining(sims):
    result = swaks("--server", f"127.0.0.1:{sims.smtp_port}", "--helo", "tls.client.example",
                   "--from", "sender@remote.test", "--to", POSTMASTER, "--tls", "--pipeline",
                   "--header", "Subject: over TLS", "--body", "secret body")
    transcript = result.stdout + result.stderr
    assert result.returncode == 0, transcript
    assert "STARTTLS" in transcript
    assert "<~  250 2.0.0 Message accepted" in transcript, transcript
    # swaks --pipeline really pipelined: MAIL, RCPT, DATA were sent before the replies.
    tls_part = transcript.split("~> MAIL FROM", 1)[1]
    assert tls_part.index("~> DATA") < tls_part.index("<~  250"), transcript
    files = sims.mail_files()
    assert len(files) == 1
    fields, rest = parse_received(files[0].read_bytes())
    assert fields["proto"] == "ESMTPS"
    assert fields["tls"] and fields["tls"].startswith("TLSv1."), fields
    assert fields["helo"] == "tls.client.example"
    assert fields["for"] == POSTMASTER
    assert rest == swaks_sent_data(transcript)
    assert b"secret body" in rest


def test_smtplib_multi_recipient_alias_8bit_and_dots(sims):
    sims.add_account(ALICE)
    sims.cli("alias", "add", f"sales@{DOMAIN}", ALICE, check=True)
    body = ("Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Grüße aus Köln – ünïcödé\r\n"
            ".leading dot\r\n"
            "..two leading dots\r\n"
            ".\r\n"
            "after a lone dot line\r\n").encode("utf-8") + b"raw latin1 \xe9\xff\r\n"
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, local_hostname="py.client.example", timeout=15) as s:
        code, text = s.ehlo()
        assert code == 250
        assert s.has_extn("8bitmime") and s.has_extn("smtputf8") and s.has_extn("pipelining")
        assert s.mail("sender@remote.test", ["BODY=8BITMIME"])[0] == 250
        for rcpt in (ALICE, POSTMASTER, f"sales@{DOMAIN}"):
            assert s.rcpt(rcpt)[0] == 250, rcpt
        code, text = s.data(body)  # smtplib dot-stuffs
        assert code == 250, text
        qid = queue_id(text.decode())
    alice_files = sims.mail_files(ALICE)
    pm_files = sims.mail_files(POSTMASTER)
    assert len(alice_files) == 1, f"alice (direct + alias) must get exactly one copy: {alice_files}"
    assert len(pm_files) == 1
    assert files_with_id(alice_files, qid) == alice_files
    for f in alice_files + pm_files:
        fields, rest = parse_received(f.read_bytes())
        assert fields["for"] is None, "several recipients: the Received header must not name one"
        assert fields["proto"] == "ESMTP"
        assert fields["helo"] == "py.client.example"
        assert rest == body, "stored text must be byte-identical, 8-bit and dot-unstuffed"


def test_smtputf8_addresses(sims):
    utf8_user = f"δοκιμή@{DOMAIN}"
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, timeout=15) as s:
        s.ehlo("utf8.client.example")
        s.command_encoding = "utf-8"
        # Without SMTPUTF8 a non-ASCII address is refused with 553 5.6.7 (RFC 6531 § 3.5).
        assert s.mail("sender@remote.test")[0] == 250
        code, text = s.rcpt(utf8_user)
        assert (code, text[:5]) == (553, b"5.6.7"), (code, text)
        s.rset()
        s.command_encoding = "utf-8"  # smtplib's rset() resets it to ascii
        code, text = s.mail("προς@remote.test")
        assert (code, text[:5]) == (553, b"5.6.7"), (code, text)
        s.rset()
        s.command_encoding = "utf-8"
        # With SMTPUTF8: the sender is fine; the recipient is just not an account.
        assert s.mail("αποστολέας@remote.test", ["SMTPUTF8"])[0] == 250
        code, text = s.rcpt(utf8_user)
        assert (code, text[:5]) == (550, b"5.1.1"), (code, text)
        assert s.rcpt(POSTMASTER)[0] == 250
        message = "From: αποστολέας@remote.test\r\nSubject: ελληνικά\r\n\r\nκείμενο\r\n".encode()
        code, text = s.data(message)
        assert code == 250, text
    files = sims.mail_files()
    assert len(files) == 1
    _, rest = parse_received(files[0].read_bytes())
    assert rest == message
    assert sims.all_stored_files() == files


def test_dot_stuffing_raw(sims):
    """A raw client sends dot-stuffed lines; the store holds them unstuffed."""
    with sims.smtp() as c:
        c.expect("EHLO raw.example", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: dots\r\n\r\n..\r\n...\r\n..x\r\n.y\r\nend\r\n.\r\n")
        code, text = c.reply()
        assert code == 250, text
        c.expect("QUIT", 221)
    files = wait_until(lambda: sims.mail_files(), 5, what="stored message")
    _, rest = parse_received(files[0].read_bytes())
    assert rest == b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\ny\r\nend\r\n"
