"""SIMS and Dovecot's POP3 server (dovecot-pop3d) answer one scripted RFC 1939
session the same way (issue 5), on the same Maildir content: SMTP delivers to
SIMS, and the delivered files are copied into Dovecot's Maildir.

Compared where RFC 1939 leaves no choice: +OK or -ERR, message counts, sizes,
message numbers, the lines of multi-line responses (byte-stuffed, as on the
wire), that DELE takes effect only at QUIT and that a dropped session deletes
nothing. Never the free text after +OK/-ERR, nor the unique-ids themselves
(each server makes its own; only their presence and syntax are checked).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from simslib import Peer, free_port, port_accepts, require_tool, wait_until
from test_pop3_clients import ALICE, MESSAGES, PASSWORD, RawPOP3, deliver, mailbox_files

DOVECOT_USER = "alice"
DOVECOT_PASSWORD = "dovecot-secret"


class DovecotPOP3(Peer):
    """A private Dovecot instance serving POP3 on 127.0.0.1:port from one
    Maildir, with its own config, state, sockets and log in a temp dir.

    As root, Dovecot refuses to run its login process or to access mail as
    root: both run as `nobody`, which owns the Maildir (the temp dir is 0755
    so it can reach it). As another user everything runs as that user."""

    def __init__(self):
        binary = require_tool("dovecot", ["/usr/sbin/dovecot"])
        self.root = Path(tempfile.mkdtemp(prefix="sims-dovecot-", dir="/tmp"))
        os.chmod(self.root, 0o755)
        super().__init__("dovecot", self.root / "dovecot.out")
        self.maildir = self.root / "Maildir"
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        if os.geteuid() == 0:
            mail_user = login_user = pwd.getpwnam("nobody")
            internal_user = pwd.getpwuid(0)
        else:
            mail_user = login_user = internal_user = pwd.getpwuid(os.geteuid())
        self.mail_uid, self.mail_gid = mail_user.pw_uid, mail_user.pw_gid
        os.chown(self.root, self.mail_uid, self.mail_gid)
        self.own(self.maildir)
        (self.root / "passwd").write_text(f"{DOVECOT_USER}:{{PLAIN}}{DOVECOT_PASSWORD}\n")
        for attempt in range(3):
            self.port = free_port()
            config = self.root / "dovecot.conf"
            config.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal_user.pw_name}
default_internal_group = {_group(internal_user)}
default_login_user = {login_user.pw_name}
first_valid_uid = {min(self.mail_uid, 1)}
mail_location = maildir:{self.maildir}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={self.root}/home
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""")
            self.spawn([binary, "-F", "-c", str(config)])
            if self.await_ready(lambda: port_accepts("127.0.0.1", self.port)):
                return
        raise AssertionError(f"dovecot did not start:\n{self.output()}\n{self.log()}")

    def own(self, path: Path):
        for p in [path, *path.rglob("*")]:
            os.chown(p, self.mail_uid, self.mail_gid)

    def add_messages(self, files: list[Path]):
        """Copies delivered Maildir files (name and mtime kept) into new/."""
        for f in files:
            target = self.maildir / "new" / f.name.split(":2,")[0]
            shutil.copy2(f, target)
            os.chown(target, self.mail_uid, self.mail_gid)

    def log(self) -> str:
        try:
            return (self.root / "dovecot.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        # The master stops its children on SIGTERM; SIGKILL only if it hangs.
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def _group(user: pwd.struct_passwd) -> str:
    return grp.getgrgid(user.pw_gid).gr_name


@pytest.fixture
def dovecot():
    server = DovecotPOP3()
    yield server
    server.stop()
    server.remove()


# --------------------------------------------------------------------------
# The scripted session and what is compared
# --------------------------------------------------------------------------


def status(reply: bytes) -> str:
    assert reply.startswith((b"+OK", b"-ERR")), f"not a POP3 status line: {reply!r}"
    return "+OK" if reply.startswith(b"+OK") else "-ERR"


def valid_uid(uid: bytes) -> bool:
    """RFC 1939 § 7: 1 to 70 characters in the range 0x21 to 0x7E."""
    return 1 <= len(uid) <= 70 and all(0x21 <= b <= 0x7E for b in uid)


def step(pop: RawPOP3, command: str, kind: str):
    """Sends one command; returns what RFC 1939 fixes about the reply."""
    reply = pop.cmd(command)
    result = status(reply)
    if result == "-ERR" or kind == "status":
        return command, result
    words = reply.split()
    if kind == "stat":  # "+OK nn mm"
        return command, result, int(words[1]), int(words[2])
    if kind == "scan":  # "+OK n size"
        return command, result, int(words[1]), int(words[2])
    if kind == "uid":  # "+OK n unique-id"
        return command, result, int(words[1]), valid_uid(words[2])
    lines = pop.lines()
    if kind == "scans":
        return command, result, [tuple(int(w) for w in l.split()) for l in lines]
    if kind == "uids":
        pairs = [l.split() for l in lines]
        assert len({p[1] for p in pairs}) == len(pairs), f"duplicate unique-ids: {lines}"
        return command, result, [(int(n), valid_uid(u)) for n, u in pairs]
    assert kind == "lines"
    return command, result, lines


FIRST_SESSION = [
    ("STAT", "stat"), ("LIST", "scans"), ("LIST 2", "scan"), ("UIDL 2", "uid"), ("UIDL", "uids"),
    ("RETR 1", "lines"), ("RETR 2", "lines"), ("TOP 1 0", "lines"), ("TOP 1 2", "lines"), ("TOP 3 100", "lines"),
    ("DELE 1", "status"),
    ("RETR 1", "status"), ("LIST 1", "status"), ("TOP 1 0", "status"), ("DELE 1", "status"), ("UIDL 1", "status"),
    ("STAT", "stat"), ("LIST", "scans"), ("UIDL", "uids"),
    ("NOOP", "status"), ("RSET", "status"), ("STAT", "stat"), ("LIST 1", "scan"), ("RETR 1", "lines"),
    ("DELE 2", "status"),
    ("RETR 0", "status"), ("RETR 4", "status"), ("LIST 99", "status"), ("DELE 4", "status"), ("TOP 9 0", "status"),
    ("XYZZY", "status"),
    ("STAT", "stat"),
]


def login(port: int, user: str, password: str, deadline: float = 10.0) -> tuple[RawPOP3, list]:
    """USER/PASS; a SIMS mailbox still locked by a dropped session is retried
    (bounded) until the server has noticed the drop."""
    end = time.monotonic() + deadline
    while True:
        pop = RawPOP3(port)
        record = [("greeting", status(pop.greeting)), ("USER", status(pop.cmd(f"USER {user}")))]
        reply = pop.cmd(f"PASS {password}")
        if b"[IN-USE]" in reply and time.monotonic() < end:
            pop.close()
            time.sleep(0.1)
            continue
        return pop, record + [("PASS", status(reply))]


def session(port: int, user: str, password: str) -> list:
    """The scripted sessions: the full one ending in QUIT, one showing that
    DELE happened at QUIT and ending in a dropped connection after DELE, and
    one showing that the drop deleted nothing."""
    transcript = []
    pop, record = login(port, user, password)
    transcript += record
    transcript += [step(pop, command, kind) for command, kind in FIRST_SESSION]
    transcript.append(("QUIT", status(pop.cmd("QUIT"))))
    transcript.append(("closed after QUIT", closed(pop)))

    pop, record = login(port, user, password)
    transcript += record
    transcript += [step(pop, c, k) for c, k in [("STAT", "stat"), ("LIST", "scans"), ("RETR 1", "lines"),
                                                 ("DELE 1", "status"), ("STAT", "stat")]]
    pop.sock.close()  # dropped: no QUIT, no UPDATE state

    pop, record = login(port, user, password)
    transcript += record
    transcript += [step(pop, c, k) for c, k in [("STAT", "stat"), ("LIST", "scans"), ("RETR 2", "lines")]]
    transcript.append(("QUIT", status(pop.cmd("QUIT"))))
    pop.close()
    return transcript


def closed(pop: RawPOP3) -> bool:
    try:
        pop.line()
    except ConnectionError:
        return True
    except OSError:
        return True
    finally:
        pop.close()
    return False


def test_sims_and_dovecot_answer_the_same_session_alike(sims_server, dovecot):
    sims = sims_server({"pop3.allow_plaintext": True})
    sims.add_account(ALICE, PASSWORD)
    for message in MESSAGES + [b"Subject: third\r\n\r\n.\r\n..\r\nshort\r\n"]:
        deliver(sims, message)
    files = wait_until(lambda: len(mailbox_files(sims)) == 3 and mailbox_files(sims), 10, what="3 deliveries")
    dovecot.add_messages(files)

    theirs = session(dovecot.port, DOVECOT_USER, DOVECOT_PASSWORD)
    ours = session(sims.pop_port, ALICE, PASSWORD)
    assert ours == theirs, f"dovecot log:\n{dovecot.log()}"
    # The comparison is not vacuous: the script reached the messages...
    assert ("RETR 1", "+OK") == ours[8][:2] and ours[8][2][-1] == b"end"
    # ...and both servers removed exactly message 2 (DELE 2 before QUIT).
    assert len(mailbox_files(sims)) == 2
    assert len(list((dovecot.maildir / "new").iterdir()) + list((dovecot.maildir / "cur").iterdir())) == 2
