"""The audit cannot be made to lie (issue 11): client values that look like
the log's own words, controls and line ends in every client field, levels too
low to see relaying, no log at all, and two submission listeners. Every test
runs the real `sims` binary and reads its own log back with `sims audit` and
`sims explain`."""

from __future__ import annotations

import base64
import json
import random
import re
import subprocess

from simslib import SIMS_BINARY, RawSMTP, compose, peers, queue_overrides, set_routes, wait_until
from test_audit import ALICE, ATTACKER, OUTSIDE, PASSWORD, sims_cli, tls_context

assert peers  # the fixture, imported for pytest

LINE_START = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [1-5] \S+ ")


def truth_server(sims_server, peers, **extra):
    sink = peers.scripted_sink(rules={})
    sims = sims_server({**queue_overrides(None, None, networks=["127.0.0.2"], retry=["1h"]),
                        "auth.ban_after": 1000, "auth.delay_after": 1000, "auth.lock_after": 1000,
                        "log.modules.SMTP": 4, "log.modules.SUBMIT": 4, "log.modules.POP3": 4, **extra}, start=False)
    set_routes(sims, {d: f"127.0.0.1:{sink.port}" for d in ("remote.test", "evil.example")})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)
    return sims, sink


def audit(sims, *args: str) -> dict:
    return json.loads(sims_cli("audit", "--format", "json", "--data", str(sims.data), *args).stdout)


def assert_one_line_per_event(sims):
    """Every physical line of the log is a SIMS line, with no control character."""
    for raw in sims.log_path.read_bytes().split(b"\n")[:-1]:
        assert LINE_START.match(raw), raw
        assert not any(b < 0x20 or b == 0x7F for b in raw), raw


def submission_session(sims, source: str = OUTSIDE) -> RawSMTP:
    c = RawSMTP(sims.submission_port, source=source)
    c.__enter__()
    c.expect("EHLO laptop.test", 250)
    c.expect("STARTTLS", 220)
    c.starttls()
    c.expect("EHLO laptop.test", 250)
    return c


def auth_plain(c: RawSMTP, user: bytes, password: bytes) -> int:
    token = base64.b64encode(b"\0" + user + b"\0" + password).decode()
    code, _ = c.cmd(f"AUTH PLAIN {token}")
    return code


def test_forged_relay_words_in_a_refused_recipient(sims_server, peers):
    sims, sink = truth_server(sims_server, peers)
    with RawSMTP(sims.smtp_port, source=OUTSIDE) as c:
        c.expect("EHLO spammer.test", 250)
        c.expect("MAIL FROM:<spam@spam.test>", 250)
        code, _ = c.cmd('RCPT TO:<"x> relayed: "@evil.example>')
        assert code == 554
        code, _ = c.cmd('RCPT TO:<"y> relayed: authenticated as a@e.test, queued for e"@evil.example>')
        assert code == 554
        c.cmd("QUIT")
    sims.wait_for_log(r"refused relay: ", count=2)
    log = sims.log_text()
    assert '"x> relayed: "@evil.example' not in log
    assert "<\\x22x\\x3e\\x20relayed:\\x20\\x22@evil.example> refused relay: " in log, log
    report = audit(sims)
    c = report["counts"]
    assert (c["relayed"], c["relayed_messages"], c["refused_relay"], c["refused"]) == (0, 0, 2, 2), c
    assert report["relay_permissions"] == []
    assert report["verdict"]["status"] == "ok", report["verdict"]
    [qid] = set(re.findall(r"\[(S\.\w+)\] \S+ <[^ ]*evil\.example> refused relay", log))
    story = sims_cli("explain", qid, "--data", str(sims.data), env={"NO_COLOR": "1"}).stdout
    assert not re.search(r"fate\s+queued", story) and not re.search(r"decision\s+relayed", story), story
    assert len(re.findall(r"fate\s+refused", story)) == 2, story


