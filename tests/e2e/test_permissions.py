"""Abuse of permissions and bans (issue 11), against the real binary:
account names that shared a Maildir or acted as sender patterns, a login
that forgave an address's failures, bans that left open sessions alone and
missed IPv4-mapped spellings, the null sender after AUTH, POP-before-SMTP
windows that outlived a password change, client networks covering every
IPv4-mapped client, and forged Authentication-Results in four spellings."""

from __future__ import annotations

import base64
import poplib
import socket
import sqlite3
import ssl

from simslib import (HOSTNAME, POSTMASTER, RawSMTP, compose, dot_stuff, peers, queue_overrides, set_config,
                     set_routes, wait_until)

assert peers  # the fixture, imported for pytest

ALICE = "alice@example.test"
PASSWORD = "permissions-and-bans-2026"
OUTSIDE = "127.0.0.9"


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class POP3From(poplib.POP3_SSL):
    """poplib over implicit TLS from a chosen loopback address."""

    def __init__(self, port, source):
        self._source = source
        super().__init__("127.0.0.1", port, timeout=10, context=tls_context())

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))
        return self.context.wrap_socket(sock, server_hostname=self.host)


def pop_login(sims, source: str, user: str = ALICE, password: str = PASSWORD) -> str:
    """'ok', 'refused' (-ERR to PASS) or 'closed' (the server hung up)."""
    try:
        pop = POP3From(sims.pops_port, source)
    except (OSError, poplib.error_proto):
        return "closed"
    try:
        pop.user(user)
        pop.pass_(password)
        pop.quit()
        return "ok"
    except poplib.error_proto as error:
        return "closed" if b"closing" in error.args[0] else "refused"
    except (OSError, EOFError):
        return "closed"


def smtp_auth(sims, source: str = OUTSIDE, port: int | None = None) -> RawSMTP:
    """An SMTP session after STARTTLS and a successful AUTH PLAIN as alice."""
    c = RawSMTP(port or sims.submission_port, source=source)
    c.expect("EHLO client.test", 250)
    c.expect("STARTTLS", 220)
    c.starttls()
    c.expect("EHLO client.test", 250)
    token = base64.b64encode(f"\0{ALICE}\0{PASSWORD}".encode()).decode()
    c.expect(f"AUTH PLAIN {token}", 235)
    return c


def closed(session: RawSMTP) -> bool:
    try:
        return session.closed_by_server()
    except (ssl.SSLError, OSError):
        return True  # a TLS session ends with close_notify or a reset


def server_with_alice(sims_server, **overrides):
    sims = sims_server(overrides, start=False)
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)
    return sims


# -- 1. account names -------------------------------------------------------

def test_unsafe_account_and_alias_names_are_refused(sims_server):
    sims = sims_server(start=False)
    sims.add_account(ALICE, PASSWORD)
    for name in ("bob/x@example.test", "bob//x@example.test", "*@example.test", "bob+tag@example.test",
                 "..@example.test", ".bob@example.test"):
        result = sims.cli("account", "add", name, "--password-stdin", input="pw-for-a-bad-name\n")
        assert result.returncode != 0, f"{name} accepted: {result.stdout}"
        output = result.stdout + result.stderr
        # Dot-atom syntax already refused `..` and a leading dot; the rest are new.
        assert "cannot be an account or alias" in output or "not a valid address" in output, output
        if "/" in name or "*" in name:
            assert "cannot be an account or alias: its local part may hold only letters" in output, output
    for alias in ("*@example.test", "*", "bob/x@example.test"):
        result = sims.cli("alias", "add", alias, ALICE)
        assert result.returncode != 0, f"alias {alias} accepted: {result.stdout}"
    accounts = sims.cli("account", "list", check=True).stdout
    assert "bob" not in accounts and "*" not in accounts, accounts
    assert not (sims.data / "mail" / "example.test" / "bob").exists()


