"""Real IMAP clients against SIMS and Debian's Dovecot over the same Maildir (issue 14).

The server under test is the `imap_server` fixture, parametrised by name:
"dovecot" (a private Debian Dovecot imapd, bench/dovecot-instance.sh) and
"sims" ($SIMS_BINARY with imap.allow_plaintext, the seeded Maildir copied
into alice@example.test's Maildir before the first login). Each test runs
against both; where the two are allowed to differ (both RFC-correct) the
assertion accepts either and says why.

What is shown here: the scripted raw session (CAPABILITY ... LOGOUT, with a
literal APPEND and IDLE) gives the transcript RFC 3501 requires; two
independent Dovecot instances give the same normalised transcript (so the
normalisation hides only what each instance chooses for itself); mbsync
syncs the mailbox both ways, flags included; neomutt, driven headless,
moves a message to another folder; mbsync also pulls from SIMS over
implicit TLS and STARTTLS; what an idling session is told of another
session's changes, replayed, matches a fresh FETCH; each server reads the Maildir the other one
wrote (UIDs, UIDVALIDITY, flags, keywords) the same; and a longer session run against both
servers from the same Maildir differs only as the commented allow-list in
without_allowed_differences permits.
"""

from __future__ import annotations

import imaplib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from imap_peers import Idle, Step, compare, dovecot_imap, render, transcript
from simslib import require_tool

USER = "alice"  # Dovecot's user
SIMS_USER = "alice@example.test"  # SIMS's accounts are addresses
PASSWORD = "imap-secret-2026"

# Old enough that no INTERNALDATE of a seeded message falls in the session's
# time window (imap_peers normalises those as <appended>).
SEEDED_MTIME = 1772445600  # Mon, 2 Mar 2026 10:00:00 +0000

PLAIN_1 = (b"Return-Path: <bob@remote.test>\r\n"
           b"From: Bob Example <bob@remote.test>\r\n"
           b"To: Alice <alice@example.test>\r\n"
           b"Subject: Lunch on Thursday\r\n"
           b"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
           b"Message-ID: <lunch.1@remote.test>\r\n"
           b"\r\n"
           b"Shall we meet at noon?\r\n")
PLAIN_2 = (b"From: Carol <carol@remote.test>\r\n"
           b"To: alice@example.test\r\n"
           b"Subject: Quarterly report\r\n"
           b"Date: Mon, 2 Mar 2026 11:30:00 +0100\r\n"
           b"Message-ID: <report.2@remote.test>\r\n"
           b"\r\n"
           b"The figures are attached next week.\r\n")
MULTIPART_3 = (b"From: Dave <dave@remote.test>\r\n"
               b"To: alice@example.test\r\n"
               b"Subject: Photos\r\n"
               b"Date: Tue, 3 Mar 2026 09:15:00 +0000\r\n"
               b"Message-ID: <photos.3@remote.test>\r\n"
               b"MIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
               b"\r\n"
               b"This is a multi-part message in MIME format.\r\n"
               b"--b1\r\n"
               b"Content-Type: text/plain; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: 8bit\r\n"
               b"\r\n"
               b"Two photos from the weekend.\r\n"
               b"--b1\r\n"
               b"Content-Type: image/png; name=\"one.png\"\r\n"
               b"Content-Disposition: attachment; filename=\"one.png\"\r\n"
               b"Content-Transfer-Encoding: base64\r\n"
               b"\r\n"
               b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n"
               b"--b1--\r\n")
SEEDED = [PLAIN_1, PLAIN_2, MULTIPART_3]
APPENDED = (b"From: Alice <alice@example.test>\r\n"
            b"To: bob@remote.test\r\n"
            b"Subject: Re: Lunch on Thursday\r\n"
            b"Date: Mon, 2 Mar 2026 12:00:00 +0000\r\n"
            b"Message-ID: <re-lunch.4@example.test>\r\n"
            b"\r\n"
            b"Noon is fine.\r\n")


@dataclass
class IMAPServer:
    """What a test needs of the server under test."""
    name: str
    host: str
    port: int
    user: str
    password: str
    maildir: Path  # the account's Maildir (Maildir++ folders: .Sent, ...)
    log: Path  # the server's log, for assertion messages

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def seed_maildir(root: Path) -> Path:
    """root/Maildir with the three messages in new/ (named and dated as a
    delivery would) and an empty folder .Sent; root is made 0755 so that
    Dovecot's `nobody` reaches the Maildir when the tests run as root."""
    os.chmod(root, 0o755)
    return seed_into(root / "Maildir")


