"""IMAP (issue 14): Python's imaplib against the real binary, over STARTTLS
and implicit TLS, on the Maildirs SMTP delivers to and POP3 reads: logins
only inside TLS, the special-use folders created at first login, FETCH
byte-exact with what was delivered, flags in the file names as Dovecot
writes them, UIDs that survive a restart, APPEND/COPY/MOVE with UIDPLUS
codes, two sessions seeing each other's changes, IDLE told of new mail by
the delivery itself, and hostile input answered with BAD/NO, never a crash."""

from __future__ import annotations

import imaplib
import json
import re
import smtplib
import socket
import ssl
import time

import pytest

from simslib import wait_until

PASSWORD = "imap-secret-2026"
ALICE = "alice@example.test"


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def imap_server(sims_server):
    sims = sims_server({"log.modules.IMAP": 4})
    sims.add_account(ALICE, PASSWORD)
    return sims


def deliver(sims, body: bytes, to: str = ALICE) -> None:
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, timeout=10) as smtp:
        smtp.sendmail("bob@remote.test", [to], body)


def login(sims) -> imaplib.IMAP4:
    imap = imaplib.IMAP4("127.0.0.1", sims.imap_port, timeout=10)
    imap.starttls(tls_context())
    imap.login(ALICE, PASSWORD)
    return imap


def ok(response) -> list:
    typ, data = response
    assert typ == "OK", data
    return data


def test_login_only_inside_tls_and_the_capabilities_say_so(imap_server):
    sims = imap_server
    imap = imaplib.IMAP4("127.0.0.1", sims.imap_port, timeout=10)
    assert "LOGINDISABLED" in imap.capabilities and "STARTTLS" in imap.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
        imap.login(ALICE, PASSWORD)
    imap.starttls(tls_context())
    assert "AUTH=PLAIN" in imap.capabilities and "LOGINDISABLED" not in imap.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.login(ALICE, "wrong")
    imap.login(ALICE, PASSWORD)
    capabilities = ok(imap.capability())[0].decode()
    for extension in ("IMAP4rev2", "IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE", "NAMESPACE", "ESEARCH"):
        assert extension in capabilities
    imap.logout()
    log = sims.wait_for_log(r"login alice@example\.test \(TLS\)")
    assert log
    text = sims.log_text()
    assert PASSWORD not in text, "a password reached the log"
    assert "LOGIN alice@example.test ***" in text


def test_implicit_tls_and_authenticate_plain(imap_server):
    sims = imap_server
    imap = imaplib.IMAP4_SSL("127.0.0.1", sims.imaps_port, ssl_context=tls_context(), timeout=10)
    assert "AUTH=PLAIN" in imap.capabilities
    ok(imap.authenticate("PLAIN", lambda _: f"\0{ALICE}\0{PASSWORD}".encode()))
    ok(imap.select("INBOX"))
    imap.logout()


def test_special_use_folders_are_created_at_first_login_in_dovecot_layout(imap_server):
    sims = imap_server
    imap = login(sims)
    listing = [line.decode() for line in ok(imap.list('""', "*"))]
    names = {line.rsplit(" ", 1)[1].strip('"'): line for line in listing}
    assert set(names) >= {"INBOX", "Sent", "Drafts", "Junk", "Trash", "Archive"}
    for name in ("Sent", "Drafts", "Junk", "Trash", "Archive"):
        assert f"\\{name}" in names[name], names[name]
        assert (sims.maildir(ALICE) / f".{name}" / "cur").is_dir()
        assert (sims.maildir(ALICE) / f".{name}" / "maildirfolder").exists()
    typ, data = imap._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
    typ, data = imap._untagged_response(typ, data, "LIST")
    assert typ == "OK"
    assert sorted(item.decode().rsplit(" ", 1)[1] for item in data if item) == \
        ["Archive", "Drafts", "Junk", "Sent", "Trash"]
    imap.logout()


def test_fetch_is_byte_exact_and_reading_sets_seen_in_the_file_name(imap_server):
    sims = imap_server
    deliver(sims, b"Subject: first\r\nFrom: bob@remote.test\r\n\r\nline one\r\n.starts with a dot\r\n")
    imap = login(sims)
    data = ok(imap.select("INBOX"))
    assert data == [b"1"]
    flags = ok(imap.fetch("1", "(FLAGS RFC822.SIZE)"))[0].decode()
    assert "\\Seen" not in flags
    stored = next((sims.maildir(ALICE) / "cur").iterdir()).read_bytes()
    assert f"RFC822.SIZE {len(stored)}" in flags
    peeked = ok(imap.fetch("1", "(BODY.PEEK[])"))[0][1]
    assert peeked == stored
    assert "\\Seen" not in ok(imap.fetch("1", "(FLAGS)"))[0].decode()
    body = ok(imap.fetch("1", "(BODY[])"))
    assert body[0][1] == stored
    assert "\\Seen" in ok(imap.fetch("1", "(FLAGS)"))[0].decode()
    names = [path.name for path in (sims.maildir(ALICE) / "cur").iterdir()]
    assert len(names) == 1 and names[0].endswith(":2,S"), names
    imap.logout()


