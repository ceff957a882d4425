"""POP3 with real clients (issue 5): mpop and fetchmail retrieve what SMTP
delivered, over plaintext (only with `pop3.allow_plaintext`), STLS and implicit
TLS, byte for byte; without the permission their plaintext login is refused.
Python dialogues cover what the clients cannot show: TOP's exact content, UIDL
stable across sessions and restarts, and STLS command injection.

The clients verify SIMS's self-signed certificate (created by `sims init`):
it is their trust file, and the expected name is the certificate's
(mx.example.test) because the clients connect to 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from simslib import HOSTNAME, STOP_DEADLINE, SimsServer, parse_received, require_tool, wait_until

PASSWORD = "pop-clients-2026"
ALICE = "alice@example.test"
CLIENT_DEADLINE = 60

# Every line ends in CRLF (no bare LF), so the clients' conversion to the
# local LF convention is the only change between SIMS and the delivered file.
MESSAGES = [
    b"From: bob@remote.test\r\nTo: alice@example.test\r\nSubject: first\r\n\r\n"
    b"From here on, a line that mbox would quote.\r\n.a line starting with a dot\r\n..two dots\r\n.\r\nend\r\n",
    b"From: carol@remote.test\r\nSubject: second\r\nX-Long: " + b"x" * 900 + b"\r\n\r\n"
    + b"".join(b"body line %03d\r\n" % i for i in range(200)),
]


def deliver(sims, message: bytes, recipient: str = ALICE) -> None:
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, timeout=10) as smtp:
        smtp.sendmail("bob@remote.test", [recipient], message)


def mailbox_files(sims) -> list[Path]:
    return sorted(sims.mail_files(ALICE, "new") + sims.mail_files(ALICE, "cur"))


def deliver_all(sims) -> list[bytes]:
    """Delivers MESSAGES over SMTP; returns the stored files, after checking
    that SIMS added exactly one Received header on top of what was sent."""
    for message in MESSAGES:
        deliver(sims, message)
    stored = [p.read_bytes() for p in wait_until(lambda: len(mailbox_files(sims)) == len(MESSAGES) and mailbox_files(sims),
                                                  10, what="delivery")]
    assert sorted(parse_received(s)[1] for s in stored) == sorted(MESSAGES)
    for s in stored:
        assert parse_received(s)[0]["for"] == ALICE
    return stored


# --------------------------------------------------------------------------
# Two servers for the whole module (init and the password hash take seconds):
# "strict" has the default configuration (no plaintext credentials),
# "permissive" has pop3.allow_plaintext = true. Every test starts with an
# empty Maildir for ALICE.
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(tmp_path_factory, sims_binary):
    root = tmp_path_factory.mktemp("pop3-clients")
    started = {}
    try:
        for name, plaintext in (("strict", False), ("permissive", True)):
            sims = SimsServer(root / name, {"pop3.allow_plaintext": plaintext, "log.modules.POP3": 4})
            sims.init()
            sims.configure()
            started[name] = sims
            sims.start(new_ports=False)
            sims.add_account(ALICE, PASSWORD)
        yield started
    finally:
        for sims in started.values():
            if sims.running():
                try:
                    sims.stop(signal.SIGTERM, timeout=STOP_DEADLINE)
                except AssertionError:
                    pass
            sims.kill()


def fresh(sims: SimsServer) -> SimsServer:
    """Empties ALICE's Maildir and marks the log position for wait_for_log."""
    for path in mailbox_files(sims):
        path.unlink()
    sims._log_offset = sims.log_path.stat().st_size
    return sims


@pytest.fixture
def strict(servers) -> SimsServer:
    return fresh(servers["strict"])


@pytest.fixture
def permissive(servers) -> SimsServer:
    return fresh(servers["permissive"])


# --------------------------------------------------------------------------
# The clients
# --------------------------------------------------------------------------