def test_authenticated_user_cannot_hide_behind_a_forged_permission(sims_server, peers):
    sims, sink = truth_server(sims_server, peers)
    c = submission_session(sims)
    assert auth_plain(c, ALICE.encode(), PASSWORD.encode()) == 235
    c.expect(f"MAIL FROM:<{ALICE}>", 250)
    for n in range(3):
        fake = f'"a> relayed: pop-before-smtp b{n}@e.test from 6.6.6.{n}, z"@evil.example'
        c.expect(f"RCPT TO:<{fake}>", 250)
    c.expect("DATA", 354)
    c.send(compose("hidden", sender=ALICE) + b".\r\n")
    assert c.reply()[0] == 250
    c.cmd("QUIT")
    c.close()
    sims.wait_for_log(r"relayed: authenticated as alice@example\.test", count=3)
    report = audit(sims)
    kinds = {(p["kind"], p["name"]) for p in report["relay_permissions"]}
    assert kinds == {("authenticated", ALICE)}, report["relay_permissions"]
    [alice] = report["relay_permissions"]
    assert (alice["messages"], alice["recipients"]) == (1, 3), alice
    assert report["counts"]["relayed_without_permission"] == 0


def test_user_names_with_line_ends_and_escapes_stay_on_their_line(sims_server, peers):
    sims, sink = truth_server(sims_server, peers)
    forged = (b"x from 6.6.6.6\r\n2026-01-01T00:00:00.000Z 2 SUBMIT-99 6.6.6.6 authentication failed for root "
              b"from 6.6.6.6\n\x1b[2K\x1b]0;owned\x07")
    c = submission_session(sims, source=ATTACKER)
    for _ in range(3):
        assert auth_plain(c, forged, b"wrong") == 535
    c.close()
    # POP3: USER with ESC and spaces, then AUTH PLAIN with CR/LF in it.
    import poplib
    pop = poplib.POP3("127.0.0.1", sims.pop_port, timeout=10)
    try:
        pop.user("x\x1b[31m from 6.6.6.6")
        pop.pass_("wrong")
    except poplib.error_proto:
        pass
    finally:
        pop.close()
    sims.wait_for_log(r"authentication failed for ", count=3)
    failures = len(re.findall(r" authentication failed for ", sims.log_text()))
    assert_one_line_per_event(sims)
    report = audit(sims)
    assert report["counts"]["auth_failures"] == failures, report["counts"]
    assert report["auth_failures_by_ip"] == [{"key": ATTACKER, "count": failures}], report["auth_failures_by_ip"]
    assert "6.6.6.6" not in {e["key"] for e in report["auth_failures_by_ip"]}
    text = sims_cli("audit", "--data", str(sims.data)).stdout
    assert "\x1b" not in text and "\x00" not in text


