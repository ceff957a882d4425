"""Rate limits, the recipient-probing tarpit and greylisting (issue 6), with
windows and delays shortened through sims.toml.

Loopback clients are exempt from every check by default, so each server here
sets `antispam.exempt_networks = []`, and turns off the checks that would need
DNS (HELO, return path, SPF). Clients connect from chosen 127.0.0.x addresses;
127.0.0.9 is put in `relay.client_networks` where a test needs a trusted one.
"""

from __future__ import annotations

import base64
import re
import subprocess
import time

from simslib import DOMAIN, POSTMASTER, RawSMTP, require_tool, wait_until

ALICE = f"alice@{DOMAIN}"
PASSWORD = "Tr0ub4dor&3-horse"
PROBER = "127.0.0.7"
OTHER = "127.0.0.8"
TRUSTED = "127.0.0.9"

# Every check on for loopback clients, none needing DNS; level 3 shows refusals.
CHECKED = {
    "antispam.exempt_networks": [],
    "antispam.helo_policy": "off",
    "antispam.verify_return_path": False,
    "antispam.spf": "off",
    "log.level": 3,
}

# Wall-clock bounds for the tarpit, whose pauses are 300 ms, then 600 ms: a
# reply without a pause takes milliseconds; one with a pause at least 300 ms.
FAST = 0.25
SLOW = 0.25


def checked_server(sims_server, **overrides):
    return sims_server({**CHECKED, **overrides})


def timed(c: RawSMTP, line: str) -> tuple[int, str, float]:
    start = time.monotonic()
    code, text = c.cmd(line)
    return code, text, time.monotonic() - start


def authenticated(sims, source: str) -> RawSMTP:
    """A submission session from `source`, after STARTTLS and AUTH PLAIN as alice."""
    c = RawSMTP(sims.submission_port, source=source)
    c.expect("EHLO submit.client.test", 250)
    c.expect("STARTTLS", 220)
    c.starttls()
    c.expect("EHLO submit.client.test", 250)
    token = base64.b64encode(f"\0{ALICE}\0{PASSWORD}".encode()).decode()
    c.expect(f"AUTH PLAIN {token}", 235, "2.7.0")
    return c


def send_message(c: RawSMTP, sender: str, recipient: str = POSTMASTER, subject: str = "limits"):
    c.expect(f"MAIL FROM:<{sender}>", 250)
    c.expect(f"RCPT TO:<{recipient}>", 250)
    c.expect("DATA", 354)
    c.send(f"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n\r\nhello\r\n.\r\n")
    code, text = c.reply()
    assert code == 250, f"end of data: {code} {text}"


# --------------------------------------------------------------------------
# Rate limits
# --------------------------------------------------------------------------


def test_connections_per_minute_per_address(sims_server):
    sims = checked_server(sims_server, **{"limits.rate.connections_per_minute": 2, "relay.client_networks": [TRUSTED]})
    for _ in range(2):
        with sims.smtp(source=PROBER) as c:
            assert c.greeting[0] == 220, c.greeting
            c.expect("QUIT", 221)
    with sims.smtp(source=PROBER) as c:
        code, text = c.greeting
        assert (code, text[:5]) == (421, "4.7.0"), c.greeting
        assert "Too many connections from 127.0.0.7: 2 per minute" in text, text
        assert c.closed_by_server(), "the server kept the refused connection open"
    # Another address has its own allowance; a client network has none.
    for _ in range(2):
        with sims.smtp(source=OTHER) as c:
            assert c.greeting[0] == 220, c.greeting
    for _ in range(4):
        with sims.smtp(source=TRUSTED) as c:
            assert c.greeting[0] == 220, c.greeting
    # Still refused: a refusal is not an opportunity to try again at once.
    with sims.smtp(source=PROBER) as c:
        assert c.greeting[0] == 421, c.greeting
    hits = sims.wait_for_log(r"refused: rate limit: .*Too many connections from (127\.0\.0\.\d+)", count=2)
    assert set(hits) == {PROBER}, hits