def run_mpop(sims, mode: str, home: Path) -> subprocess.CompletedProcess:
    """mpop with an rc file (0600), every message piped to `cat` into out/."""
    mpop = require_tool("mpop", ["/usr/bin/mpop"])
    out = home / "out"
    out.mkdir(parents=True, exist_ok=True)
    tls = {
        "plain": ["tls off"],
        "stls": ["tls on", "tls_starttls on"],
        "tls": ["tls on", "tls_starttls off"],
    }[mode]
    rc = home / "mpoprc"
    rc.write_text("\n".join([
        "account default",
        "host 127.0.0.1",
        f"port {sims.pops_port if mode == 'tls' else sims.pop_port}",
        *tls,
        f"tls_trust_file {sims.data / 'tls' / 'cert.pem'}",
        f"tls_host_override {HOSTNAME}",
        "auth user",
        f"user {ALICE}",
        f"password {PASSWORD}",
        "keep off",
        "received_header off",
        f"uidls_file {home / 'uidls'}",
        f'delivery mda "cat > {out}/msg.$$"',
        "timeout 20",
    ]) + "\n")
    rc.chmod(0o600)
    return subprocess.run([mpop, "-C", str(rc), "--debug"], capture_output=True, text=True, timeout=CLIENT_DEADLINE,
                          env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL)


def run_fetchmail(sims, mode: str, home: Path) -> subprocess.CompletedProcess:
    """fetchmail in the foreground (-N), rc file 0600, ids in the temp HOME,
    every message to an MDA (`cat` into out/); `invisible` keeps it from
    adding its own Received header, `no rewrite` from touching addresses."""
    fetchmail = require_tool("fetchmail", ["/usr/bin/fetchmail"])
    out = home / "out"
    out.mkdir(parents=True, exist_ok=True)
    cert = sims.data / "tls" / "cert.pem"
    tls = {
        "plain": "sslproto ''",
        "stls": f"sslproto 'TLS1.2+' sslcertck sslcertfile '{cert}' sslcommonname '{HOSTNAME}'",
        "tls": f"ssl sslcertck sslcertfile '{cert}' sslcommonname '{HOSTNAME}'",
    }[mode]
    rc = home / "fetchmailrc"
    rc.write_text(
        "set no syslog\nset invisible\n"
        f"poll 127.0.0.1 protocol pop3 port {sims.pops_port if mode == 'tls' else sims.pop_port} auth password\n"
        f"  user '{ALICE}' there with password '{PASSWORD}' is 'nobody' here\n"
        f"  {tls} no keep no rewrite\n"
        f"  mda 'cat > {out}/msg.$$'\n")
    rc.chmod(0o600)
    return subprocess.run(
        [fetchmail, "-f", str(rc), "-N", "--nosyslog", "-v", "-i", str(home / "fetchids"),
         "--pidfile", str(home / "fetchmail.pid")],
        capture_output=True, text=True, timeout=CLIENT_DEADLINE, env={**os.environ, "HOME": str(home)},
        stdin=subprocess.DEVNULL)


CLIENTS = {"mpop": run_mpop, "fetchmail": run_fetchmail}


def delivered(home: Path) -> list[bytes]:
    return sorted(p.read_bytes() for p in (home / "out").iterdir())


@pytest.mark.parametrize("mode", ["plain", "stls", "tls"])
@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_client_retrieves_exactly_what_smtp_delivered(servers, tmp_path, client, mode):
    # Plaintext needs the operator's explicit permission; the TLS modes run
    # on the default configuration (plaintext refused).
    sims = fresh(servers["permissive" if mode == "plain" else "strict"])
    stored = deliver_all(sims)
    home = tmp_path / client
    result = CLIENTS[client](sims, mode, home)
    assert result.returncode == 0, f"{client} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    # Both clients hand the message over with local (LF) line ends; all else
    # must be the bytes SMTP delivered: SIMS's Received header + what was sent.
    assert delivered(home) == sorted(s.replace(b"\r\n", b"\n") for s in stored)
    # The clients deleted what they fetched (DELE, then QUIT's UPDATE state).
    wait_until(lambda: mailbox_files(sims) == [], 10, what="mailbox emptied by the client's DELE+QUIT")
    log = sims.wait_for_log(r"logout alice@example\.test: retrieved \d+, deleted 2")
    assert log
    dialogue = sims.log_since_start()
    assert PASSWORD not in dialogue
    tls_seen = "TLS established" in dialogue
    assert tls_seen == (mode == "stls"), dialogue[-2000:]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_plaintext_login_refused_without_permission(strict, tmp_path, client):
    sims = strict
    stored = deliver_all(sims)
    home = tmp_path / client
    result = CLIENTS[client](sims, "plain", home)
    assert result.returncode != 0, f"{client} logged in over plaintext:\n{result.stdout}\n{result.stderr}"
    assert "[AUTH]" in result.stdout + result.stderr
    assert delivered(home) == []
    assert sorted(p.read_bytes() for p in mailbox_files(sims)) == sorted(stored)
    assert "login alice@example.test" not in sims.log_since_start()
    assert PASSWORD not in sims.log_text()