def seed_into(maildir: Path) -> Path:
    """The seeded contents (see seed_maildir) written into `maildir`, which
    may exist already (a SIMS account's Maildir)."""
    for folder in (maildir, maildir / ".Sent"):
        for sub in ("new", "cur", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
    for number, message in enumerate(SEEDED, start=1):
        path = maildir / "new" / f"{SEEDED_MTIME + number}.M{number}P1.seed.test,S={len(message)}"
        path.write_bytes(message)
        os.utime(path, (SEEDED_MTIME + number, SEEDED_MTIME + number))
    return maildir


def start_dovecot(root: Path):
    """A context manager: Dovecot over a freshly seeded Maildir in root."""
    maildir = seed_maildir(root)
    instance = root / "dovecot"
    return maildir, instance, dovecot_imap(maildir, USER, PASSWORD, instance=instance)


def require_dovecot_imap():
    """Skips (or fails under CI=true) without Dovecot's imap server."""
    require_tool("dovecot", ["/usr/sbin/dovecot"])
    require_tool("dovecot imap (package dovecot-imapd)", ["/usr/lib/dovecot/imap"])


@pytest.fixture
def scratch():
    """A 0755 directory in /tmp (pytest's tmp_path is 0700, which Dovecot's
    `nobody` cannot enter)."""
    root = Path(tempfile.mkdtemp(prefix="sims-imap-baseline-", dir="/tmp"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def start_sims(sims_server) -> IMAPServer:
    """SIMS with plaintext LOGIN allowed on its STARTTLS port (as the
    Dovecot instance allows it) and the seeded contents copied into the
    account's Maildir before anyone has logged in (SIMS makes its special-use
    folders and UID lists at the first login, over what it finds)."""
    sims = sims_server({"imap.allow_plaintext": True, "log.modules.IMAP": 4})
    sims.add_account(SIMS_USER, PASSWORD)
    maildir = seed_into(sims.maildir(SIMS_USER))
    return IMAPServer("sims", "127.0.0.1", sims.imap_port, SIMS_USER, PASSWORD, maildir, sims.log_path)


@pytest.fixture(params=["dovecot", "sims"])
def imap_server(request, scratch):
    """The server under test over the seeded Maildir: Debian's Dovecot or
    SIMS ($SIMS_BINARY), each over the same starting contents."""
    if request.param == "dovecot":
        require_dovecot_imap()
        maildir, instance, server = start_dovecot(scratch)
        with server as (host, port):
            yield IMAPServer("dovecot", host, port, USER, PASSWORD, maildir, instance / "dovecot.log")
        return
    if request.param == "sims":
        yield start_sims(request.getfixturevalue("sims_server"))
        return
    raise AssertionError(f"no IMAP server named {request.param}")


def append_from_elsewhere(server: IMAPServer, message: bytes):
    """Delivers a message into INBOX over a second connection (for IDLE)."""
    client = imaplib.IMAP4(server.host, server.port, timeout=20)
    try:
        client.login(server.user, server.password)
        status, data = client.append("INBOX", None, None, message)
        assert status == "OK", (data, server.log_text())
    finally:
        client.logout()


def scripted_session(server: IMAPServer) -> list[Step]:
    script = [
        "CAPABILITY",
        "LOGIN $USER $PASSWORD",
        'LIST "" "*"',
        "SELECT INBOX",
        "FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
        "SEARCH ALL",
        "SEARCH SUBJECT lunch",
        "STORE 1 +FLAGS (\\Seen \\Flagged)",
        "STORE 2 +FLAGS (\\Deleted)",
        "COPY 1 Sent",
        "EXPUNGE",
        ["APPEND Sent (\\Seen) ", APPENDED],
        'STATUS Sent (MESSAGES UIDNEXT UNSEEN)',
        Idle(action=lambda: append_from_elsewhere(server, PLAIN_1), until=r"^\* \d+ EXISTS"),
        "LOGOUT",
    ]
    return transcript(server.host, server.port, server.user, server.password, script)


def by_command(steps: list[Step]) -> dict[str, Step]:
    return {step.command: step for step in steps}


def test_scripted_session_transcript(imap_server):
    steps = scripted_session(imap_server)
    shown = "\n".join(render(steps)) + "\n--- server log:\n" + imap_server.log_text()
    s = by_command(steps)
    assert [step.command for step in steps][0] == "<greeting>", shown
    assert steps[0].status.startswith("OK"), shown
    assert all(step.status.startswith("OK") for step in steps), shown

    capabilities = next(u for u in s["CAPABILITY"].untagged if u.startswith("* CAPABILITY "))
    assert "IMAP4REV1" in capabilities.split(), shown
    # Plaintext LOGIN must be allowed on this loopback test port.
    assert "LOGINDISABLED" not in capabilities.split(), shown

    # The hierarchy delimiter is the server's choice (RFC 3501 § 6.3.8):
    # Dovecot's Maildir++ shows ".", SIMS shows "/"; both are correct.
    listed = {re.sub(r'^\* LIST \([^)]*\) (?:"[^"]*"|NIL) ', "", u).strip('"') for u in s['LIST "" "*"'].untagged}
    assert {"INBOX", "Sent"} <= listed, shown

    select = s["SELECT INBOX"]
    assert select.status == "OK [READ-WRITE]", shown
    assert "* 3 EXISTS" in select.untagged, shown
    assert "* OK [UIDVALIDITY <uidvalidity>]" in select.untagged, shown
    assert "* OK [UIDNEXT 4]" in select.untagged, shown
    assert any(u.startswith("* FLAGS (") for u in select.untagged), shown

    fetched = s["FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)"].untagged
    assert len(fetched) == 3, shown
    for number, (line, message) in enumerate(zip(fetched, SEEDED), start=1):
        assert line.startswith(f"* {number} FETCH ("), shown
        assert f"UID {number} " in line or line.endswith(f"UID {number})"), shown
        assert f"RFC822.SIZE {len(message)}" in line, shown
    assert '"Lunch on Thursday"' in fetched[0] and '"bob" "remote.test"' in fetched[0], shown
    assert '"mixed"' in fetched[2].lower() and '"image" "png"' in fetched[2].lower(), shown

    assert s["SEARCH ALL"].untagged == ["* SEARCH 1 2 3"], shown
    assert s["SEARCH SUBJECT lunch"].untagged == ["* SEARCH 1"], shown
    stored = s["STORE 1 +FLAGS (\\Seen \\Flagged)"].untagged
    assert len(stored) == 1 and "\\Seen" in stored[0] and "\\Flagged" in stored[0], shown
    assert s["COPY 1 Sent"].status == "OK [COPYUID <uidvalidity> 1 1]", shown
    # Only message 2 goes (a server may follow with a new RECENT count).
    assert [u for u in s["EXPUNGE"].untagged if u.endswith(" EXPUNGE")] == ["* 2 EXPUNGE"], shown
    assert s["APPEND Sent (\\Seen) {%d}" % len(APPENDED)].status == "OK [APPENDUID <uidvalidity> 2]", shown
    assert s["STATUS Sent (MESSAGES UIDNEXT UNSEEN)"].untagged == [
        "* STATUS Sent (MESSAGES 2 UIDNEXT 3 UNSEEN 0)"], shown
    idle = s["IDLE"].untagged
    assert idle[0] == "+" and "* 3 EXISTS" in idle, shown
    assert s["LOGOUT"].untagged == ["* BYE"], shown

    # ...and the Maildir on disk agrees: INBOX 2 + 1 appended, Sent 2.
    def count(folder: Path) -> int:
        return sum(1 for sub in ("new", "cur") for p in (folder / sub).iterdir() if p.is_file())

    assert count(imap_server.maildir) == 3, shown
    assert count(imap_server.maildir / ".Sent") == 2, shown


def test_two_dovecots_compare_equal_and_a_difference_shows(scratch):
    """The normalisation hides what differs between two instances of the
    same server (UIDVALIDITY, free texts, appended INTERNALDATEs), and
    compare() reports a real difference."""
    require_dovecot_imap()
    transcripts = []
    for name in ("one", "two"):
        root = scratch / name
        root.mkdir()
        maildir, instance, server = start_dovecot(root)
        with server as (host, port):
            transcripts.append(scripted_session(
                IMAPServer(name, host, port, USER, PASSWORD, maildir, instance / "dovecot.log")))
    one, two = transcripts
    assert compare(one, two) == "", compare(one, two)
    assert any("<uidvalidity>" in line for line in render(one))

    changed = [Step(step.command, list(step.untagged), step.status) for step in two]
    changed[-2].status = "NO"
    difference = compare(one, changed, ("dovecot", "other"))
    assert "-=> OK" in difference and "+=> NO" in difference, difference


# --------------------------------------------------------------------------
# SIMS compared with Dovecot, reply by reply
# --------------------------------------------------------------------------

# Dovecot configured as SIMS is by default, so that configuration choices do
# not show up as differences: "/" as the hierarchy delimiter (SIMS's; with
# Maildir++ on disk, Dovecot still stores Work/2026 as .Work.2026) and the
# special-use folders SIMS creates and subscribes at the first login
# (RFC 6154), made by Dovecot at login too. Sent is seeded, so neither
# server creates it; SIMS does not subscribe a folder it found.
DOVECOT_LIKE_SIMS = """namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
"""


def comparison_session(server: IMAPServer) -> list[Step]:
    """The session both servers are put through, from the same Maildir."""
    script = [
        "CAPABILITY",
        "LOGIN $USER $PASSWORD",
        # Neither server supports UTF8=ACCEPT (RFC 6855): both must answer
        # an empty ENABLED (RFC 5161 § 3.1). Enabling CONDSTORE, which only
        # Dovecot has, would add MODSEQ to every later FETCH.
        "ENABLE UTF8=ACCEPT",
        'LIST "" "*"',
        'LIST (SPECIAL-USE) "" "*"',
        "SELECT INBOX",
        "FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)",
        "FETCH 2 BODY.PEEK[HEADER.FIELDS (From Subject)]",
        "FETCH 1 BODY[1]",
        "UID SEARCH UNSEEN",
        "SEARCH SUBJECT report",
        "STORE 2 +FLAGS (\\Flagged \\Deleted)",
        "UID COPY 1 Sent",
        "UID MOVE 3 Archive",
        "EXPUNGE",
        "STATUS Sent (MESSAGES UIDNEXT UNSEEN)",
        ["APPEND Sent (\\Seen) ", APPENDED],
        "STATUS Sent (MESSAGES UIDNEXT UNSEEN)",
        "CREATE Work/2026",
        'LIST "" "Work*"',
        "RENAME Work/2026 Work/Done",
        'LIST "" "Work*"',
        "DELETE Work/Done",
        "DELETE Work",
        'LIST "" "Work*"',
        Idle(action=lambda: append_from_elsewhere(server, PLAIN_1), until=r"^\* \d+ EXISTS"),
        "FETCH 2 (FLAGS UID)",
        "LOGOUT",
    ]
    return transcript(server.host, server.port, server.user, server.password, script)


def _fetch_items(text: str) -> list[str] | None:
    """The items of a normalised "n FETCH (...)" response, each "NAME value",
    or None when the text is not one (or cannot be split). A literal is
    rendered by imap_peers as {n} and its octets with CR/LF shown as \\r \\n;
    n counts octets, so those escapes count as one."""
    match = re.match(r"^\* \d+ FETCH \((.*)\)$", text)
    if not match:
        return None
    body, position, items = match.group(1), 0, []

    def value_end(at: int) -> int:
        depth = 0
        while at < len(body):
            char = body[at]
            if char == '"':
                at += 1
                while at < len(body) and body[at] != '"':
                    at += 2 if body[at] == "\\" else 1
                at += 1
            elif literal := re.match(r"\{(\d+)\}", body[at:]):
                at += len(literal.group(0))
                remaining = int(literal.group(1))
                while remaining > 0 and at < len(body):
                    escaped = body[at:at + 2] in ("\\r", "\\n")
                    remaining -= 1 if escaped else len(body[at].encode())
                    at += 2 if escaped else 1
            elif char == "(":
                depth += 1
                at += 1
            elif char == ")":
                depth -= 1
                at += 1
            elif char == " " and depth == 0:
                return at
            else:
                at += 1
            if depth == 0 and at < len(body) and body[at] == " ":
                return at
        return at

    while position < len(body):
        name = re.match(r"[A-Za-z0-9.]+(?:\[[^\]]*\])?(?:<\d+>)? ", body[position:])
        if not name:
            return None
        end = value_end(position + len(name.group(0)))
        items.append(body[position:end])
        position = end + 1
    return items


def _sorted_status(text: str) -> str:
    match = re.match(r"^(\* STATUS .* )\(([^()]*)\)$", text)
    if not match:
        return text
    words = match.group(2).split()
    pairs = sorted(" ".join(words[i:i + 2]) for i in range(0, len(words), 2))
    return f"{match.group(1)}({' '.join(pairs)})"


# The differences between SIMS and Dovecot that the comparison allows, each
# RFC-correct on both sides. Every other difference fails the test and is
# recorded, with the transcript lines, in the integrator's notes.
def without_allowed_differences(steps: list[Step]) -> list[Step]:
    allowed = []
    for step in steps:
        step = Step(step.command, list(step.untagged), step.status)
        # Capability lists are each server's own (Dovecot has CONDSTORE,
        # SORT, THREAD...; SIMS has IMAP4rev2, QUOTA, and STARTTLS since the
        # Dovecot instance has no TLS at all): their contents are not
        # compared. After LOGIN a server MAY announce its capabilities, as an
        # untagged CAPABILITY (Dovecot) or a [CAPABILITY] code (SIMS), or not
        # at all (RFC 3501 § 6.2.3, RFC 9051 § 6.2.3): both are dropped there.
        step.status = re.sub(r"\[CAPABILITY [^\]]*\]", "[CAPABILITY <list>]", step.status)
        step.untagged = [re.sub(r"^\* CAPABILITY .*", "* CAPABILITY <list>", u) for u in step.untagged]
        if step.command.startswith("LOGIN "):
            step.status = step.status.replace(" [CAPABILITY <list>]", "")
            step.untagged = [u for u in step.untagged if u != "* CAPABILITY <list>"]
        # ENABLE of nothing the server has: RFC 5161 § 3.2 has the server
        # answer an empty "* ENABLED" (SIMS); Dovecot sends none.
        if step.command.startswith("ENABLE "):
            step.untagged = [u for u in step.untagged if u != "* ENABLED"]
        # Child information (\HasChildren, \HasNoChildren) may be returned
        # although the client did not ask for it (RFC 5258 § 4): SIMS adds it
        # to LIST (SPECIAL-USE) answers, Dovecot does not.
        if step.command.startswith("LIST (SPECIAL-USE)"):
            step.untagged = [re.sub(r" ?\\Has(?:No)?Children", "", u).replace("( ", "(") for u in step.untagged]
        # The items of a FETCH response come in any order (RFC 3501 § 7.4.2):
        # SIMS puts the FLAGS set by BODY[1] after it, Dovecot before.
        step.untagged = [f"* {u.split()[1]} FETCH ({' '.join(sorted(items))})"
                         if (items := _fetch_items(u)) else u for u in step.untagged]
        # CREATE Work/2026 creates the superior name Work as well (RFC 3501
        # § 6.3.3: the server SHOULD create the superior hierarchical names):
        # SIMS makes it a real, selectable mailbox (.Work on disk), Dovecot
        # over Maildir++ only shows it as a \Noselect placeholder, which
        # DELETE Work then does not find (NO [NONEXISTENT]).
        step.untagged = [u.replace('(\\Noselect \\HasChildren) "/" Work', '(\\HasChildren) "/" Work')
                         for u in step.untagged]
        if step.command == "DELETE Work" and step.status == "NO [NONEXISTENT]":
            step.status = "OK"
        # Response codes on NO are optional (RFC 5530 § 3: a server SHOULD
        # use them where they apply, clients must not need them): SIMS says
        # "NO [NONEXISTENT]" for SELECT of a missing mailbox and "NO [CANNOT]"
        # for DELETE INBOX, Dovecot "NO" only. Only the NO is compared.
        step.status = re.sub(r"^NO \[[^\]]*\]$", "NO", step.status)
        # STATUS items come in any order (RFC 3501 § 7.2.4): Dovecot uses a
        # fixed one, SIMS the request's. The name/value pairs are sorted.
        step.untagged = [_sorted_status(u) for u in step.untagged]
        # LSUB attributes: Dovecot repeats special-use attributes there, SIMS
        # does not; RFC 6154 § 2 defines them for LIST (LSUB is deprecated by
        # RFC 9051 and its attributes are only \Noselect-like hints).
        step.untagged = [re.sub(r"^\* LSUB \([^)]*\)", "* LSUB ()", u) for u in step.untagged]
        # A keyword new to the mailbox (STORE 1 FLAGS ($Label1)): Dovecot
        # announces the new set of flags with untagged FLAGS and
        # PERMANENTFLAGS at once; RFC 3501 § 7.2.6 (RFC 9051 § 7.3.5) ties
        # FLAGS to SELECT/EXAMINE, and SIMS lists the keyword at the next
        # SELECT (which is compared).
        if step.command.startswith(("STORE ", "UID STORE ")):
            step.untagged = [u for u in step.untagged if not u.startswith(("* FLAGS ", "* OK [PERMANENTFLAGS "))]
        # SELECT/EXAMINE while a mailbox is selected: Dovecot announces the
        # implicit close with "* OK [CLOSED]", which RFC 7162 § 3.2.11 asks
        # of QRESYNC servers (only Dovecot is one) and RFC 9051 § 6.3.2 of
        # IMAP4rev2 sessions (this one is IMAP4rev1: see
        # test_sims_imap4rev2_session_select for SIMS in rev2).
        if step.command.startswith(("SELECT ", "EXAMINE ")):
            step.untagged = [u for u in step.untagged if u != "* OK [CLOSED]"]
        # (LIST lines sorted again after the changes, as imap_peers does.)
        listed = sorted(u for u in step.untagged if u.startswith("* LIST "))
        step.untagged = [listed.pop(0) if u.startswith("* LIST ") else u for u in step.untagged]
        allowed.append(step)
    return allowed


def further_session(server: IMAPServer) -> list[Step]:
    """More of the protocol: namespaces, LSUB, EXAMINE, partial and section
    FETCHes, the SEARCH keys, keywords, STORE variants, CLOSE's silent
    expunge, errors (missing mailbox, existing name, DELETE INBOX, a message
    number past the end), APPEND with flags and a date, SUBSCRIBE. Not
    RENAME INBOX: Dovecot's Maildir refuses it (NO [CANNOT]) where RFC 3501
    § 6.3.5 defines it, and SIMS does it."""
    script = [
        "LOGIN $USER $PASSWORD",
        "NAMESPACE",
        'LIST "" ""',
        'LIST "" "%"',
        'LSUB "" "*"',
        "STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)",
        "EXAMINE INBOX",
        "FETCH 3 (BODY[1] BODY[2.MIME] BODY[TEXT]<0.10>)",
        "FETCH 1 BODY.PEEK[]<5.20>",
        "FETCH 3 BODY.PEEK[2]",
        "FETCH 2 (RFC822.HEADER RFC822.TEXT BODY)",
        "CLOSE",
        "SELECT INBOX",
        "UID FETCH 1:* (UID FLAGS)",
        "UID FETCH 10:* FLAGS",
        "SEARCH FROM carol",
        "SEARCH BODY noon",
        "SEARCH TEXT photos",
        "SEARCH HEADER Message-ID report",
        "SEARCH SINCE 1-Mar-2026",
        "SEARCH BEFORE 1-Jan-2020",
        "SEARCH SENTBEFORE 3-Mar-2026",
        "SEARCH LARGER 300",
        "SEARCH NOT SEEN",
        "SEARCH OR FROM bob FROM dave",
        "SEARCH 2:3 UNSEEN",
        "SEARCH CHARSET UTF-8 SUBJECT lunch",
        "SEARCH UID 2:*",
        "STORE 1 FLAGS (\\Answered $Label1)",
        "SEARCH KEYWORD $Label1",
        "STORE 1 -FLAGS.SILENT (\\Answered)",
        "UID STORE 2 +FLAGS (\\Seen)",
        "COPY 2:3 Trash",
        "STORE 3 +FLAGS (\\Deleted)",
        "CLOSE",
        "STATUS Trash (MESSAGES UNSEEN UIDNEXT)",
        "SELECT Nope",
        "CREATE Sent",
        "DELETE INBOX",
        ["APPEND INBOX (\\Flagged) \"01-Feb-2026 10:00:00 +0000\" ", APPENDED],
        "SELECT INBOX",
        "FETCH 1:* (UID FLAGS INTERNALDATE)",
        "FETCH 99 FLAGS",
        "UID FETCH 99 FLAGS",
        "EXAMINE Archive",
        "NOOP",
        "UNSELECT",
        "SUBSCRIBE Sent",
        'LSUB "" "*"',
        "UNSUBSCRIBE Sent",
        "LOGOUT",
    ]
    return transcript(server.host, server.port, server.user, server.password, script)


@pytest.mark.parametrize("session", [comparison_session, further_session], ids=["basic", "further"])
def test_sims_answers_as_dovecot_does(scratch, sims_server, session):
    """A session against Dovecot (configured as SIMS is) and SIMS, from the
    same Maildir: no difference but the allowed ones."""
    require_dovecot_imap()
    root = scratch / "dovecot"
    root.mkdir()
    maildir = seed_maildir(root)
    with dovecot_imap(maildir, USER, PASSWORD, instance=root / "instance", extra_config=DOVECOT_LIKE_SIMS) \
            as (host, port):
        dovecot = session(IMAPServer("dovecot", host, port, USER, PASSWORD, maildir,
                                     root / "instance" / "dovecot.log"))
    sims = start_sims(sims_server)
    sims_steps = session(sims)
    raw = compare(dovecot, sims_steps, ("dovecot", "sims"))
    difference = compare(without_allowed_differences(dovecot), without_allowed_differences(sims_steps),
                         ("dovecot", "sims"))
    if difference:
        # pytest.fail, not assert: the diff is shown once, not again by
        # pytest's comparison of the two strings.
        pytest.fail(f"SIMS differs from Dovecot beyond the allowed differences:\n{difference}"
                    f"\n--- unfiltered:\n{raw}\n--- SIMS log:\n{sims.log_text()[-6000:]}", pytrace=False)


def changes_from_elsewhere(server: IMAPServer):
    """Another session flags message 1, expunges message 2, gives the
    former message 3 a new keyword and appends a message, one after the
    other (for IDLE: the order and grouping of the untagged responses the
    idling session gets depend on timing, so they are not compared as text;
    test_idle_updates_keep_the_clients_view_right replays them instead)."""
    client = imaplib.IMAP4(server.host, server.port, timeout=20)
    try:
        client.login(server.user, server.password)
        client.select("INBOX")
        for command in (lambda: client.store("1", "+FLAGS", "(\\Seen \\Flagged)"),
                        lambda: client.store("2", "+FLAGS", "(\\Deleted)"),
                        lambda: client.expunge(),
                        lambda: client.store("2", "+FLAGS", "(NewKey)"),
                        lambda: client.append("INBOX", "(\\Seen)", None, APPENDED)):
            status, data = command()
            assert status == "OK", (data, server.log_text()[-3000:])
    finally:
        client.logout()


def replay(view: list[tuple[int | None, set[str]]], responses: list[str]) -> list[tuple[int | None, set[str]]]:
    """A client's copy of the mailbox (UID, flags per message number)
    updated by untagged EXPUNGE, EXISTS and FETCH responses, as RFC 3501
    § 7.4.1/7.3.1/7.4.2 define them (\\Recent left out: per session)."""
    view = list(view)
    for line in responses:
        if match := re.match(r"^\* (\d+) EXPUNGE$", line):
            del view[int(match.group(1)) - 1]
        elif match := re.match(r"^\* (\d+) EXISTS$", line):
            view += [(None, set())] * (int(match.group(1)) - len(view))
        elif match := re.match(r"^\* (\d+) FETCH \((.*)\)$", line):
            number = int(match.group(1))
            uid, flags = view[number - 1]
            found_uid = re.search(r"\bUID (\d+)", match.group(2))
            found_flags = re.search(r"\bFLAGS \(([^)]*)\)", match.group(2))
            view[number - 1] = (int(found_uid.group(1)) if found_uid else uid,
                                set(found_flags.group(1).split()) - {"\\Recent"} if found_flags else flags)
    return view


def fetched_view(step: Step) -> list[tuple[int | None, set[str]]]:
    return replay([], [f"* {len(step.untagged)} EXISTS"] + step.untagged)


def test_idle_updates_keep_the_clients_view_right(imap_server):
    """While one session idles, another changes flags, expunges, adds a
    keyword and appends: replaying what the idling session was told (during
    IDLE and at the NOOP after it) gives exactly what a fresh FETCH then
    shows, message numbers, UIDs and flags."""
    steps = transcript(imap_server.host, imap_server.port, imap_server.user, imap_server.password, [
        "LOGIN $USER $PASSWORD",
        "SELECT INBOX",
        "FETCH 1:* (UID FLAGS)",
        Idle(action=lambda: changes_from_elsewhere(imap_server), until=r"^\* \d+ EXISTS"),
        "NOOP",
        "FETCH 1:* (UID FLAGS)",
        "LOGOUT"])
    shown = "\n".join(render(steps)) + "\n--- server log:\n" + imap_server.log_text()[-4000:]
    assert all(step.status.startswith("OK") for step in steps), shown
    before, idle, noop, after = steps[3], steps[4], steps[5], steps[6]
    told = replay(fetched_view(before), idle.untagged[1:] + noop.untagged)
    now = fetched_view(after)
    # As many messages; those the client knew have their UID and flags at
    # the right numbers; a new one (only announced by EXISTS: its flags are
    # the client's to fetch) is at the end.
    assert len(told) == len(now), shown
    assert [(uid, flags) for uid, flags in told if uid is not None] == now[:2], shown
    assert told[2] == (None, set()), shown
    assert [uid for uid, _ in now] == [1, 3, 4], shown
    assert [flags for _, flags in now] == [{"\\Flagged", "\\Seen"}, {"NewKey"}, {"\\Seen"}], shown


# --------------------------------------------------------------------------
# Real clients
# --------------------------------------------------------------------------


def maildir_messages(folder: Path) -> dict[bytes, str]:
    """Message-ID -> the Maildir info flags ("S", "FS", ...) of each message."""
    found = {}
    for sub in ("new", "cur"):
        directory = folder / sub
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            match = re.search(rb"^Message-ID: (\S+)\r?$", path.read_bytes(), re.MULTILINE | re.IGNORECASE)
            flags = path.name.split(":2,", 1)[1] if ":2," in path.name else ""
            if match:
                found[match.group(1)] = flags
    return found


def server_flags(server: IMAPServer, folder: str = "INBOX") -> dict[bytes, str]:
    """Message-ID -> FLAGS as the server reports them."""
    client = imaplib.IMAP4(server.host, server.port, timeout=20)
    try:
        client.login(server.user, server.password)
        client.select(folder, readonly=True)
        status, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        assert status == "OK", data
        result = {}
        for item in data:
            if isinstance(item, tuple):
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                message_id = re.search(rb"Message-ID: (\S+)", item[1], re.IGNORECASE)
                if flags and message_id:
                    result[message_id.group(1)] = flags.group(1).decode()
        return result
    finally:
        client.logout()


def run_mbsync(config: Path) -> subprocess.CompletedProcess:
    mbsync = require_tool("mbsync")
    result = subprocess.run([mbsync, "-c", str(config), "-a"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"mbsync failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def test_mbsync_syncs_both_ways(imap_server, scratch):
    local = scratch / "local"
    local.mkdir()
    config = scratch / "mbsyncrc"
    config.write_text(f"""IMAPAccount server
Host {imap_server.host}
Port {imap_server.port}
User {imap_server.user}
Pass {imap_server.password}
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account server

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Sync All
SyncState *
Expunge Both
""")
    shown = lambda: imap_server.log_text()  # noqa: E731

    # Server -> local: every message and the Sent folder arrive.
    run_mbsync(config)
    ids = {re.search(rb"Message-ID: (\S+)", m).group(1) for m in SEEDED}
    assert set(maildir_messages(local / "INBOX")) == ids, shown()
    assert (local / "Sent" / "cur").is_dir(), shown()

    # Local -> server: a flag set locally (Maildir info F) and a new message.
    flagged = b"<report.2@remote.test>"
    for sub in ("new", "cur"):
        for path in (local / "INBOX" / sub).iterdir():
            if flagged in path.read_bytes():
                base = path.name.split(":2,", 1)[0]
                path.rename(local / "INBOX" / "cur" / f"{base}:2,F")
    (local / "Sent" / "new" / "1772445700.local1.client.test").write_bytes(APPENDED)
    run_mbsync(config)
    flags = server_flags(imap_server)
    assert "\\Flagged" in flags[flagged], (flags, shown())
    # ...and on disk as both servers write Maildir flags: "F" in the info.
    assert "F" in maildir_messages(imap_server.maildir)[flagged], shown()
    assert b"<re-lunch.4@example.test>" in maildir_messages(imap_server.maildir / ".Sent"), shown()
    assert b"<re-lunch.4@example.test>" in server_flags(imap_server, "Sent"), shown()

    # Server -> local: a flag set on the server (\Seen on the multipart one).
    client = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=20)
    client.login(imap_server.user, imap_server.password)
    client.select("INBOX")
    status, data = client.search(None, "HEADER", "Message-ID", "photos.3@remote.test")
    assert status == "OK" and data[0], data
    client.store(data[0].split()[0].decode(), "+FLAGS", "(\\Seen)")
    client.logout()
    run_mbsync(config)
    local_flags = maildir_messages(local / "INBOX")
    assert "S" in local_flags[b"<photos.3@remote.test>"], (local_flags, shown())
    assert "F" in local_flags[flagged], local_flags


def test_neomutt_moves_a_message_headless(imap_server, scratch):
    """neomutt has no batch mode for reading: it is driven through `script`
    (a pseudo-terminal) with a pushed key sequence that tags the message
    with subject "Quarterly", saves the tagged message to =Archive (created
    without asking), syncs (expunging the original) and quits."""
    neomutt = require_tool("neomutt")
    script_tool = require_tool("script")
    url = f"imap://{imap_server.user}@{imap_server.host}:{imap_server.port}/"
    rc = scratch / "muttrc"
    rc.write_text(f"""set folder = "{url}"
set spoolfile = "+INBOX"
set imap_user = "{imap_server.user}"
set imap_pass = "{imap_server.password}"
set ssl_starttls = no
set ssl_force_tls = no
set confirmcreate = no
set confirmappend = no
set delete = yes
set move = no
set quit = yes
set mark_old = no
set header_cache = ""
set message_cachedir = ""
set timeout = 1
""")
    keys = "<tag-pattern>~s Quarterly<enter><tag-prefix><save-message>=Archive<enter><sync-mailbox><quit>"
    command = f"{neomutt} -n -F {rc} -f {url}INBOX -e 'push \"{keys}\"'"
    result = subprocess.run([script_tool, "-qec", command, "/dev/null"], capture_output=True, timeout=60,
                            env=dict(os.environ, TERM="vt100", HOME=str(scratch)), stdin=subprocess.DEVNULL)
    screen = result.stdout.decode(errors="replace")[-2000:]
    assert result.returncode == 0, screen
    inbox = maildir_messages(imap_server.maildir)
    archive = maildir_messages(imap_server.maildir / ".Archive")
    assert set(archive) == {b"<report.2@remote.test>"}, (screen, imap_server.log_text())
    assert set(inbox) == {b"<lunch.1@remote.test>", b"<photos.3@remote.test>"}, (screen, imap_server.log_text())


@pytest.mark.parametrize("tls", ["IMAPS", "STARTTLS"])
def test_mbsync_over_tls_with_sims_default_configuration(sims_server, scratch, tls):
    """SIMS only (the Dovecot instance has no TLS): with the default
    configuration (no plaintext LOGIN) mbsync syncs over implicit TLS or
    STARTTLS, trusting SIMS's self-signed certificate from `sims init` as
    its CertificateFile (isync does not check the host name of a
    certificate it was given explicitly), and its AUTHENTICATE PLAIN /
    LOGIN inside TLS succeeds; the three seeded messages arrive."""
    sims = sims_server({"log.modules.IMAP": 4})
    sims.add_account(SIMS_USER, PASSWORD)
    seed_into(sims.maildir(SIMS_USER))
    local = scratch / "local"
    local.mkdir()
    config = scratch / "mbsyncrc"
    config.write_text(f"""IMAPAccount server
Host 127.0.0.1
Port {sims.imaps_port if tls == "IMAPS" else sims.imap_port}
User {SIMS_USER}
Pass {PASSWORD}
SSLType {tls}
CertificateFile {sims.data / "tls" / "cert.pem"}

IMAPStore remote
Account server

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
""")
    run_mbsync(config)
    ids = {re.search(rb"Message-ID: (\S+)", m).group(1) for m in SEEDED}
    assert set(maildir_messages(local / "INBOX")) == ids, sims.log_text()[-4000:]
    # Byte for byte, but for mbsync's own doing: it stores LF line ends
    # and adds an X-TUID header (its transaction id) to what it fetched.
    fetched = sorted(re.sub(rb"(?m)^X-TUID: \S+\n", b"", p.read_bytes())
                     for sub in ("new", "cur") for p in (local / "INBOX" / sub).iterdir())
    assert fetched == sorted(m.replace(b"\r\n", b"\n") for m in SEEDED)
    log = sims.log_since_start()
    assert "login alice@example.test (TLS)" in log, log[-4000:]
    assert ("TLS established" in log) == (tls == "STARTTLS"), log[-4000:]  # SIMS logs the upgrade only
    assert PASSWORD not in sims.log_text()


# --------------------------------------------------------------------------
# One Maildir, two servers: what one wrote, the other reads the same
# --------------------------------------------------------------------------


def exercise(host: str, port: int, user: str):
    """Changes that land in the Maildir's own files: flags and keywords in
    file names and dovecot-keywords, an APPEND with flags, a MOVE and a COPY
    into other folders (their dovecot-uidlist)."""
    client = imaplib.IMAP4(host, port, timeout=20)
    try:
        client.login(user, PASSWORD)
        client.select("INBOX")
        for command in (lambda: client.store("1", "+FLAGS", "($Label1 \\Flagged)"),
                        lambda: client.store("3", "+FLAGS", "(Work \\Seen)"),
                        lambda: client.append("INBOX", "(\\Draft $Label2)", None, APPENDED),
                        lambda: client.uid("MOVE", "2", "Archive"),
                        lambda: client.copy("1", "Sent")):
            status, data = command()
            assert status == "OK", data
    finally:
        client.logout()


def mailbox_state(host: str, port: int, user: str) -> dict[str, tuple[dict[str, str], list[tuple[int, set[str]]]]]:
    """Per folder: STATUS (UIDVALIDITY UIDNEXT MESSAGES) and each message's
    UID and flags (\\Recent left out: it is per session), read-only."""
    client = imaplib.IMAP4(host, port, timeout=20)
    try:
        client.login(user, PASSWORD)
        found = {}
        for folder in ("INBOX", "Archive", "Sent"):
            status, data = client.status(folder, "(UIDVALIDITY UIDNEXT MESSAGES)")
            assert status == "OK", data
            words = data[0].decode().split("(", 1)[1].rstrip(")").split()
            counters = dict(zip(words[::2], words[1::2]))
            client.select(folder, readonly=True)
            status, data = client.fetch("1:*", "(UID FLAGS)")
            assert status == "OK", data
            messages = []
            for line in data:
                match = re.search(rb"UID (\d+)", line or b"")
                flags = re.search(rb"FLAGS \(([^)]*)\)", line or b"")
                if match and flags:
                    messages.append((int(match.group(1)), set(flags.group(1).decode().split()) - {"\\Recent"}))
            found[folder] = (counters, sorted(messages, key=lambda m: m[0]))
            client.close()
        return found
    finally:
        client.logout()


@pytest.mark.parametrize("writer", ["sims", "dovecot"])
def test_the_other_server_reads_the_same_mailbox(scratch, sims_server, writer):
    """SIMS keeps its Maildir as Dovecot does (dovecot-uidlist,
    dovecot-keywords, Maildir++ folders, flags in file names): after one
    server's changes, the other one, started on a copy of that Maildir,
    reports the same UIDVALIDITY, UIDNEXT, UIDs, flags and keywords."""
    require_dovecot_imap()
    dovecot_root = scratch / "dovecot"
    dovecot_root.mkdir()
    sims = sims_server({"imap.allow_plaintext": True, "log.modules.IMAP": 4})
    sims.add_account(SIMS_USER, PASSWORD)
    sims_maildir = sims.maildir(SIMS_USER)
    if writer == "sims":
        seed_into(sims_maildir)
        exercise("127.0.0.1", sims.imap_port, SIMS_USER)
        written = mailbox_state("127.0.0.1", sims.imap_port, SIMS_USER)
        maildir = dovecot_root / "Maildir"
        shutil.copytree(sims_maildir, maildir)
        with dovecot_imap(maildir, USER, PASSWORD, instance=dovecot_root / "instance",
                          extra_config=DOVECOT_LIKE_SIMS) as (host, port):
            read = mailbox_state(host, port, USER)
    else:
        maildir = seed_maildir(dovecot_root)
        with dovecot_imap(maildir, USER, PASSWORD, instance=dovecot_root / "instance",
                          extra_config=DOVECOT_LIKE_SIMS) as (host, port):
            exercise(host, port, USER)
            written = mailbox_state(host, port, USER)
        # Into the SIMS account before anyone has logged in there.
        shutil.rmtree(sims_maildir, ignore_errors=True)
        shutil.copytree(maildir, sims_maildir)
        read = mailbox_state("127.0.0.1", sims.imap_port, SIMS_USER)
    assert read == written, f"written by {writer}: {written}\nread by the other: {read}\n{sims.log_text()[-4000:]}"


def test_sims_imap4rev2_session_select(sims_server):
    """SIMS only (Dovecot 2.3 has no IMAP4rev2): after ENABLE IMAP4rev2, a
    SELECT or EXAMINE while a mailbox is selected closes it, and RFC 9051
    § 6.3.2 says the server MUST send an untagged OK [CLOSED] then (§ 7.1:
    the boundary between the old mailbox's responses and the new one's),
    before the new mailbox's FLAGS/EXISTS. A first SELECT, with nothing
    selected, has no [CLOSED]. § 6.3.2 also requires, among the untagged
    data of every SELECT/EXAMINE, a LIST response naming the mailbox with
    its attributes. IMAP4rev2 drops RECENT (RFC 9051 appendix E) and
    answers SEARCH with ESEARCH (§ 6.4.4)."""
    server = start_sims(sims_server)
    steps = transcript(server.host, server.port, server.user, server.password, [
        "LOGIN $USER $PASSWORD", "ENABLE IMAP4rev2", "SELECT INBOX", "EXAMINE Archive", "SELECT INBOX",
        "SEARCH UNSEEN", "LOGOUT"])
    shown = "\n".join(render(steps)) + "\n--- SIMS log:\n" + server.log_text()[-3000:]
    s = by_command(steps)
    assert s["ENABLE IMAP4rev2"].untagged == ["* ENABLED IMAP4REV2"] or \
        s["ENABLE IMAP4rev2"].untagged == ["* ENABLED IMAP4rev2"], shown
    first, examine, again = steps[3], steps[4], steps[5]
    problems = []  # every broken rule at once, not only the first
    if "* OK [CLOSED]" in first.untagged:
        problems.append("[CLOSED] on the first SELECT, with nothing selected")
    for number, (step, mailbox) in enumerate(((first, "INBOX"), (examine, "Archive"), (again, "INBOX")), 1):
        if not any(re.match(rf'^\* LIST \([^)]*\) "/" {mailbox}$', u) for u in step.untagged):
            problems.append(f"no LIST response for {mailbox} in {step.command} (#{number})")
        if any(u.endswith(" RECENT") for u in step.untagged):
            problems.append(f"RECENT in {step.command} (#{number})")
        if number > 1 and step.untagged[:1] != ["* OK [CLOSED]"]:
            problems.append(f"no leading * OK [CLOSED] in {step.command} (#{number})")
    assert problems == [], "\n".join(problems) + "\n" + shown
    assert s["SEARCH UNSEEN"].untagged == ['* ESEARCH (TAG "A006") ALL 1:3'], shown