def test_messages_per_hour_per_address_across_connections(sims_server):
    sims = checked_server(sims_server, **{"limits.rate.messages_per_hour": 2})
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO first.client.test", 250)
        send_message(c, "s@remote.test")
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO second.client.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RSET", 250)
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO third.client.test", 250)
        code, text = c.cmd("MAIL FROM:<s@remote.test>")
        assert (code, text[:5]) == (451, "4.7.1"), (code, text)
        assert "Too many messages from 127.0.0.7: 2 per hour" in text, text
        # A temporary refusal: the session goes on, and stays refused.
        c.expect("NOOP", 250)
        code, _ = c.cmd("MAIL FROM:<other@remote.test>")
        assert code == 451
    with sims.smtp(source=OTHER) as c:
        c.expect("EHLO other.client.test", 250)
        send_message(c, "s@remote.test")
    sims.wait_for_log(r"refused: rate limit: .*Too many messages from 127\.0\.0\.7.*\(from <s@remote\.test>\)")
    assert len(sims.mail_files()) == 2


def test_recipients_per_hour_per_address(sims_server):
    sims = checked_server(sims_server, **{"limits.rate.recipients_per_hour": 3})
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO rcpt.client.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        # An unknown recipient is refused before it is counted.
        code, _ = c.cmd(f"RCPT TO:<nobody@{DOMAIN}>")
        assert code == 550
        # Spelled differently each time: one address given twice is merged, not counted.
        for spelling in ("postmaster", "Postmaster", "POSTMASTER"):
            c.expect(f"RCPT TO:<{spelling}@{DOMAIN}>", 250)
        code, text = c.cmd(f"RCPT TO:<postMaster@{DOMAIN}>")
        assert (code, text[:5]) == (451, "4.7.1"), (code, text)
        assert "Too many recipients from 127.0.0.7: 3 per hour" in text, text
        c.expect("DATA", 354)
        c.send("Subject: three\r\n\r\nhello\r\n.\r\n")
        assert c.reply()[0] == 250
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO rcpt.client.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        code, text = c.cmd(f"RCPT TO:<{POSTMASTER}>")
        assert (code, text[:5]) == (451, "4.7.1"), (code, text)
    with sims.smtp(source=OTHER) as c:
        c.expect("EHLO other.client.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
    sims.wait_for_log(r"<(?i:postmaster)@example\.test> refused: rate limit: .*Too many recipients from 127\.0\.0\.7", count=2)


def test_user_messages_per_hour_follow_the_user_not_the_address(sims_server):
    sims = checked_server(sims_server, **{"limits.rate.user_messages_per_hour": 1, "limits.rate.messages_per_hour": 1})
    sims.add_account(ALICE, PASSWORD)
    # The address uses up its own allowance on port 25 first: the user's is separate.
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO plain.client.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RSET", 250)
        assert c.cmd("MAIL FROM:<s@remote.test>")[0] == 451
    with authenticated(sims, PROBER) as c:
        send_message(c, ALICE, subject="first")
        code, text = c.cmd(f"MAIL FROM:<{ALICE}>")
        assert (code, text[:5]) == (451, "4.7.1"), (code, text)
        assert "Too many messages from alice@example.test: 1 per hour" in text, text
    # From another address, the same user is still over the limit.
    with authenticated(sims, OTHER) as c:
        code, text = c.cmd(f"MAIL FROM:<{ALICE}>")
        assert (code, text[:5]) == (451, "4.7.1"), (code, text)
    sims.wait_for_log(r"refused: rate limit: .*Too many messages from alice@example\.test", count=2)
    assert len(sims.mail_files()) == 1


# --------------------------------------------------------------------------
# Tarpit for recipient probing
# --------------------------------------------------------------------------

TARPIT = {
    "antispam.tarpit.free_unknown_recipients": 1,
    "antispam.tarpit.first_delay": "300ms",
    "antispam.tarpit.maximum_delay": "600ms",
    "antispam.tarpit.drop_after": 4,
}


def test_tarpit_slows_unknown_recipients_then_drops_and_penalises(sims_server):
    sims = checked_server(sims_server, **TARPIT, **{"relay.client_networks": [TRUSTED]})
    sims.add_account(ALICE, PASSWORD)
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO prober.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        code, _, first = timed(c, f"RCPT TO:<guess1@{DOMAIN}>")
        assert code == 550 and first < FAST, (code, first)
        code, _, second = timed(c, f"RCPT TO:<guess2@{DOMAIN}>")
        assert code == 550 and second >= SLOW, (code, second)
        code, _, known = timed(c, f"RCPT TO:<{POSTMASTER}>")
        assert code == 250 and known < FAST, (code, known)
        code, _, third = timed(c, f"RCPT TO:<guess3@{DOMAIN}>")
        assert code == 550 and third >= 2 * SLOW, (code, third)
        code, text, fourth = timed(c, f"RCPT TO:<guess4@{DOMAIN}>")
        assert (code, text[:5]) == (421, "4.7.0") and "Too many unknown recipients" in text, (code, text)
        assert fourth >= 2 * SLOW, fourth  # the drop comes after the (maximum) pause too
        assert c.closed_by_server(), "the server kept the probing session open"
    sims.wait_for_log(r"refused: dictionary attack: 4 unknown recipients, session dropped, 127\.0\.0\.7 slowed down")
    log = sims.log_since_start()
    assert re.search(r"tarpit: unknown recipient <guess2@example\.test>, answering after", log), log
    assert not re.search(r"tarpit: unknown recipient <guess1@example\.test>", log), log

    # The penalised address gets no free guess in its next session; another address does.
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO prober.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        code, _, known = timed(c, f"RCPT TO:<{POSTMASTER}>")
        assert code == 250 and known < FAST, (code, known)
        code, _, first = timed(c, f"RCPT TO:<again1@{DOMAIN}>")
        assert code == 550 and first >= SLOW, (code, first)
    with sims.smtp(source=OTHER) as c:
        c.expect("EHLO innocent.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        code, _, first = timed(c, f"RCPT TO:<typo@{DOMAIN}>")
        assert code == 550 and first < FAST, (code, first)
    sims.wait_for_log(r"tarpit: 127\.0\.0\.7 probed for recipients recently")

    # Authenticated users (even from the penalised address) and client networks are never tarpitted.
    # Five unknown recipients each: tarpitted, they would wait 0.9 s or more, and the 4th would get a 421.
    with authenticated(sims, PROBER) as c:
        c.expect(f"MAIL FROM:<{ALICE}>", 250)
        took = [timed(c, f"RCPT TO:<user{n}@{DOMAIN}>") for n in range(5)]
        assert [code for code, _, _ in took] == [550] * 5, took
        assert sum(t for _, _, t in took) < 3 * FAST, took
        c.expect("NOOP", 250)
    with sims.smtp(source=TRUSTED) as c:
        c.expect("EHLO trusted.test", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        took = [timed(c, f"RCPT TO:<staff{n}@{DOMAIN}>") for n in range(5)]
        assert [code for code, _, _ in took] == [550] * 5, took
        assert sum(t for _, _, t in took) < 3 * FAST, took
        c.expect("NOOP", 250)
    log = sims.log_since_start()
    assert log.count("refused: dictionary attack") == 1, log
    assert not re.search(r"tarpit: unknown recipient <(user|staff)\d", log), log


def nmap_enum_users(nmap: str, port: int, *args: str) -> str:
    """smtp-enum-users by RCPT against example.test; its result block ("+" forces
    the script although the port is not 25/465/587)."""
    result = subprocess.run(
        [nmap, "-Pn", "-n", "-p", str(port), "--script", "+smtp-enum-users", "--script-args",
         ",".join(["smtp-enum-users.methods={RCPT}", "smtp-enum-users.domain=example.test", *args]), "127.0.0.1"],
        capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    block = re.search(r"^\|_?\s*smtp-enum-users:.*(?:\n\|.*)*", output, re.M)
    assert block, f"nmap printed no smtp-enum-users result:\n{output}"
    return block.group(0)


def test_nmap_smtp_enum_users_against_the_tarpit(sims_server, tmp_path):
    nmap = require_tool("nmap", ["/usr/bin/nmap"])
    sims = checked_server(sims_server, **TARPIT, **{"limits.errors_per_session": 1000})
    sims.add_account(ALICE, PASSWORD)
    # Its own list (root, admin, …): nothing. nmap 7.93 re-sends MAIL after a
    # 550 (503 nested MAIL) and stops there, so this run guesses once.
    found = nmap_enum_users(nmap, sims.smtp_port)
    assert "Couldn't find any accounts" in found, found
    # A list that starts with a real address keeps nmap's transaction open, so
    # it goes on guessing: the session is dropped before it gets to alice.
    users = tmp_path / "users.txt"
    users.write_text("postmaster\nroot\nadmin\nguest\ntest\nalice\nwebmaster\n")
    found = nmap_enum_users(nmap, sims.smtp_port, f"userdb={users}")
    assert "postmaster" in found, found  # RFC 5321 § 4.5.1: it must exist
    assert not re.search(r"\b(alice|root|admin|guest|test|webmaster)\b", found), found
    sims.wait_for_log(r"refused: dictionary attack: 4 unknown recipients, session dropped, 127\.0\.0\.1 slowed down")
    assert "<alice@example.test>" not in sims.log_since_start()


# --------------------------------------------------------------------------
# Greylisting
# --------------------------------------------------------------------------


def attempt(sims, source: str, sender: str, recipient: str = POSTMASTER) -> tuple[int, str]:
    """One delivery attempt as a retrying MTA makes it: a new connection, MAIL, RCPT."""
    with sims.smtp(source=source) as c:
        c.expect("EHLO mta.remote.test", 250)
        c.expect(f"MAIL FROM:<{sender}>", 250)
        return c.cmd(f"RCPT TO:<{recipient}>")


def test_greylisting_defers_a_new_triplet_until_the_delay_has_passed(sims_server):
    sims = checked_server(sims_server, **{"antispam.greylisting.enabled": True, "antispam.greylisting.delay": "1s",
                                          "relay.client_networks": [TRUSTED]})
    start = time.monotonic()
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO mta.remote.test", 250)
        c.expect("MAIL FROM:<news@remote.test>", 250)
        code, text = c.cmd(f"RCPT TO:<{POSTMASTER}>")
        assert (code, text) == (451, "4.7.1 Greylisted, try again in 1s"), (code, text)
        # A retry within the delay (here in the same session, at once) is refused again.
        c.expect("RSET", 250)
        c.expect("MAIL FROM:<news@remote.test>", 250)
        code, text = c.cmd(f"RCPT TO:<{POSTMASTER}>")
        assert time.monotonic() - start < 0.9, "the host is too slow to retry within the delay"
        assert (code, text[:16]) == (451, "4.7.1 Greylisted"), (code, text)
    # An unknown recipient still gets its 550, not a 451.
    assert attempt(sims, PROBER, "news@remote.test", f"nobody@{DOMAIN}")[0] == 550

    def retried():
        code, text = attempt(sims, PROBER, "news@remote.test")
        assert code in (250, 451), (code, text)
        return code == 250

    wait_until(retried, timeout=10, interval=0.2, what="the greylisted triplet to pass")
    assert time.monotonic() - start >= 0.95
    with sims.smtp(source=PROBER) as c:
        c.expect("EHLO mta.remote.test", 250)
        send_message(c, "news@remote.test", subject="after greylisting")
    assert len(sims.mail_files()) == 1

    # The triplet is per /24: a neighbour of the same farm passes; a new sender does not.
    assert attempt(sims, OTHER, "news@remote.test")[0] == 250
    code, text = attempt(sims, PROBER, "other@remote.test")
    assert (code, text[:16]) == (451, "4.7.1 Greylisted"), (code, text)
    # A client network is never greylisted.
    assert attempt(sims, TRUSTED, "first-time@remote.test")[0] == 250

    log = sims.log_since_start()
    assert re.search(r"<postmaster@example\.test> greylisted: greylisted \(127\.0\.0\.0/24, <news@remote\.test>, "
                     r"<postmaster@example\.test>\), retry in 1s", log), log
    assert not [line for line in log.splitlines() if "greylisted" in line and "first-time" in line], log
