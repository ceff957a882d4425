"""Clients that hold connections without doing anything useful: a byte every
few moments (slowloris), message text at a trickle, a session that never
ends, idle connections that fill every slot. And the stop: every listener
closes at once and every session gets its goodbye."""

from __future__ import annotations

import signal
import socket
import time

from simslib import POSTMASTER, RawSMTP, wait_until


def test_a_command_dripped_a_byte_at_a_time_still_times_out(sims_server):
    sims = sims_server({"timeouts.command": "3s"})
    with RawSMTP(sims.smtp_port, timeout=10) as c:
        c.expect("EHLO slow.example", 250)
        started = time.monotonic()
        while time.monotonic() - started < 8:
            try:
                c.send(b"x")  # "xxxx…": a command that never ends
            except OSError:
                break
            if not c.nothing_pending(wait=0.25):
                break
        code, text = c.reply(timeout=2)
        assert (code, text[:5]) == (421, "4.4.2"), (code, text)
        assert time.monotonic() - started < 6, "a byte every 250 ms held the session open"
    sims.wait_for_log(r"timeout: no complete command for 3s, closing")


def test_message_text_at_a_trickle_is_cut_off_by_the_minimum_rate(sims_server):
    sims = sims_server({"timeouts.minimum_data_rate": 1000, "timeouts.data_rate_grace": "2s"})
    with RawSMTP(sims.smtp_port, timeout=10) as c:
        c.expect("EHLO slow.example", 250)
        c.expect("MAIL FROM:<bob@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        started = time.monotonic()
        try:
            while time.monotonic() - started < 10:
                c.send(b"trickle\r\n")  # a complete line every 200 ms: 45 bytes/s
                time.sleep(0.2)
                if not c.nothing_pending(wait=0.01):
                    break
        except OSError:
            pass
        code, text = c.reply(timeout=5)
        assert (code, text[:5]) == (421, "4.4.2"), (code, text)
        assert time.monotonic() - started < 6
    sims.wait_for_log(r"timeout: message text too slow: \d+ bytes in \d+ s, closing")
    assert sims.mail_files() == []


def test_no_session_outlives_the_maximum_session_length(sims_server):
    sims = sims_server({"timeouts.session": "3s"})
    with RawSMTP(sims.smtp_port, timeout=10) as c:
        c.expect("EHLO busy.example", 250)
        started = time.monotonic()
        while time.monotonic() - started < 10:
            code, text = c.cmd("NOOP")
            if code != 250:
                break
            time.sleep(0.2)
        assert (code, text[:5]) == (421, "4.4.2"), (code, text)
        assert 2.5 < time.monotonic() - started < 6
    sims.wait_for_log(r"timeout: session longer than 3s, closing")


def test_idle_connections_filling_every_slot_make_room_for_a_real_client(sims_server):
    sims = sims_server({"limits.connections": 6, "timeouts.idle_eviction": "1s"})
    idle = []
    for n in range(6):
        c = RawSMTP(sims.smtp_port, source=f"127.0.0.{20 + n}", timeout=10)  # the greeting, then nothing
        idle.append(c)
    time.sleep(1.3)  # all of them idle past the eviction age
    with RawSMTP(sims.smtp_port, source="127.0.0.50", timeout=10) as real:
        # The greeting is a 220, not a "too many connections" 421.
        real.expect("EHLO real.example", 250)
        real.expect("MAIL FROM:<bob@remote.test>", 250)
        real.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        real.expect("DATA", 354)
        real.send(b"Subject: made room\r\n\r\nhello\r\n.\r\n")
        assert real.reply()[0] == 250
    told = [c for c in idle if c.closed_by_server(timeout=0.5)]
    assert len(told) == 1, "exactly one idle session makes room"
    sims.wait_for_log(r"closed: idle while every connection slot is taken")
    for c in idle:
        c.close()


def test_idle_sessions_do_not_delay_the_stop(sims_server):
    sims = sims_server({"pop3.allow_plaintext": True, "pop3.timeout": "10m"})
    smtp = RawSMTP(sims.smtp_port, timeout=10)  # greeted, then idle
    pop = socket.create_connection(("127.0.0.1", sims.pop_port), timeout=10)
    pop_in = pop.makefile("rb")
    assert pop_in.readline().startswith(b"+OK")
    started = time.monotonic()
    sims.proc.send_signal(signal.SIGINT)
    code = sims.proc.wait(timeout=10)
    elapsed = time.monotonic() - started
    assert code == 0, sims.stderr_path.read_text()
    assert elapsed < 2.0, f"the stop took {elapsed:.1f} s"
    assert smtp.reply(timeout=2)[0] == 421
    assert pop_in.readline().startswith(b"-ERR [SYS/TEMP]")
    assert "CancellationError" not in sims.stderr_path.read_text()
    smtp.close()
    pop.close()
