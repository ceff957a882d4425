"""Recipient resolution and live directory changes through the CLI (server running)."""

from __future__ import annotations

import subprocess

from simslib import DOMAIN, POSTMASTER, SIMS_BINARY, parse_received, wait_until


def rcpt_reply(sims, address: str, source: str | None = None) -> tuple[int, str]:
    """One fresh session: EHLO, MAIL, RCPT address → the RCPT reply."""
    with sims.smtp(source=source) as c:
        c.expect("EHLO probe.example", 250)
        c.expect("MAIL FROM:<probe@remote.test>", 250)
        reply = c.cmd(f"RCPT TO:<{address}>")
        c.cmd("QUIT")
        return reply


def eventually_rcpt(sims, address: str, code: int, timeout: float = 5.0) -> tuple[int, str]:
    """Polls (bounded) until RCPT to `address` gets `code`: CLI changes apply live."""
    last = []

    def check():
        last[:] = [rcpt_reply(sims, address)]
        return last[0][0] == code

    try:
        wait_until(check, timeout, interval=0.1, what=f"RCPT <{address}> -> {code}")
    except AssertionError:
        raise AssertionError(f"RCPT <{address}>: expected {code} within {timeout}s, last reply {last[0]}")
    return last[0]


def deliver(sims, recipients: list[str], body: bytes = b"Subject: t\r\n\r\nhi\r\n") -> tuple[int, str]:
    with sims.smtp() as c:
        c.expect("EHLO d.example", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        for r in recipients:
            c.expect(f"RCPT TO:<{r}>", 250)
        c.expect("DATA", 354)
        c.send(body + b".\r\n")
        reply = c.reply()
        c.cmd("QUIT")
        return reply


def test_unknown_user_and_postmaster_forms(sims):
    code, text = rcpt_reply(sims, f"nobody@{DOMAIN}")
    assert (code, text[:5]) == (550, "5.1.1"), text
    assert "refused: unknown user" in sims.log_text()
    for form in ("Postmaster", "postmaster", "POSTMASTER@EXAMPLE.TEST", "PostMaster@Example.Test"):
        code, text = rcpt_reply(sims, form)
        assert code == 250, (form, code, text)
    # RFC 5321 § 4.5.1: "Postmaster" without a domain works, and delivers.
    assert deliver(sims, ["Postmaster", "POSTMASTER@EXAMPLE.TEST"])[0] == 250
    files = sims.mail_files(POSTMASTER)
    assert len(files) == 1, "two spellings of one mailbox are one delivery"


def test_catch_all_on_and_off_while_running(sims):
    sims.add_account(f"alice@{DOMAIN}")
    random_user = f"random.person@{DOMAIN}"
    assert rcpt_reply(sims, random_user)[0] == 550
    sims.cli("domain", "catch-all", DOMAIN, f"alice@{DOMAIN}", check=True)
    eventually_rcpt(sims, random_user, 250)
    assert deliver(sims, [random_user])[0] == 250
    files = sims.mail_files(f"alice@{DOMAIN}")
    assert len(files) == 1
    fields, _ = parse_received(files[0].read_bytes())
    assert fields["for"] == random_user
    # Catch-all never captures other domains.
    assert rcpt_reply(sims, "random.person@remote.test")[0] == 554
    assert f"alice@{DOMAIN}" in sims.cli("domain", "list", check=True).stdout
    sims.cli("domain", "catch-all", DOMAIN, "--off", check=True)
    code, text = eventually_rcpt(sims, random_user, 550)
    assert text.startswith("5.1.1")
    assert f"alice@{DOMAIN}" not in sims.cli("domain", "list", check=True).stdout
    # Existing accounts are unaffected.
    assert rcpt_reply(sims, f"alice@{DOMAIN}")[0] == 250


def test_domain_add_remove_and_alias_while_running(sims):
    other = "other.test"
    code, text = rcpt_reply(sims, f"bob@{other}")
    assert (code, text[:5]) == (554, "5.7.1"), "a domain that is not local is relaying"
    sims.cli("domain", "add", other, check=True)
    assert other in sims.cli("domain", "list", check=True).stdout
    code, text = eventually_rcpt(sims, f"bob@{other}", 550)
    assert text.startswith("5.1.1")
    sims.add_account(f"bob@{other}")
    eventually_rcpt(sims, f"bob@{other}", 250)
    assert deliver(sims, [f"bob@{other}"])[0] == 250
    assert len(sims.mail_files(f"bob@{other}")) == 1

    # A domain with accounts cannot be removed.
    result = sims.cli("domain", "remove", other)
    assert result.returncode != 0
    assert rcpt_reply(sims, f"bob@{other}")[0] == 250

    # Alias in the other domain to postmaster@example.test, added live.
    sims.cli("alias", "add", f"sales@{other}", POSTMASTER, check=True)
    assert f"sales@{other}" in sims.cli("alias", "list", check=True).stdout
    eventually_rcpt(sims, f"sales@{other}", 250)
    assert deliver(sims, [f"sales@{other}"])[0] == 250
    assert len(sims.mail_files(POSTMASTER)) == 1
    sims.cli("alias", "remove", f"sales@{other}", check=True)
    eventually_rcpt(sims, f"sales@{other}", 550)

    sims.cli("account", "remove", f"bob@{other}", check=True)
    sims.cli("domain", "remove", other, check=True)
    assert other not in sims.cli("domain", "list", check=True).stdout
    code, text = eventually_rcpt(sims, f"bob@{other}", 554)
    assert text.startswith("5.7.1")


def test_account_cli_password_handling_and_remove(sims):
    carol = f"carol@{DOMAIN}"
    # There is no option that takes the password as an argument.
    for args in (["--password", "s3cret"], ["s3cret"], ["--password=s3cret"]):
        result = subprocess.run([SIMS_BINARY, "account", "add", carol, *args, "--data", str(sims.data)],
                                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert result.returncode != 0, f"account add accepted a password argument {args}: {result.stdout}"
    # Without --password-stdin and without a terminal it refuses too.
    result = subprocess.run([SIMS_BINARY, "account", "add", carol, "--data", str(sims.data)],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    # An empty standard input is no password.
    result = sims.cli("account", "add", carol, "--password-stdin", input="")
    assert result.returncode != 0
    assert carol not in sims.cli("account", "list", check=True).stdout
    assert rcpt_reply(sims, carol)[0] == 550

    result = sims.cli("account", "add", carol, "--password-stdin", input="a long passphrase\n")
    assert result.returncode == 0, result.stderr
    assert "a long passphrase" not in result.stdout + result.stderr
    listing = sims.cli("account", "list", check=True).stdout.split()
    assert carol in listing and POSTMASTER in listing
    eventually_rcpt(sims, carol, 250)
    # Adding it twice fails.
    # (With a password the rule accepts, so that the refusal is about the account.)
    twice = sims.cli("account", "add", carol, "--password-stdin", input="another long passphrase\n")
    assert twice.returncode != 0 and "exists" in twice.stderr, twice.stderr
    # An account in a domain that is not local is refused.
    foreign = sims.cli("account", "add", "dave@remote.test", "--password-stdin", input="another long passphrase\n")
    assert foreign.returncode != 0 and "remote.test" in foreign.stderr, foreign.stderr

    sims.cli("account", "remove", carol, check=True)
    assert carol not in sims.cli("account", "list", check=True).stdout
    code, text = eventually_rcpt(sims, carol, 550)
    assert text.startswith("5.1.1")
