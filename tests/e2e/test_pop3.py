"""POP3 (issue 5, first part): Python's poplib retrieves over STLS and implicit
TLS exactly what SMTP delivered; deletions happen only at QUIT; a second
session on the same mailbox gets [IN-USE]; credentials never in plaintext."""

from __future__ import annotations

import poplib
import socket
import smtplib
import ssl

import pytest


PASSWORD = "pop-secret-2026"
ALICE = "alice@example.test"


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def pop_server(sims_server):
    sims = sims_server({"log.modules.POP3": 4})
    sims.add_account(ALICE, PASSWORD)
    return sims


def deliver(sims, body: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, timeout=10) as smtp:
        smtp.sendmail("bob@remote.test", [ALICE], body)


def stls_login(sims) -> poplib.POP3:
    pop = poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    pop.stls(tls_context())
    pop.user(ALICE)
    pop.pass_(PASSWORD)
    return pop


def test_retrieve_over_stls_is_byte_exact_and_dele_applies_at_quit(pop_server):
    sims = pop_server
    message = b"Subject: first\r\n\r\nline one\r\n.starts with a dot\r\n"
    deliver(sims, message)
    pop = stls_login(sims)
    count, size = pop.stat()
    assert count == 1
    stored = (sims.maildir(ALICE) / "new").iterdir().__next__().read_bytes()
    assert size == len(stored)
    _, lines, octets = pop.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == stored
    assert stored.endswith(message)
    uid = pop.uidl(1).split()[2]
    pop.dele(1)
    pop.quit()
    assert list((sims.maildir(ALICE) / "new").iterdir()) == []
    assert list((sims.maildir(ALICE) / "cur").iterdir()) == []
    assert uid


def test_dropped_connection_deletes_nothing_and_retr_marks_seen(pop_server):
    sims = pop_server
    deliver(sims, b"Subject: keep me\r\n\r\nbody\r\n")
    pop = stls_login(sims)
    pop.retr(1)
    pop.dele(1)
    # Vanish without QUIT (no UPDATE state). poplib's file object keeps the
    # socket open, so shut it down explicitly.
    pop.sock.shutdown(socket.SHUT_RDWR)
    pop.file.close()
    pop.sock.close()
    def still_there():
        return len(list((sims.maildir(ALICE) / "new").iterdir())) == 1
    import time
    deadline = time.time() + 5
    while time.time() < deadline and not still_there():
        time.sleep(0.05)
    assert still_there()
    # The lock is released when the server notices the session is gone.
    sims.wait_for_log(r"logout alice@example\.test: retrieved 0, deleted 0", timeout=10)
    pop = stls_login(sims)
    assert pop.stat()[0] == 1
    pop.retr(1)
    pop.quit()
    assert [p.name.endswith(":2,S") for p in (sims.maildir(ALICE) / "cur").iterdir()] == [True]


def test_second_session_gets_in_use(pop_server):
    sims = pop_server
    first = stls_login(sims)
    second = poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    second.stls(tls_context())
    second.user(ALICE)
    with pytest.raises(poplib.error_proto) as refusal:
        second.pass_(PASSWORD)
    assert b"[IN-USE]" in refusal.value.args[0]
    first.quit()


def test_implicit_tls_and_no_credentials_in_plaintext(pop_server):
    sims = pop_server
    deliver(sims, b"Subject: over 995\r\n\r\nhi\r\n")
    pops = poplib.POP3_SSL("127.0.0.1", sims.pops_port, context=tls_context(), timeout=10)
    pops.user(ALICE)
    pops.pass_(PASSWORD)
    assert pops.stat()[0] == 1
    pops.quit()
    plain = poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    caps = plain.capa()
    assert "STLS" in caps and "USER" not in caps
    with pytest.raises(poplib.error_proto) as refusal:
        plain.user(ALICE)
        plain.pass_(PASSWORD)
    assert b"[AUTH]" in refusal.value.args[0]
    plain.quit()
    assert PASSWORD not in sims.log_text()


def test_repeated_pop3_failures_ban_the_address(sims_server):
    sims = sims_server({"auth.ban_after": 2, "auth.delay_after": 100, "auth.ban": "1h"})
    sims.add_account(ALICE, PASSWORD)
    pop = poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    pop.stls(tls_context())
    pop.user(ALICE)
    with pytest.raises(poplib.error_proto):
        pop.pass_("wrong-1")
    pop.user(ALICE)
    with pytest.raises(poplib.error_proto) as banned:
        pop.pass_("wrong-2")
    assert b"Too many authentication failures" in banned.value.args[0]
    with pytest.raises((poplib.error_proto, EOFError, OSError)):
        pop.noop()  # the banning session is closed
    # A new connection from the same address is refused before the greeting.
    with pytest.raises(poplib.error_proto) as refused:
        poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    assert b"[AUTH]" in refused.value.args[0]