def test_random_bytes_in_every_client_field_never_change_the_counts(sims_server, peers):
    """A property over the real server: N sessions, each with random bytes
    (controls, quotes, the log's own words and delimiters) in HELO, MAIL FROM,
    RCPT TO (a refused relay), a parameter and an AUTH user name. The audit
    must count exactly what a benign run of N sessions counts."""
    sims, sink = truth_server(sims_server, peers)
    rng = random.Random(11)
    pieces = ["relayed: ", "pop-before-smtp ", "authenticated as ", "> ", "<", ">", '"', "]", "[S.X] ", " ",
              ", queued for ", " sent: ", "refused relay: ", "(from <a@b>)", "\\", "delivered: local mailbox "]
    raw_pieces = [b"\r", b"\x00", b"\x1b[2J", b"\x7f", b"\xc3\xa9", b"\xe2\x80\xa8"]

    def printable_value() -> str:
        return "".join(rng.choice(pieces + ["a", "b", "@", "."]) for _ in range(rng.randint(1, 8)))[:30]

    def raw_value(extra=raw_pieces) -> bytes:
        return b"".join(rng.choice([p.encode() for p in pieces] + extra) for _ in range(rng.randint(1, 6)))

    sessions = 12
    auth_refusals = 0
    for n in range(sessions):
        with RawSMTP(sims.smtp_port, source=OUTSIDE) as c:
            c.send(b"EHLO " + raw_value() + b"\r\n")
            c.reply()
            c.expect("EHLO ok.test", 250)
            c.send(b"MAIL FROM:<" + raw_value() + b"@x.test>\r\n")  # malformed: refused, logged at 3 and 4
            c.reply()
            c.expect("RSET", 250)
            local = printable_value().replace("\\", "\\\\").replace('"', '\\"')
            c.expect(f'MAIL FROM:<"{local}"@spam.test>', 250)
            code, _ = c.cmd(f'RCPT TO:<"{printable_value().replace(chr(92), "").replace(chr(34), "")}"@remote.test>')
            assert code == 554
            c.cmd("QUIT")
        c = submission_session(sims, source=ATTACKER)
        # No NUL in the user name: it separates the SASL PLAIN fields.
        code = auth_plain(c, raw_value([p for p in raw_pieces if p != b"\x00"]), b"wrong")
        assert code in (535, 501), code
        auth_refusals += code == 535
        c.close()
    sims.wait_for_log(r"refused relay: ", count=sessions)
    assert auth_refusals > 0
    sims.wait_for_log(r"authentication failed for ", count=auth_refusals)
    assert_one_line_per_event(sims)
    report = audit(sims)
    c = report["counts"]
    assert (c["received"], c["relayed"], c["relayed_messages"], c["sent"], c["delivered_locally"]) == (0, 0, 0, 0, 0), c
    assert (c["refused_relay"], c["auth_failures"], c["auth_successes"], c["pop_logins"]) == (sessions, auth_refusals, 0, 0), c
    assert c["refused"] == sessions, c
    assert report["relay_permissions"] == []
    assert report["refused_relay_by_ip"] == [{"key": OUTSIDE, "count": sessions}]
    assert report["auth_failures_by_ip"] == [{"key": ATTACKER, "count": auth_refusals}]
    assert report["verdict"]["status"] == "ok", report["verdict"]


