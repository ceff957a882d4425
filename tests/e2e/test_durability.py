"""Durability: SIGKILL during a load run loses no acknowledged message and never
exposes a partial one."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess

from simslib import POSTMASTER, parse_received, require_tool, wait_until

MESSAGES = 2000
KILL_AFTER = 300
NAME_RE = re.compile(r"^(\d+)\.(S\.[0-9A-Z]+)\.(.+),S=(\d+)(?:,W=\d+)?$")
DELIVERED_RE = re.compile(r"\[(S\.[0-9A-Z]+)\] 127\.0\.0\.1 <postmaster@example\.test> delivered: local mailbox "
                          r"postmaster@example\.test")


def smtp_source_body(length: int) -> bytes:
    """The message text Postfix's smtp-source sends with -l LENGTH: LENGTH octets
    of 'X' lines, a CRLF every 80 octets, each full line starting with its line
    number mod 10; then a final CRLF."""
    out = b""
    line_no = 0
    while len(out) + 80 <= length:
        line_no += 1
        out += str(line_no % 10).encode() + b"X" * 77 + b"\r\n"
    rest = length - len(out)
    if rest:
        out += b"X" * rest
    return out + b"\r\n"


def check_complete(path, expected_body: bytes) -> str | None:
    """None when `path` is a complete message; else what is wrong with it."""
    m = NAME_RE.match(path.name)
    if not m:
        return f"unexpected file name {path.name}"
    data = path.read_bytes()
    if len(data) != int(m.group(4)):
        return f"{path.name}: {len(data)} octets, name says S={m.group(4)}"
    if not data.startswith(b"Received: "):
        return f"{path.name}: does not start with Received"
    try:
        fields, rest = parse_received(data)
    except AssertionError as e:
        return f"{path.name}: {e}"
    if fields["id"] != m.group(2):
        return f"{path.name}: Received id {fields['id']} differs from the name"
    if not rest.endswith(b"\r\n\r\n" + expected_body):
        return f"{path.name}: does not end with the complete smtp-source body"
    if not rest.startswith(b"From: <sender@remote.test>\r\n"):
        return f"{path.name}: headers are not smtp-source's"
    return None


def test_sigkill_under_load_loses_nothing_acknowledged(sims_server):
    smtp_source = require_tool("smtp-source", ["/usr/sbin/smtp-source"])
    sims = sims_server({"log.level": 2, "log.modules.SMTP": 2})
    body = smtp_source_body(1024)

    source = subprocess.Popen(
        [smtp_source, "-s", "10", "-m", str(MESSAGES), "-l", "1024", "-f", "sender@remote.test",
         "-t", POSTMASTER, f"127.0.0.1:{sims.smtp_port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(DELIVERED_RE.findall(sims.log_since_start())) >= KILL_AFTER or source.poll() is not None,
                   120, interval=0.01, what=f"{KILL_AFTER} deliveries in the log")
        assert source.poll() is None, "smtp-source finished before the kill: the test did not kill under load"
        sims.proc.send_signal(signal.SIGKILL)
        sims.proc.wait(timeout=20)
    finally:
        try:
            source.wait(timeout=30)
        except subprocess.TimeoutExpired:
            source.kill()
            source.wait(timeout=10)

    delivered = set(DELIVERED_RE.findall(sims.log_text()))
    assert len(delivered) >= KILL_AFTER
    assert len(delivered) < MESSAGES, "everything was delivered: the kill came too late"

    new = sims.mail_files(POSTMASTER, "new")
    cur = sims.mail_files(POSTMASTER, "cur")
    tmp = sims.mail_files(POSTMASTER, "tmp")
    assert cur == []
    print(f"delivered={len(delivered)} new={len(new)} tmp={len(tmp)}")
    by_id: dict[str, list] = {}
    for f in new:
        m = NAME_RE.match(f.name)
        assert m, f"unexpected file in new/: {f.name}"
        by_id.setdefault(m.group(2), []).append(f)

    # Every acknowledged (logged as delivered) message: exactly one complete file.
    missing = sorted(q for q in delivered if q not in by_id)
    assert not missing, f"{len(missing)} messages logged as delivered have no file in new/: {missing[:5]}"
    duplicates = {q: fs for q, fs in by_id.items() if len(fs) != 1}
    assert not duplicates, f"several files for one queue id: {duplicates}"
    # No file in new/ is partial (including those whose log line never made it).
    problems = [p for p in (check_complete(f, body) for f in new) if p]
    assert not problems, f"{len(problems)} incomplete files in new/: {problems[:5]}"

    # tmp/ may hold leftovers of interrupted writes; they are not messages:
    # an incomplete one must not be linked into new/.
    new_inodes = {os.stat(f).st_ino for f in new}
    for f in tmp:
        if check_complete(f, body) is not None:
            assert os.stat(f).st_ino not in new_inodes, f"partial tmp/{f.name} is visible in new/"
            assert not (sims.maildir(POSTMASTER) / "new" / f.name).exists()

    # The server comes back on the same data directory and serves again.
    sims.start()
    with smtplib.SMTP("127.0.0.1", sims.smtp_port, timeout=15) as s:
        s.ehlo("after.crash.example")
        refused = s.sendmail("sender@remote.test", [POSTMASTER], b"Subject: after restart\r\n\r\nalive\r\n")
        assert refused == {}
    after = sims.mail_files(POSTMASTER, "new")
    assert len(after) == len(new) + 1
    newest = [f for f in after if f not in new]
    assert len(newest) == 1 and parse_received(newest[0].read_bytes())[1].endswith(b"alive\r\n")
