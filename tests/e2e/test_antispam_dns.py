"""Anti-spam checks that ask DNS (issue 6): DNS blocklists served by rbldnsd,
HELO verification, return-path verification and SPF against a dnslib zone, a
DNS server that never answers (fail open, or 450 where the RFC wants a retry).
Loopback clients are exempt by default, so every server here clears
`antispam.exempt_networks` and is checked like a stranger."""

from __future__ import annotations

import base64
import re
import socket

import pytest

from simslib import POSTMASTER, RawSMTP, Rbldnsd, peers, zone

assert peers  # the fixture, imported for pytest

LISTED_REASON = "Listed for testing: $ is a test spammer"
BLOCKLISTS = {
    "bl.test": ("ip4set", f":127.0.0.2:{LISTED_REASON}\n127.0.0.2\n127.0.0.3\n"),
    "dbl.test": ("dnset", ":127.0.1.2:Domain listed: $\nspammer.test\n"),
}
# Every check off; each test switches on what it is about.
QUIET = {"log.modules.SMTP": 3, "antispam.exempt_networks": [], "antispam.helo_policy": "off", "antispam.verify_return_path": False,
         "antispam.spf": "off", "antispam.dns_timeout": "1s"}


@pytest.fixture
def rbldnsd(tmp_path):
    server = Rbldnsd(BLOCKLISTS, tmp_path)
    yield server
    server.stop()


def blocklisted_server(sims_server, dns_address: str, **extra):
    overrides = dict(QUIET)
    overrides.update({"delivery.dns_servers": [dns_address]})
    overrides.update(extra)
    sims = sims_server(overrides, start=False)
    path = sims.data / "sims.toml"
    path.write_text(path.read_text() + '\n[[antispam.dnsbl]]\nzone = "bl.test"\nlisted = ["127.0.0.2-127.0.0.11"]\n'
                    '\n[[antispam.dnsbl]]\nzone = "dbl.test"\nkind = "domain"\n')
    sims.start(new_ports=False)
    return sims


def greeting(sims, source: str, port: int | None = None) -> tuple[int, str]:
    with RawSMTP(port or sims.smtp_port, source=source) as c:
        return c.greeting


def deliver_from(sims, source: str, helo: str = "client.test", sender: str = "bob@remote.test") -> tuple[int, str]:
    """A message to the postmaster; returns the first refusal or the final 250."""
    with RawSMTP(sims.smtp_port, source=source) as c:
        for line, wanted in ((f"EHLO {helo}", 250), (f"MAIL FROM:<{sender}>", 250), (f"RCPT TO:<{POSTMASTER}>", 250),
                             ("DATA", 354)):
            code, text = c.cmd(line)
            if code != wanted:
                return code, text
        c.send(b"Subject: checked\r\n\r\nhello\r\n.\r\n")
        return c.reply()


def test_listed_client_is_refused_at_connect_with_the_lists_reason(sims_server, rbldnsd):
    sims = blocklisted_server(sims_server, rbldnsd.address)
    code, text = greeting(sims, "127.0.0.2")
    assert code == 554 and text.startswith("5.7.1"), (code, text)
    assert "127.0.0.2" in text and "bl.test" in text and "Listed for testing: 127.0.0.2 is a test spammer" in text
    sims.wait_for_log(r" 127\.0\.0\.2 dnsbl: 127\.0\.0\.2 listed in bl\.test \(127\.0\.0\.2\): Listed for testing")
    sims.wait_for_log(r" 127\.0\.0\.2 refused: .*bl\.test")
    # 127.0.0.9 is not listed: greeted and its mail delivered.
    assert deliver_from(sims, "127.0.0.9")[0] == 250
    assert len(sims.mail_files()) == 1


def test_listed_sender_domain_is_refused_at_mail(sims_server, rbldnsd):
    sims = blocklisted_server(sims_server, rbldnsd.address)
    code, text = deliver_from(sims, "127.0.0.9", sender="eve@spammer.test")
    assert code == 554 and text.startswith("5.7.1") and "spammer.test" in text and "Domain listed" in text
    assert deliver_from(sims, "127.0.0.9", sender="bob@good.test")[0] == 250