# --------------------------------------------------------------------------
# Exact dialogues (byte-level POP3 client)
# --------------------------------------------------------------------------


class RawPOP3:
    """A byte-exact POP3 client with bounded reads; multi-line responses are
    returned as their raw lines (still byte-stuffed), without the final '.'."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0, implicit_tls: bool = False):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buffer = b""
        if implicit_tls:
            self.sock = _client_context().wrap_socket(self.sock, server_hostname=HOSTNAME)
        self.greeting = self.line()

    def send(self, data: bytes | str):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self) -> bytes:
        deadline = time.monotonic() + self.timeout
        while b"\r\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete line within {self.timeout}s (have {self.buffer!r})")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed (unparsed: {self.buffer!r})")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def lines(self) -> list[bytes]:
        out = []
        while (line := self.line()) != b".":
            out.append(line)
        return out

    def cmd(self, command: str) -> bytes:
        self.send(command + "\r\n")
        return self.line()

    def ok(self, command: str) -> bytes:
        reply = self.cmd(command)
        assert reply.startswith(b"+OK"), f"{command!r}: {reply!r}"
        return reply

    def multi(self, command: str) -> list[bytes]:
        self.ok(command)
        return self.lines()

    def starttls(self):
        self.sock.settimeout(self.timeout)
        self.sock = _client_context().wrap_socket(self.sock, server_hostname=HOSTNAME)

    def nothing_pending(self, wait: float = 0.3) -> bool:
        if self.buffer:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError, ssl.SSLWantReadError):
            return True
        self.buffer += chunk
        return not chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def login(sims, implicit_tls: bool = True) -> RawPOP3:
    pop = RawPOP3(sims.pops_port, implicit_tls=True) if implicit_tls else RawPOP3(sims.pop_port)
    pop.ok(f"USER {ALICE}")
    pop.ok(f"PASS {PASSWORD}")
    return pop


def quit(pop: RawPOP3):
    """QUIT, then close the socket as real clients do."""
    pop.ok("QUIT")
    pop.close()


def unstuffed(lines: list[bytes]) -> bytes:
    return b"".join((l[1:] if l.startswith(b".") else l) + b"\r\n" for l in lines)


def test_top_sends_headers_blank_line_and_first_body_lines(strict):
    sims = strict
    deliver(sims, MESSAGES[0])
    stored = wait_until(lambda: mailbox_files(sims), 10, what="delivery")[0].read_bytes()
    head, body = stored.split(b"\r\n\r\n", 1)
    body_lines = body.split(b"\r\n")[:-1]
    pop = login(sims)
    top0 = pop.multi("TOP 1 0")
    assert unstuffed(top0) == head + b"\r\n\r\n"
    top3 = pop.multi("TOP 1 3")
    # Byte-stuffed on the wire: ".a line" -> "..a line", "..two" -> "...two".
    assert top3[-3:] == [body_lines[0], b"." + body_lines[1], b"." + body_lines[2]]
    assert unstuffed(top3) == head + b"\r\n\r\n" + b"".join(l + b"\r\n" for l in body_lines[:3])
    # More lines than the body has: the whole message (RFC 1939 § 7).
    assert unstuffed(pop.multi("TOP 1 1000")) == stored
    assert pop.cmd("TOP 2 0").startswith(b"-ERR")
    assert pop.cmd("TOP 1 -1").startswith(b"-ERR")
    quit(pop)
    # TOP is not RETR: the message stays unseen in new/.
    assert [p.parent.name for p in mailbox_files(sims)] == ["new"]


def uidl(pop: RawPOP3) -> dict[int, bytes]:
    listing = {}
    for line in pop.multi("UIDL"):
        number, uid = line.split(b" ")
        listing[int(number)] = uid
    return listing


def test_uidl_is_stable_across_sessions_and_a_restart_and_never_reused(strict):
    sims = strict
    for message in MESSAGES:
        deliver(sims, message)
    deliver(sims, b"Subject: third\r\n\r\nthree\r\n")
    wait_until(lambda: len(mailbox_files(sims)) == 3, 10, what="3 deliveries")
    pop = login(sims)
    first = uidl(pop)
    assert sorted(first) == [1, 2, 3] and len(set(first.values())) == 3
    for uid in first.values():
        assert 1 <= len(uid) <= 70 and all(0x21 <= b <= 0x7E for b in uid)
    assert pop.ok("UIDL 2") == b"+OK 2 " + first[2]
    pop.multi("RETR 2")  # seen at QUIT: the file moves to cur/ with flag S
    quit(pop)
    assert len(sims.mail_files(ALICE, "cur")) == 1
    pop = login(sims)
    assert uidl(pop) == first
    quit(pop)
    sims.stop()
    sims.start(new_ports=False)
    pop = login(sims)
    assert uidl(pop) == first
    pop.ok("DELE 1")
    quit(pop)
    deliver(sims, b"Subject: fourth\r\n\r\nfour\r\n")
    wait_until(lambda: len(mailbox_files(sims)) == 3, 10, what="the fourth delivery")
    pop = login(sims)
    after = uidl(pop)
    quit(pop)
    assert [after[1], after[2]] == [first[2], first[3]]
    assert after[3] not in first.values()


def test_commands_pipelined_with_stls_are_not_executed(strict):
    sims = strict
    deliver(sims, MESSAGES[0])
    pop = RawPOP3(sims.pop_port)
    # RFC 2595 § 4 / RFC 3207-style injection: the USER travels in the same
    # segment as STLS, in plaintext, and must be discarded with it.
    pop.send(f"STLS\r\nUSER {ALICE}\r\n")
    assert pop.line().startswith(b"+OK")
    assert pop.buffer == b"", f"server answered the injected command in plaintext: {pop.buffer!r}"
    pop.starttls()
    # The first reply inside TLS answers our own next command...
    capabilities = pop.multi("CAPA")
    assert b"USER" in capabilities and b"STLS" not in capabilities
    # ...and the injected USER was not remembered: PASS alone is refused.
    assert pop.cmd(f"PASS {PASSWORD}").startswith(b"-ERR")
    assert pop.nothing_pending()
    pop.ok(f"USER {ALICE}")
    pop.ok(f"PASS {PASSWORD}")
    assert pop.ok("STAT").split()[1] == b"1"
    assert pop.cmd("STLS").startswith(b"-ERR")
    quit(pop)


def test_mailbox_is_free_as_soon_as_quit_is_answered(strict):
    sims = strict
    deliver(sims, MESSAGES[0])
    wait_until(lambda: mailbox_files(sims), 10, what="delivery")
    first = login(sims)
    first.ok("QUIT")  # the client has its +OK but has not closed its socket yet
    # The logout (with its counts) is logged at the commit, not when the connection is finally closed.
    sims.wait_for_log(r"logout alice@example\.test: retrieved 0, deleted 0", timeout=5)
    second = RawPOP3(sims.pops_port, implicit_tls=True)
    second.ok(f"USER {ALICE}")
    reply = second.cmd(f"PASS {PASSWORD}")
    first.close()
    second.close()
    assert reply.startswith(b"+OK"), reply