def test_names_from_an_older_database_are_unusable_and_named_at_startup(sims_server):
    """`bob/x` and `bob//x`, written by an older version, shared one Maildir;
    an alias `*@example.test` let alice send as anyone. Now: refused as unknown
    users, no login, no sending, and the startup log names each one."""
    sims = sims_server(start=False)
    sims.add_account(ALICE, PASSWORD)
    database = sqlite3.connect(sims.data / "sims.sqlite")
    [stored_hash] = database.execute("SELECT passwordHash FROM account WHERE address = ?", (ALICE,)).fetchone()
    for name in ("bob/x@example.test", "bob//x@example.test"):
        database.execute("INSERT INTO account (address, domain, passwordHash, created) VALUES (?, 'example.test', ?, "
                         "'2026-01-01 00:00:00.000')", (name, stored_hash))
    database.execute("INSERT INTO alias (address, target) VALUES ('*@example.test', ?)", (ALICE,))
    database.commit()
    database.close()
    sims.start(new_ports=False)
    for entry in ("account bob/x@example.test", "account bob//x@example.test", "alias *@example.test"):
        sims.wait_for_log(rf"{entry.replace('*', '[*]')} is unusable: its name breaks the rule for local parts")

    with sims.smtp(source=OUTSIDE) as c:
        c.expect("EHLO client.test", 250)
        c.expect("MAIL FROM:<someone@remote.test>", 250)
        for name in ("bob/x@example.test", "bob//x@example.test"):
            code, _ = c.cmd(f"RCPT TO:<{name}>")
            assert code == 550, f"{name} still receives mail"
    assert pop_login(sims, OUTSIDE, user="bob/x@example.test") == "refused"
    with smtp_auth(sims) as c:
        code, text = c.cmd("MAIL FROM:<ceo@example.test>")
        assert (code, text[:5]) == (553, "5.7.1"), "an alias named *@example.test is not a pattern"
    assert not (sims.data / "mail" / "example.test" / "bob").exists()


# -- 2. failures, bans, address spellings ------------------------------------

def test_a_successful_login_does_not_forgive_failures(sims_server):
    """27 failures interleaved with successes used to go unbanned."""
    sims = server_with_alice(sims_server, **{"auth.ban_after": 4, "auth.delay_after": 100, "auth.lock_after": 100})
    outcomes = []
    for round in range(4):
        outcomes.append(pop_login(sims, OUTSIDE, password=f"guess-{round}"))
        if outcomes[-1] == "closed":
            break
        assert pop_login(sims, OUTSIDE) == "ok", "the right password works until the ban"
    assert outcomes[-1] == "closed", outcomes
    assert pop_login(sims, OUTSIDE) == "closed", "banned: even the right password is refused at connect"
    sims.wait_for_log(r"banned 127\.0\.0\.9 for ")


def test_a_ban_ends_the_sessions_already_open(sims_server):
    sims = server_with_alice(sims_server, **{"auth.ban_after": 3, "auth.delay_after": 100})
    smtp = smtp_auth(sims)  # an authenticated session, idle
    port25 = RawSMTP(sims.smtp_port, source=OUTSIDE)
    port25.expect("EHLO client.test", 250)
    pop = socket.create_connection(("127.0.0.1", sims.pop_port), timeout=10, source_address=(OUTSIDE, 0))
    assert pop.recv(512).startswith(b"+OK")
    bystander = RawSMTP(sims.smtp_port, source="127.0.0.10")
    bystander.expect("EHLO bystander.test", 250)
    try:
        for round in range(3):
            pop_login(sims, OUTSIDE, password=f"guess-{round}")
        sims.wait_for_log(r"banned 127\.0\.0\.9 for ")
        for session in (smtp, port25):
            code, text = session.reply(timeout=10)
            assert (code, text[:5]) == (421, "4.7.0"), (code, text)
            assert closed(session), "the banned session is closed"
        pop.settimeout(10)
        assert pop.recv(512).startswith(b"-ERR [AUTH]")
        assert pop.recv(512) == b"", "the POP3 session is closed"
        bystander.expect("NOOP", 250)  # another address is untouched
    finally:
        for c in (smtp, port25, bystander):
            c.close()
        pop.close()
    sims.wait_for_log(r"closing session: address banned", count=3)


def test_ipv4_mapped_spelling_is_the_same_client(sims_server):
    """POP3 on an IPv6 socket bound to ::ffff:127.0.0.1 sees IPv4 clients as
    ::ffff:127.0.0.9; SMTP on 127.0.0.1 sees 127.0.0.9. One client: a ban from
    failures on one holds on the other, and connections_per_ip counts both."""
    sims = sims_server({"auth.ban_after": 2, "auth.delay_after": 100, "limits.connections_per_ip": 1,
                        "pop3.allow_plaintext": True}, start=False)
    set_config(sims, {"pop3.listen": [f"[::ffff:127.0.0.1]:{sims.pop_port}"]})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)

    # connections_per_ip = 1 across both spellings
    pop = socket.create_connection(("127.0.0.1", sims.pop_port), timeout=10, source_address=(OUTSIDE, 0))
    assert pop.recv(512).startswith(b"+OK")
    with RawSMTP(sims.smtp_port, source=OUTSIDE) as c:
        code, text = c.greeting
        assert (code, text[:5]) == (421, "4.7.0"), "the mapped POP3 session counts for 127.0.0.9"
    # failures over the mapped listener ban 127.0.0.9 on SMTP too
    for round in range(2):
        pop.sendall(f"USER {ALICE}\r\n".encode())
        pop.recv(512)
        pop.sendall(f"PASS guess-{round}\r\n".encode())
        pop.recv(512)
    pop.close()
    sims.wait_for_log(r"banned 127\.0\.0\.9 for ")
    with RawSMTP(sims.smtp_port, source=OUTSIDE) as c:
        code, text = c.greeting
        assert (code, text[:5]) == (421, "4.7.0") and "authentication failures" in text, (code, text)


