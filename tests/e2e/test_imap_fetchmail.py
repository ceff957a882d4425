"""fetchmail over IMAP from SIMS (issue 14): what SMTP delivered arrives
byte for byte (fetchmail's LF line ends aside) over plaintext LOGIN (only
with `imap.allow_plaintext`), STARTTLS and implicit TLS; without `keep` the
messages are flagged \\Deleted and expunged from the SIMS Maildir, with
`keep` they stay, marked \\Seen in their file names, and a second run
fetches nothing (fetchmail asks IMAP for unseen messages only).

fetchmail verifies SIMS's self-signed certificate (made by `sims init`):
it is its trust file, and the expected name is the certificate's
(mx.example.test) because it connects to 127.0.0.1.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
from pathlib import Path

import pytest

from simslib import HOSTNAME, parse_received, require_tool, wait_until

PASSWORD = "imap-fetchmail-2026"
ALICE = "alice@example.test"
CLIENT_DEADLINE = 60

# Every line ends in CRLF, so fetchmail's conversion to LF is the only
# change between SIMS and the file the MDA writes. A line starting with
# "From " and dots, a long header line and a long body exercise the
# transfer (literals of a few KB).
MESSAGES = [
    b"From: bob@remote.test\r\nTo: alice@example.test\r\nSubject: first\r\n"
    b"Message-ID: <first.1@remote.test>\r\n\r\n"
    b"From here on, a line that mbox would quote.\r\n.a line starting with a dot\r\n..two dots\r\n.\r\nend\r\n",
    b"From: carol@remote.test\r\nSubject: second\r\nMessage-ID: <second.2@remote.test>\r\nX-Long: "
    + b"x" * 900 + b"\r\n\r\n" + b"".join(b"body line %03d\r\n" % i for i in range(200)),
]


def deliver(sims, message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, timeout=10) as smtp:
        smtp.sendmail("bob@remote.test", [ALICE], message)


def mailbox_files(sims) -> list[Path]:
    return sorted(sims.mail_files(ALICE, "new") + sims.mail_files(ALICE, "cur"))


def deliver_all(sims) -> list[bytes]:
    """Delivers MESSAGES over SMTP; returns the stored files' bytes, after
    checking that SIMS added one Received header on top of what was sent."""
    for message in MESSAGES:
        deliver(sims, message)
    stored = [p.read_bytes() for p in wait_until(
        lambda: len(mailbox_files(sims)) == len(MESSAGES) and mailbox_files(sims), 10, what="delivery")]
    assert sorted(parse_received(s)[1] for s in stored) == sorted(MESSAGES)
    return stored


@pytest.fixture
def sims(sims_server):
    server = sims_server({"imap.allow_plaintext": True, "log.modules.IMAP": 4})
    server.add_account(ALICE, PASSWORD)
    return server


def run_fetchmail(sims, mode: str, home: Path, keep: bool) -> subprocess.CompletedProcess:
    """fetchmail in the foreground (-N), rc file 0600, every message to an
    MDA (`cat` into home/out/); `invisible` keeps it from adding its own
    Received header, `no rewrite` from touching addresses."""
    fetchmail = require_tool("fetchmail", ["/usr/bin/fetchmail"])
    out = home / "out"
    out.mkdir(parents=True, exist_ok=True)
    cert = sims.data / "tls" / "cert.pem"
    tls = {
        "plain": "sslproto ''",
        "starttls": f"sslproto 'TLS1.2+' sslcertck sslcertfile '{cert}' sslcommonname '{HOSTNAME}'",
        "tls": f"ssl sslcertck sslcertfile '{cert}' sslcommonname '{HOSTNAME}'",
    }[mode]
    rc = home / "fetchmailrc"
    rc.write_text(
        "set no syslog\nset invisible\n"
        f"poll 127.0.0.1 protocol IMAP port {sims.imaps_port if mode == 'tls' else sims.imap_port} auth password\n"
        f"  user '{ALICE}' there with password '{PASSWORD}' is 'nobody' here\n"
        f"  {tls} {'keep' if keep else 'no keep'} no rewrite\n"
        f"  mda 'cat > {out}/msg.$$'\n")
    rc.chmod(0o600)
    return subprocess.run(
        [fetchmail, "-f", str(rc), "-N", "--nosyslog", "-v", "-i", str(home / "fetchids"),
         "--pidfile", str(home / "fetchmail.pid")],
        capture_output=True, text=True, timeout=CLIENT_DEADLINE, env={**os.environ, "HOME": str(home)},
        stdin=subprocess.DEVNULL)


def delivered(home: Path) -> list[bytes]:
    return sorted(p.read_bytes() for p in (home / "out").iterdir())


def shown(result: subprocess.CompletedProcess, sims) -> str:
    return f"fetchmail ({result.returncode}):\n{result.stdout}\n{result.stderr}\n--- SIMS log:\n{sims.log_text()[-4000:]}"


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_fetchmail_retrieves_exactly_what_smtp_delivered_and_expunges_it(sims, tmp_path, mode):
    stored = deliver_all(sims)
    home = tmp_path / "fetchmail"
    result = run_fetchmail(sims, mode, home, keep=False)
    assert result.returncode == 0, shown(result, sims)
    # fetchmail hands the message over with LF line ends; all else must be
    # the bytes SMTP delivered: SIMS's Received header + what was sent.
    assert delivered(home) == sorted(s.replace(b"\r\n", b"\n") for s in stored), shown(result, sims)
    # Without `keep`, fetchmail flags each message \Deleted and expunges:
    # the files are gone from the SIMS Maildir.
    wait_until(lambda: mailbox_files(sims) == [], 10, what="the Maildir emptied by fetchmail's EXPUNGE")
    assert sims.wait_for_log(r"expunged \d+ message\(s\) from INBOX")
    log = sims.log_since_start()
    assert PASSWORD not in log
    # The login went over the transport the mode names.
    assert f"login alice@example.test ({'no TLS' if mode == 'plain' else 'TLS'})" in log, log[-3000:]
    assert ("TLS established" in log) == (mode == "starttls"), log[-3000:]


def test_fetchmail_keep_leaves_the_messages_seen(sims, tmp_path):
    stored = deliver_all(sims)
    home = tmp_path / "fetchmail"
    result = run_fetchmail(sims, "tls", home, keep=True)
    assert result.returncode == 0, shown(result, sims)
    assert delivered(home) == sorted(s.replace(b"\r\n", b"\n") for s in stored), shown(result, sims)
    # The messages stay, now \Seen: Maildir info "S" in their names (cur/).
    files = mailbox_files(sims)
    assert sorted(p.read_bytes() for p in files) == sorted(stored)
    assert all(p.parent.name == "cur" and ":2," in p.name and "S" in p.name.split(":2,", 1)[1]
               for p in files), files
    # A second run finds nothing unseen: fetchmail exits 1 ("no mail").
    again = run_fetchmail(sims, "tls", tmp_path / "again", keep=True)
    assert again.returncode == 1, shown(again, sims)
    assert delivered(tmp_path / "again") == []
    assert len(mailbox_files(sims)) == len(MESSAGES)


def test_fetchmail_plaintext_login_refused_without_permission(sims_server, tmp_path):
    strict = sims_server({"log.modules.IMAP": 4})
    strict.add_account(ALICE, PASSWORD)
    stored = deliver_all(strict)
    home = tmp_path / "fetchmail"
    result = run_fetchmail(strict, "plain", home, keep=False)
    assert result.returncode != 0, shown(result, strict)
    assert delivered(home) == []
    assert sorted(p.read_bytes() for p in mailbox_files(strict)) == sorted(stored)
    assert "login alice@example.test" not in strict.log_since_start()
    assert PASSWORD not in strict.log_text()
