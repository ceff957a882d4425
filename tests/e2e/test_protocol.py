"""RFC 5321 dialogue details over raw sockets: sequence, HELO, null sender,
RSET, the Received header's HELO sanitising, and the submission port."""

from __future__ import annotations

from simslib import HOSTNAME, POSTMASTER, RawSMTP, parse_received


def send_message(c: RawSMTP, body: bytes = b"Subject: p\r\n\r\nbody\r\n") -> tuple[int, str]:
    c.expect("DATA", 354)
    c.send(body + b".\r\n")
    return c.reply()


def test_command_sequence(sims):
    with sims.smtp() as c:
        assert c.greeting[0] == 220 and c.greeting[1].startswith(HOSTNAME)
        code, text = c.cmd("MAIL FROM:<a@remote.test>")
        assert (code, text[:5]) == (503, "5.5.1"), "MAIL before EHLO"
        c.expect("EHLO seq.example", 250)
        assert c.cmd(f"RCPT TO:<{POSTMASTER}>")[0] == 503, "RCPT before MAIL"
        assert c.cmd("DATA")[0] == 503, "DATA before MAIL"
        c.expect("MAIL FROM:<a@remote.test>", 250)
        assert c.cmd("MAIL FROM:<b@remote.test>")[0] == 503, "nested MAIL"
        assert c.cmd("DATA")[0] in (503, 554), "DATA without recipients"
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("RSET", 250)
        assert c.cmd("DATA")[0] == 503, "RSET did not clear the transaction"
        c.expect("NOOP", 250)
        c.expect("QUIT", 221)
        assert c.closed_by_server(5)
    assert sims.all_stored_files() == []


def test_helo_gives_smtp_and_null_sender_is_accepted(sims):
    with sims.smtp() as c:
        text = c.expect("HELO old.example", 250)
        assert "\n" not in text, "HELO must get a one-line reply"
        c.expect("MAIL FROM:<>", 250)  # bounces have a null reverse path
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        assert send_message(c)[0] == 250
    fields, _ = parse_received(sims.mail_files()[0].read_bytes())
    assert fields["proto"] == "SMTP" and fields["helo"] == "old.example"


def test_received_header_sanitises_hostile_helo(sims):
    with sims.smtp() as c:
        c.expect("EHLO evil(host)by.forged", 250)
        c.expect("MAIL FROM:<a@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        assert send_message(c)[0] == 250
    stored = sims.mail_files()[0].read_bytes()
    fields, rest = parse_received(stored)
    assert fields["ip"] == "127.0.0.1"
    assert "(" not in fields["helo"] and ")" not in fields["helo"], fields["helo"]
    assert rest == b"Subject: p\r\n\r\nbody\r\n"


def test_size_parameter_boundary(sims_server):
    sims = sims_server({"limits.message_size": 10000})
    with sims.smtp() as c:
        c.expect("EHLO size.example", 250)
        c.expect("MAIL FROM:<a@remote.test> SIZE=10000", 250)
        c.expect("RSET", 250)
        code, text = c.cmd("MAIL FROM:<a@remote.test> SIZE=10001")
        assert (code, text[:5]) == (552, "5.3.4"), (code, text)
        code, text = c.cmd("MAIL FROM:<a@remote.test> SIZE=99999999999999999999999")
        assert code in (501, 552), (code, text)
        code, text = c.cmd("MAIL FROM:<a@remote.test> SIZE=abc")
        assert code == 501, (code, text)


def test_submission_port_requires_auth(sims):
    with RawSMTP(sims.submission_port) as c:
        assert c.greeting[0] == 220
        c.expect("EHLO sub.example", 250)
        code, text = c.cmd(f"MAIL FROM:<{POSTMASTER}>")
        assert (code, text[:5]) == (530, "5.7.0"), (code, text)
        assert c.cmd(f"RCPT TO:<{POSTMASTER}>")[0] in (503, 530)
        assert c.cmd("DATA")[0] in (503, 530)
    assert sims.all_stored_files() == []