def test_append_gives_appenduid_and_uids_survive_a_restart(imap_server):
    sims = imap_server
    imap = login(sims)
    message = b"From: alice@example.test\r\nSubject: draft\r\n\r\nunfinished\r\n"
    typ, data = imap.append("Drafts", "(\\Draft)", imaplib.Time2Internaldate(1765000000), message)
    assert typ == "OK"
    code = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
    assert code, data
    validity, uid = code.groups()
    files = list((sims.maildir(ALICE) / ".Drafts" / "cur").iterdir())
    assert len(files) == 1 and files[0].name.endswith(":2,D"), files
    assert files[0].read_bytes() == message
    assert int(files[0].stat().st_mtime) == 1765000000
    imap.logout()
    sims.stop()
    sims.start()
    imap = login(sims)
    ok(imap.select("Drafts"))
    assert imap.untagged_responses.get("OK") is not None
    status = ok(imap.status("Drafts", "(UIDVALIDITY UIDNEXT MESSAGES)"))[0]
    assert f"UIDVALIDITY {validity.decode()}".encode() in status
    assert b"MESSAGES 1" in status
    fetched = ok(imap.uid("FETCH", uid.decode(), "(FLAGS INTERNALDATE)"))[0].decode()
    assert "\\Draft" in fetched and f"UID {uid.decode()}" in fetched
    imap.logout()


def test_copy_and_move_answer_copyuid_and_move_removes_the_source(imap_server):
    sims = imap_server
    for n in range(3):
        deliver(sims, f"Subject: m{n}\r\n\r\nbody {n}\r\n".encode())
    imap = login(sims)
    ok(imap.select("INBOX"))
    typ, data = imap.uid("COPY", "1:2", "Archive")
    assert typ == "OK"
    # imaplib files a tagged response's code under its name.
    code = imap.response("COPYUID")[1][-1]
    assert re.fullmatch(rb"\d+ 1:2 1:2", code), code
    typ, data = imap.uid("MOVE", "3", "Trash")
    assert typ == "OK", data
    code = imap.response("COPYUID")[1][-1]
    assert re.fullmatch(rb"\d+ 3 1", code), code
    assert ok(imap.select("INBOX")) == [b"2"]
    assert ok(imap.select("Archive")) == [b"2"]
    assert ok(imap.select("Trash")) == [b"1"]
    assert len(list((sims.maildir(ALICE) / ".Trash" / "cur").iterdir())) == 1
    imap.logout()


def test_store_and_expunge_are_seen_by_a_second_session(imap_server):
    sims = imap_server
    for n in range(3):
        deliver(sims, f"Subject: s{n}\r\n\r\nbody\r\n".encode())
    first, second = login(sims), login(sims)
    ok(first.select("INBOX"))
    ok(second.select("INBOX"))
    data = ok(first.store("2", "+FLAGS", "(\\Deleted $Important)"))
    assert b"\\Deleted" in data[0] and b"$Important" in data[0]
    files = sorted(path.name for path in (sims.maildir(ALICE) / "cur").iterdir())
    assert any(name.endswith(":2,Ta") for name in files), files
    assert "0 $Important" in (sims.maildir(ALICE) / "dovecot-keywords").read_text()
    ok(second.noop())
    fetches = second.untagged_responses.get("FETCH", [])
    assert any(b"\\Deleted" in item for item in fetches), second.untagged_responses
    ok(first.expunge())
    ok(second.noop())
    assert second.untagged_responses.get("EXPUNGE") == [b"2"], second.untagged_responses
    assert len(list((sims.maildir(ALICE) / "cur").iterdir())) == 2
    first.logout()
    second.logout()


class RawIMAP:
    """A line-level IMAP client for what imaplib cannot do (IDLE, literals
    over the limit, garbage)."""

    def __init__(self, port: int, tls: bool = True):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = tls_context().wrap_socket(sock) if tls else sock
        self.buffer = b""
        self.greeting = self.line()

    def send(self, data: bytes | str):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self, timeout: float = 10) -> bytes:
        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by server")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def command(self, tag: str, text: str) -> list[bytes]:
        self.send(f"{tag} {text}\r\n")
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(f"{tag} ".encode()):
                return lines


