"""SIGHUP, as an operator (or logrotate, or systemd's `reload`) sends it:
the relay networks and log levels change without a restart, settings that
need one are named as waiting, a broken sims.toml changes nothing, and the
log file is reopened so a rotated file is let go of."""

from __future__ import annotations

import re
import signal

from simslib import POSTMASTER, RawSMTP, set_config, wait_until

REMOTE = "user@remote.test"


def rcpt_reply(sims, source: str) -> tuple[int, str]:
    """The RCPT reply for a remote recipient from `source` (no message sent)."""
    with RawSMTP(sims.smtp_port, source=source) as c:
        c.expect("EHLO client.test", 250)
        c.expect(f"MAIL FROM:<{POSTMASTER}>", 250)
        reply = c.cmd(f"RCPT TO:<{REMOTE}>")
        c.cmd("QUIT")
    return reply


def hangup(sims, count: int):
    """Sends SIGHUP and waits for the reload's summary line (the count-th)."""
    sims.proc.send_signal(signal.SIGHUP)
    return sims.wait_for_log(r"SYSTEM SIGHUP: log file reopened; ([^\n]*)", count=count)[count - 1]


def test_client_networks_and_log_levels_change_on_sighup(sims_server):
    sims = sims_server({"relay.client_networks": [], "antispam.verify_return_path": False})
    code, text = rcpt_reply(sims, "127.0.0.3")
    assert (code, text[:5]) == (554, "5.7.1"), (code, text)

    set_config(sims, {"relay.client_networks": ["127.0.0.3"], "log.level": 4})
    summary = hangup(sims, 1)
    assert "applied log.level, relay.client_networks" in summary, summary
    assert "wait for a restart" not in summary
    sims.wait_for_log(r"relay\.client_networks is now \[127\.0\.0\.3\]")
    # The new levels are announced for the audit, like at startup.
    assert len(re.findall(r"log levels: ", sims.log_since_start())) >= 2

    code, text = rcpt_reply(sims, "127.0.0.3")
    assert code == 250, (code, text)
    # (a level-4 line: the new level is in effect too)
    sims.wait_for_log(rf"127\.0\.0\.3 <{re.escape(REMOTE)}> accepted for relay: client network 127\.0\.0\.3")
    # Level 4 shows the dialogue: a line only the new level can produce.
    sims.wait_for_log(r"RCPT TO:<user@remote\.test>")
    # Others are still refused.
    assert rcpt_reply(sims, "127.0.0.4")[0] == 554

    # And back: removing the entry closes the relay again, live.
    set_config(sims, {"relay.client_networks": []})
    hangup(sims, 2)
    assert rcpt_reply(sims, "127.0.0.3")[0] == 554


def test_settings_that_need_a_restart_are_named_and_not_applied(sims_server):
    sims = sims_server({"relay.client_networks": []})
    set_config(sims, {"limits.recipients_per_message": 2, "relay.client_networks": ["127.0.0.3"]})
    summary = hangup(sims, 1)
    assert "1 change(s) wait for a restart" in summary, summary
    sims.wait_for_log(r"sims\.toml: limits\.recipients_per_message changed; that takes effect at the next restart")
    # The live part went in; the other did not (3 recipients still accepted).
    with RawSMTP(sims.smtp_port, source="127.0.0.3") as c:
        c.expect("EHLO client.test", 250)
        c.expect(f"MAIL FROM:<{POSTMASTER}>", 250)
        for n in range(3):
            c.expect(f"RCPT TO:<user{n}@remote.test>", 250)
    # Named again at the next reload, until the restart.
    hangup(sims, 2)
    assert len(re.findall(r"limits\.recipients_per_message changed", sims.log_since_start())) == 2


def test_a_broken_file_changes_nothing(sims_server):
    sims = sims_server({"relay.client_networks": ["127.0.0.3"]})
    path = sims.data / "sims.toml"
    good = path.read_text()
    path.write_text(good.replace("client_networks = [", "client_networks = [\"not an address\", ", 1))
    summary = hangup(sims, 1)
    assert "sims.toml not reloaded" in summary, summary
    sims.wait_for_log(r"sims\.toml not reloaded, every setting stays as it was: .*not an address")
    assert rcpt_reply(sims, "127.0.0.3")[0] == 250
    assert sims.running()


def test_sighup_reopens_the_log_for_logrotate(sims_server):
    sims = sims_server()
    rotated = sims.log_path.with_name("sims.log.1")
    sims.log_path.rename(rotated)
    hangup_lines_before = rotated.read_text().count("SIGHUP")
    sims.proc.send_signal(signal.SIGHUP)
    # The reload's own line goes to a new sims.log, not to the renamed file.
    wait_until(lambda: "SIGHUP: log file reopened" in sims.log_text(), 10, what="a new sims.log")
    with RawSMTP(sims.smtp_port) as c:
        c.cmd("QUIT")
    wait_until(lambda: " connected" in sims.log_text() or "SMTP-" in sims.log_text(), 10, what="session in new log")
    assert rotated.read_text().count("SIGHUP") == hangup_lines_before