def test_authenticated_user_on_a_listed_address_is_not_refused(sims_server, rbldnsd):
    """Port 25 with dnsbl_check = "mail": the listing is looked at only for
    unauthenticated senders; the submission port never checks it."""
    sims = blocklisted_server(sims_server, rbldnsd.address, **{"antispam.dnsbl_check": "mail"})
    sims.add_account("alice@example.test", "s3cret-pass")
    token = base64.b64encode(b"\0alice@example.test\0s3cret-pass").decode()
    for port in (sims.smtp_port, sims.submission_port):
        with RawSMTP(port, source="127.0.0.2") as c:
            c.expect("EHLO client.test", 250)
            c.expect("STARTTLS", 220)
            c.starttls()
            c.expect("EHLO client.test", 250)
            c.expect(f"AUTH PLAIN {token}", 235)
            c.expect("MAIL FROM:<alice@example.test>", 250)
            c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
    # Without AUTH the same address is refused at MAIL, with the reason.
    code, text = deliver_from(sims, "127.0.0.2")
    assert code == 554 and "Listed for testing" in text


def test_blocklist_that_does_not_answer_fails_open(sims_server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        sims = blocklisted_server(sims_server, f"127.0.0.1:{silent.getsockname()[1]}")
        assert deliver_from(sims, "127.0.0.2")[0] == 250
    sims.wait_for_log(r" 3 SMTP-\d+ 127\.0\.0\.2 dnsbl: no answer from bl\.test for 127\.0\.0\.2: .*accepted \(fail open\)")


HELO_ZONE = zone("good.test. A 127.0.0.5", "bad.test. A 192.0.2.1", "remote.test. MX 10 mx.remote.test.",
                 "mx.remote.test. A 192.0.2.25", "nullmx.test. MX 0 .", "aonly.test. A 192.0.2.26",
                 'spf.test. TXT "v=spf1 ip4:127.0.0.5 -all"', "spf.test. MX 10 mx.remote.test.")


def checked_server(sims_server, peers, **extra):
    dns = peers.dns(HELO_ZONE)
    overrides = dict(QUIET)
    overrides.update({"delivery.dns_servers": [dns.address]})
    overrides.update(extra)
    return sims_server(overrides)


def stored_message(sims) -> bytes:
    [path] = sims.mail_files()
    return path.read_bytes()


def test_helo_that_does_not_match_is_logged_and_shown_in_received(sims_server, peers):
    sims = checked_server(sims_server, peers, **{"antispam.helo_policy": "log"})
    assert deliver_from(sims, "127.0.0.5", helo="bad.test")[0] == 250
    sims.wait_for_log(r" 3 SMTP-\d+ 127\.0\.0\.5 HELO hurdle: failed to verify, real address is \[127\.0\.0\.5\] "
                      r"\(bad\.test resolves to 192\.0\.2\.1\)")
    message = stored_message(sims)
    assert message.startswith(b"Received: from bad.test ([127.0.0.5])\r\n"), message
    # A forward-confirmed name is shown as verified.
    for path in sims.mail_files():
        path.unlink()
    assert deliver_from(sims, "127.0.0.5", helo="good.test")[0] == 250
    message = stored_message(sims)
    assert message.startswith(b"Received: from good.test (good.test [127.0.0.5])\r\n"), message
    # The checks' verdicts travel with the message (RFC 8601), under Received.
    assert re.search(rb"\r\nAuthentication-Results: mx\.example\.test;", message), message


def test_helo_policies(sims_server, peers):
    sims = checked_server(sims_server, peers, **{"antispam.helo_policy": "reject"})
    code, text = deliver_from(sims, "127.0.0.5", helo="bad.test")
    assert (code, text[:5]) == (550, "5.7.1") and "failed to verify, real address is [127.0.0.5]" in text
    code, text = deliver_from(sims, "127.0.0.5", helo="missing.test")
    assert (code, text[:5]) == (550, "5.7.1") and "no such domain" in text
    sims.wait_for_log(r"HELO hurdle: failed to verify, real address is \[127\.0\.0\.5\] \(missing\.test does not exist\)")
    # Claiming to be us, or one of our local domains, is refused in every mode.
    for claim in ("mx.example.test", "example.test"):
        code, text = deliver_from(sims, "127.0.0.5", helo=claim)
        assert (code, text[:5]) == (550, "5.7.1") and "you are not us" in text, (claim, code, text)
    assert deliver_from(sims, "127.0.0.5", helo="good.test")[0] == 250


def test_mail_scored_as_spam_below_the_reject_score_goes_to_junk(sims_server, peers):
    """HELO `score` gives 2 points for a name that does not exist: over
    `score_junk`, under `score_reject`. The message is accepted and stored
    in the recipient's Junk folder (created as Dovecot lays it out), the log
    says why; clean mail still goes to INBOX."""
    sims = checked_server(sims_server, peers, **{"antispam.helo_policy": "score", "antispam.score_junk": 1.5,
                                                  "log.modules.SMTP": 3})
    assert deliver_from(sims, "127.0.0.5", helo="missing.test")[0] == 250
    junk = sims.maildir() / ".Junk"
    assert (junk / "maildirfolder").exists()
    [path] = list((junk / "new").iterdir())
    assert b"Subject: checked" in path.read_bytes()
    assert sims.mail_files() == []
    sims.wait_for_log(r"<postmaster@example\.test> delivered: .*folder Junk \(spam score")
    assert deliver_from(sims, "127.0.0.5", helo="good.test")[0] == 250
    assert len(sims.mail_files()) == 1


def test_return_path_must_exist_in_dns(sims_server, peers):
    sims = checked_server(sims_server, peers, **{"antispam.verify_return_path": True})
    assert deliver_from(sims, "127.0.0.5", sender="bob@remote.test")[0] == 250
    assert deliver_from(sims, "127.0.0.5", sender="bob@aonly.test")[0] == 250  # implicit MX
    code, text = deliver_from(sims, "127.0.0.5", sender="bob@nowhere.test")
    assert (code, text[:5]) == (550, "5.1.8") and "nowhere.test does not exist" in text, (code, text)
    code, text = deliver_from(sims, "127.0.0.5", sender="bob@nullmx.test")
    assert code == 550 and text.startswith("5.7.27"), (code, text)
    assert deliver_from(sims, "127.0.0.5", sender="")[0] == 250  # <> is never checked
    sims.wait_for_log(r"refused: return path <bob@nowhere\.test>")


def test_return_path_dns_failure_is_temporary(sims_server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        overrides = dict(QUIET)
        overrides.update({"antispam.verify_return_path": True, "antispam.helo_policy": "log",
                          "delivery.dns_servers": [f"127.0.0.1:{silent.getsockname()[1]}"]})
        sims = sims_server(overrides)
        code, text = deliver_from(sims, "127.0.0.5", sender="bob@remote.test")
    assert (code, text[:5]) == (450, "4.1.8"), (code, text)
    # The HELO check could not verify either, and said so without refusing.
    sims.wait_for_log(r"HELO hurdle: cannot verify client\.test now .*; accepted")


def test_spf_result_in_headers_and_reject_on_fail(sims_server, peers):
    sims = checked_server(sims_server, peers, **{"antispam.spf": "header"})
    assert deliver_from(sims, "127.0.0.5", helo="good.test", sender="bob@spf.test")[0] == 250
    message = stored_message(sims)
    assert re.search(rb"Authentication-Results: mx\.example\.test;\s+spf=pass smtp\.mailfrom=bob@spf\.test", message), message
    # The HELO identity is checked too (RFC 7208 § 2.3): good.test publishes no SPF record.
    assert re.search(rb";\s+spf=none smtp\.helo=good\.test", message), message
    assert b"Received-SPF: pass" in message
    sims.wait_for_log(r"spf: pass .* for <bob@spf\.test> from 127\.0\.0\.5")
    sims.wait_for_log(r"received \d+ bytes from <bob@spf\.test> for 1 recipient \(checks: .*spf pass")


def test_spf_fail_is_refused_when_asked(sims_server, peers):
    sims = checked_server(sims_server, peers, **{"antispam.spf": "reject"})
    code, text = deliver_from(sims, "127.0.0.6", sender="bob@spf.test")
    assert code == 550 and text.startswith("5.7.23"), (code, text)
    assert deliver_from(sims, "127.0.0.5", sender="bob@spf.test")[0] == 250


def test_forged_authentication_results_in_our_name_are_removed(sims_server, peers):
    """RFC 8601 § 5: only our own verdict may speak for mx.example.test."""
    sims = checked_server(sims_server, peers, **{"antispam.spf": "header"})
    forged = (b"Authentication-Results: mx.example.test;\r\n\tspf=pass smtp.mailfrom=ceo@bank.test\r\n"
              b"Authentication-Results: other.example; spf=pass\r\nSubject: urgent\r\n\r\nwire the money\r\n")
    with RawSMTP(sims.smtp_port, source="127.0.0.6") as c:
        c.expect("EHLO client.test", 250)
        c.expect("MAIL FROM:<bob@spf.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(forged + b".\r\n")
        assert c.reply()[0] == 250
    message = stored_message(sims)
    assert b"ceo@bank.test" not in message
    assert b"Authentication-Results: other.example; spf=pass\r\n" in message  # someone else's: kept
    assert re.search(rb"Authentication-Results: mx\.example\.test;\s+spf=fail", message), message
    sims.wait_for_log(r"removed Authentication-Results claiming to be ours")