def test_idle_is_told_of_new_mail_by_the_delivery_within_a_second(imap_server):
    sims = imap_server
    raw = RawIMAP(sims.imaps_port)
    assert raw.command("a", f'LOGIN {ALICE} "{PASSWORD}"')[-1].startswith(b"a OK")
    assert raw.command("b", "SELECT INBOX")[-1].startswith(b"b OK")
    raw.send("c IDLE\r\n")
    assert raw.line().startswith(b"+ ")
    started = time.monotonic()
    deliver(sims, b"Subject: pushed\r\n\r\nnew mail\r\n")
    assert raw.line(timeout=5) == b"* 1 EXISTS"
    assert time.monotonic() - started < 2.0
    # An IMAP4rev1 session: the message is \Recent for it (RFC 3501 § 7.3.2).
    assert raw.line() == b"* 1 RECENT"
    raw.send("DONE\r\n")
    assert raw.line().startswith(b"c OK")
    # Flag changes by another session arrive in IDLE too.
    raw.send("d IDLE\r\n")
    assert raw.line().startswith(b"+ ")
    other = login(sims)
    ok(other.select("INBOX"))
    ok(other.store("1", "+FLAGS", "(\\Flagged)"))
    assert raw.line(timeout=5) == b"* 1 FETCH (FLAGS (\\Flagged \\Recent))"
    raw.send("DONE\r\n")
    assert raw.line().startswith(b"d OK")
    other.logout()


def test_bad_input_gets_bad_or_no_and_the_server_stays_up(imap_server):
    sims = imap_server
    raw = RawIMAP(sims.imaps_port)
    assert raw.command("a", f'LOGIN {ALICE} "{PASSWORD}"')[-1].startswith(b"a OK")
    assert raw.command("b", "FETCH 1 FLAGS")[-1].startswith(b"b BAD")
    assert raw.command("c", "SELECT INBOX")[-1].startswith(b"c OK")
    assert raw.command("d", "FETCH 99 FLAGS")[-1].startswith(b"d BAD")
    assert raw.command("e", "FETCH 1:* (FLAGS")[-1].startswith(b"e BAD")
    assert raw.command("f", "SELECT Nowhere")[-1].startswith(b"f NO [NONEXISTENT]")
    assert raw.command("g", "CREATE Projects/2026")[-1].startswith(b"g OK")
    assert (sims.maildir(ALICE) / ".Projects.2026" / "cur").is_dir()
    assert raw.command("h", "RENAME Projects Work")[-1].startswith(b"h OK")
    assert (sims.maildir(ALICE) / ".Work.2026" / "cur").is_dir()
    assert raw.command("i", "DELETE Work")[-1].startswith(b"i NO")
    assert raw.command("j", "DELETE Work/2026")[-1].startswith(b"j OK")
    # A synchronizing literal over the limit is refused before any of it is sent.
    raw.send("k APPEND INBOX {999999999999}\r\n")
    assert raw.line().startswith(b"k NO [TOOBIG]")
    assert raw.command("m", "NOOP")[-1].startswith(b"m OK")
    # An overlong line ends the session: what follows it cannot be framed safely.
    raw.send(b"l " + b"X" * 20000 + b"\r\n")
    assert raw.line().startswith(b"l BAD")
    assert raw.line().startswith(b"* BYE")
    with pytest.raises(ConnectionError):
        raw.line(timeout=5)
    # Before login a literal is at most a user name or a password.
    fresh = RawIMAP(sims.imaps_port)
    fresh.send("a LOGIN {100000}\r\n")
    assert fresh.line().startswith(b"a NO [TOOBIG]")
    assert fresh.command("b", "LOGOUT")[0].startswith(b"* BYE")
    assert sims.running


def test_audit_counts_imap_logins_and_failures_apart_from_pop3(imap_server):
    sims = imap_server
    imap = imaplib.IMAP4("127.0.0.1", sims.imap_port, timeout=10)
    imap.starttls(tls_context())
    with pytest.raises(imaplib.IMAP4.error):
        imap.login(ALICE, "not the password")
    imap.login(ALICE, PASSWORD)
    imap.logout()
    sims.wait_for_log(r"login alice@example\.test \(TLS\)")
    result = sims.cli("audit", "--format", "json", check=True)
    counts = json.loads(result.stdout)["counts"]
    assert (counts["imap_logins"], counts["pop_logins"], counts["auth_failures"]) == (1, 0, 1), counts
    text = sims.cli("audit", check=True).stdout
    assert re.search(r"mailbox logins \(POP3 / IMAP\)\s+1\s+0 / 1", text), text