# -- 3. null sender, POP-before-SMTP, client networks, forged headers ----------

def test_null_sender_is_refused_after_auth(sims_server, peers):
    sink = peers.smtp_sink("127.0.0.1")
    sims = sims_server(queue_overrides(None, None, networks=[], retry=["1h"]), start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)
    for port in (sims.submission_port, sims.smtp_port):
        with smtp_auth(sims, port=port) as c:
            code, text = c.cmd("MAIL FROM:<>")
            assert (code, text[:5]) == (553, "5.7.1"), (code, text)
            assert "null sender" in text
            c.expect(f"MAIL FROM:<{ALICE}>", 250)
    # A bounce from another server (no AUTH) still uses <>.
    with sims.smtp(source=OUTSIDE) as c:
        c.expect("EHLO other-mta.test", 250)
        c.expect("MAIL FROM:<>", 250)
    assert sink.files() == []


def test_pop_before_smtp_window_closes_on_passwd_and_remove(sims_server, peers):
    sink = peers.smtp_sink()
    overrides = queue_overrides(networks=[])
    overrides.update({"relay.pop_before_smtp": True, "relay.pop_before_smtp_window": "10m"})
    sims = sims_server(overrides, start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)

    def relay_code() -> int:
        with sims.smtp(source=OUTSIDE) as c:
            c.expect("EHLO roaming.test", 250)
            c.expect(f"MAIL FROM:<{ALICE}>", 250)
            return c.cmd("RCPT TO:<user@remote.test>")[0]

    assert pop_login(sims, OUTSIDE) == "ok"
    assert relay_code() == 250
    sims.cli("account", "passwd", ALICE, "--password-stdin", input="a-new-password-2026\n", check=True)
    assert relay_code() == 554, "the window of the old password is closed"
    assert pop_login(sims, OUTSIDE, password="a-new-password-2026") == "ok"
    assert relay_code() == 250
    sims.cli("account", "remove", ALICE, check=True)
    assert relay_code() == 554, "the window of a removed account is closed"


def test_config_check_warns_about_client_networks_covering_ipv4_mapped_clients(sims_server):
    import subprocess
    from simslib import SIMS_BINARY
    sims = sims_server(start=False)
    for network, words in (("::/80", "IPv4-mapped"), ("2001:db8::/32", "wider than a /48")):
        set_config(sims, {"relay.client_networks": [network], "smtp.listen": ["127.0.0.1:2525"]})
        result = subprocess.run([SIMS_BINARY, "config", "check", "--data", str(sims.data)],
                                capture_output=True, text=True, timeout=30)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "warning" in output and network in output and words in output, output


FORGED = [
    "Authentication-Results : mx.example.test; spf=pass smtp.mailfrom=ceo@example.test",
    'Authentication-Results: "mx.example.test"; spf=pass smtp.mailfrom=ceo@example.test',
    "Authentication-Results: (a \\) comment) mx.example.test; spf=pass smtp.mailfrom=ceo@example.test",
    "Authentication-Results: mx.example.test.; spf=pass smtp.mailfrom=ceo@example.test",
]


def test_forged_authentication_results_are_removed_in_every_spelling(sims_server):
    assert HOSTNAME == "mx.example.test"
    sims = sims_server()
    headers = "".join(f"{field}\r\n" for field in FORGED) + "Authentication-Results: other.test; spf=pass\r\n"
    with sims.smtp(source=OUTSIDE) as c:
        c.expect("EHLO client.test", 250)
        c.expect("MAIL FROM:<someone@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(compose("forged", extra=headers, sender="someone@remote.test", to=POSTMASTER)) + b".\r\n")
        assert c.reply()[0] == 250
    wait_until(lambda: sims.mail_files(), timeout=10, what="the message stored")
    [stored] = sims.mail_files()
    content = stored.read_bytes()
    for field in FORGED:
        assert field.encode() not in content, field
    assert b"smtp.mailfrom=ceo@example.test" not in content
    assert b"Authentication-Results: other.test; spf=pass" in content, "others' results stay"