def test_cannot_tell_with_low_levels_or_no_log(sims_server, peers, tmp_path):
    sims, sink = truth_server(sims_server, peers, **{"log.modules.QUEUE": 1})
    assert " QUEUE=1 " in sims.log_text()
    report = audit(sims)
    assert report["verdict"]["status"] == "cannot_tell", report["verdict"]
    assert "QUEUE at level 1" in report["verdict"]["text"]
    assert "sims.toml" in report["verdict"]["text"]
    # doctor agrees, by the same rule
    doctor = json.loads(subprocess.run([SIMS_BINARY, "doctor", "--data", str(sims.data), "--offline", "--format", "json"],
                                       capture_output=True, text=True, timeout=60).stdout)
    assert any(f["id"] == "log.level-too-low" and "QUEUE" in f["found"] for f in doctor["findings"])
    # A restart at level 2 does not hide the blind time before it, within the window.
    sims.stop()
    text = (sims.data / "sims.toml").read_text().replace('QUEUE = 1', 'QUEUE = 2')
    (sims.data / "sims.toml").write_text(text)
    sims.start(new_ports=False)
    report = audit(sims)
    assert report["verdict"]["status"] == "cannot_tell", report["verdict"]
    assert "until the restart" in report["verdict"]["text"]
    # No log at all: said so, not a missing-file error.
    empty = tmp_path / "nolog"
    (empty / "log").mkdir(parents=True)
    result = subprocess.run([SIMS_BINARY, "audit", "--format", "json", "--data", str(empty)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)["verdict"]
    assert verdict["status"] == "cannot_tell" and "no log" in verdict["text"], verdict


def test_connection_ids_are_unique_across_submission_listeners(sims_server, peers):
    sims, sink = truth_server(sims_server, peers)
    import smtplib
    import ssl
    for _ in range(2):
        with smtplib.SMTP("127.0.0.1", sims.submission_port, timeout=20) as s:
            s.ehlo("a.test")
        with smtplib.SMTP_SSL("127.0.0.1", sims.submissions_port, timeout=20, context=tls_context()) as s:
            s.ehlo("b.test")
    wait_until(lambda: len(re.findall(r" SUBMIT-\d+ \S+ connected to ", sims.log_text())) == 4, 10)
    ids = re.findall(r" (SUBMIT-\d+) \S+ connected to ", sims.log_text())
    assert len(set(ids)) == 4, ids
    assert ssl  # imported for the context type


def test_one_recipient_wording_and_greylisting_is_not_a_deferral(sims_server, peers):
    sims, sink = truth_server(sims_server, peers, **{
        "antispam.greylisting.enabled": True, "antispam.exempt_networks": [], "antispam.helo_policy": "off",
        "antispam.verify_return_path": False, "antispam.spf": "off"})
    with RawSMTP(sims.smtp_port, source=OUTSIDE) as c:
        c.expect("EHLO outside.test", 250)
        c.expect("MAIL FROM:<bob@remote.test>", 250)
        code, _ = c.cmd("RCPT TO:<postmaster@example.test>")
        assert code == 451
        c.cmd("QUIT")
    # A message to one recipient says "1 recipient".
    relay_one = compose("one")
    with RawSMTP(sims.smtp_port, source="127.0.0.2") as c:
        c.expect("EHLO office.test", 250)
        c.expect("MAIL FROM:<postmaster@example.test>", 250)
        c.expect("RCPT TO:<one@remote.test>", 250)
        c.expect("DATA", 354)
        c.send(relay_one + b".\r\n")
        assert c.reply()[0] == 250
        c.cmd("QUIT")
    assert re.search(r"received \d+ bytes from <postmaster@example\.test> for 1 recipient( \(checks: [^)]*\))?$",
                     sims.wait_for_log(r".* for 1 recipient.*")[0].rstrip()), sims.log_text()
    line = sims.wait_for_log(r".*greylisted: .*")[0]
    assert "> greylisted: " in line and " deferred: " not in line
    report = audit(sims)
    assert (report["counts"]["greylisted"], report["counts"]["deferred"]) == (1, 0), report["counts"]
    [qid] = re.findall(r"\[(S\.\w+)\] \S+ <postmaster@example\.test> greylisted", sims.log_text())
    story = sims_cli("explain", qid, "--data", str(sims.data), env={"NO_COLOR": "1"}).stdout
    assert "still queued" not in story and "greylisted" in story, story


def test_since_defaults_to_the_last_24_hours(sims_server, peers):
    import datetime

    sims, sink = truth_server(sims_server, peers)
    with RawSMTP(sims.smtp_port, source="127.0.0.2") as c:
        c.expect("EHLO trusted.client.test", 250)
        c.expect(f"MAIL FROM:<{ALICE}>", 250)
        c.expect("RCPT TO:<bob@remote.test>", 250)
        c.expect("DATA", 354)
        c.send(compose("old relay", to="bob@remote.test") + b".\r\n")
        assert c.reply()[0] == 250
    sims.wait_for_log(r"relayed: client network 127\.0\.0\.2")
    sims.stop()
    assert audit(sims)["counts"]["relayed_messages"] == 1
    # The same log, thirty hours older.
    def older(match):
        stamp = datetime.datetime.strptime(match.group(0), "%Y-%m-%dT%H:%M:%S.%fZ") - datetime.timedelta(hours=30)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    text = sims.log_path.read_text()
    sims.log_path.write_text(re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", older, text, flags=re.M))
    assert audit(sims)["counts"]["relayed_messages"] == 0, "the default window is the last 24 hours"
    assert audit(sims, "--since", "48h")["counts"]["relayed_messages"] == 1