def test_quota_is_enforced_at_rcpt_with_452_and_at_append(sims_server):
    sims = sims_server({"storage.quota": 2048, "log.modules.IMAP": 4, "log.modules.SMTP": 3})
    sims.add_account(ALICE, PASSWORD)
    deliver(sims, b"Subject: big\r\n\r\n" + (b"x" * 60 + b"\r\n") * 50)
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("bob@remote.test")
        code, text = smtp.rcpt(ALICE)
        assert (code, text[:5]) == (452, b"4.2.2"), (code, text)
    sims.wait_for_log(r"<alice@example\.test> refused: mailbox of alice@example\.test is over its quota")
    imap = login(sims)
    typ, data = imap.getquotaroot("INBOX")
    assert typ == "OK"
    assert any(b'(STORAGE 3 2)' in item for item in data[1]), data
    typ, data = imap.append("INBOX", None, None, b"Subject: more\r\n\r\nmore\r\n")
    assert typ == "NO" and b"OVERQUOTA" in data[0], (typ, data)
    imap.logout()


def test_sessions_per_account_are_limited(sims_server):
    sims = sims_server({"imap.max_sessions_per_account": 2})
    sims.add_account(ALICE, PASSWORD)
    first, second = login(sims), login(sims)
    third = imaplib.IMAP4("127.0.0.1", sims.imap_port, timeout=10)
    third.starttls(tls_context())
    with pytest.raises(imaplib.IMAP4.error, match=r"\[LIMIT\]"):
        third.login(ALICE, PASSWORD)
    first.logout()
    # A session that ends frees its place.
    wait_until(lambda: _logs_in(third), timeout=5, what="a login after one session ended")
    second.logout()
    third.logout()


def _logs_in(imap) -> bool:
    try:
        imap.login(ALICE, PASSWORD)
        return True
    except imaplib.IMAP4.error:
        return False


def test_rfc822_size_is_exactly_what_fetch_sends(imap_server):
    """For a message APPENDed without a last line end, and for a file put in
    the Maildir by another program with bare LF line ends: RFC822.SIZE is
    the length of BODY[] (clients that read by size would cut or hang)."""
    sims = imap_server
    imap = login(sims)
    ok(imap.select("INBOX"))
    imap.append("INBOX", None, None, b"Subject: unterminated\r\n\r\nno line end")
    (sims.maildir(ALICE) / "cur" / "1700000000.M1P1.other:2,").write_bytes(b"Subject: lf\n\nbare\nline feeds\n")
    ok(imap.noop())
    ok(imap.select("INBOX"))
    for number in (1, 2):
        data = ok(imap.fetch(str(number), "(RFC822.SIZE BODY.PEEK[])"))
        size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
        assert size == len(data[0][1]), (number, size, data[0][1])
        assert b"\n" not in data[0][1].replace(b"\r\n", b"")
    imap.logout()


def test_recent_belongs_to_the_first_imap4rev1_session_that_sees_the_mail(imap_server):
    """RFC 3501 § 2.3.2: a new message is \\Recent for exactly one session,
    the first to see it (SIMS: the one that moves it from new/ to cur/);
    IMAP4rev2 sessions (ENABLE IMAP4rev2) never see it."""
    sims = imap_server
    deliver(sims, b"Subject: one\r\n\r\n1\r\n")
    deliver(sims, b"Subject: two\r\n\r\n2\r\n")
    first = login(sims)
    ok(first.select("INBOX"))
    assert first.untagged_responses.get("RECENT") == [b"2"]
    assert "\\Recent" in ok(first.fetch("1", "(FLAGS)"))[0].decode()
    assert ok(first.search(None, "RECENT"))[0] == b"1 2"
    assert ok(first.search(None, "NEW"))[0] == b"1 2"
    second = login(sims)
    ok(second.select("INBOX"))
    assert second.untagged_responses.get("RECENT") == [b"0"]
    assert ok(second.search(None, "RECENT"))[0] == b""
    assert ok(second.search(None, "OLD"))[0] == b"1 2"
    # New mail during the first session's selection is recent for it.
    deliver(sims, b"Subject: three\r\n\r\n3\r\n")
    ok(first.noop())
    assert first.untagged_responses.get("RECENT", [b""])[-1] == b"3", first.untagged_responses
    first.logout()
    second.logout()
