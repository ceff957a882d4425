"""Library for the SIMS end-to-end tests (imported by conftest.py and the tests).

SimsServer drives one real `sims` binary ($SIMS_BINARY, default
.build/debug/sims): `sims init` into a fresh data directory, free loopback ports
and config overrides written into its sims.toml, `sims serve` started and
awaited (bounded) until the SMTP listener is logged, SIGTERM/SIGKILL, log and
Maildir inspection, CLI calls. RawSMTP is a byte-exact client with bounded
reads. require_tool skips when a peer tool is missing, or fails when CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest

REPO = Path(__file__).resolve().parents[2]
SIMS_BINARY = os.environ.get("SIMS_BINARY", str(REPO / ".build" / "debug" / "sims"))
DOMAIN = "example.test"
HOSTNAME = "mx.example.test"
POSTMASTER = f"postmaster@{DOMAIN}"
OUTSIDE_IP = "127.0.0.9"

START_DEADLINE = 20.0
STOP_DEADLINE = 20.0

_missing_tools: list[str] = []


# --------------------------------------------------------------------------
# Generic helpers
# --------------------------------------------------------------------------


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05, what: str = "condition"):
    """Polls `predicate` until it returns a truthy value; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_tool(name: str, candidates: Iterable[str] = ()) -> str:
    """Returns the tool's path. Missing: skip loudly, or FAIL when CI=true."""
    for c in list(candidates) + [name]:
        path = c if os.path.isabs(c) else shutil.which(c)
        if path and os.path.exists(path) and os.access(path, os.X_OK):
            return path
    message = f"required tool '{name}' is not installed (tried {list(candidates) + [name]})"
    _missing_tools.append(name)
    if in_ci():
        pytest.fail(message + " and CI=true: a missing tool is a failure", pytrace=False)
    pytest.skip("MISSING TOOL: " + message)


def format_toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot format {value!r} as TOML")


def set_toml_values(text: str, overrides: dict) -> str:
    """Sets dotted keys ("limits.message_size", "log.modules.SMTP", "hostname")
    in a TOML text: replaces the existing `key = ...` line in its section, or
    inserts it right after the section header (appending the section if absent)."""
    for dotted, value in overrides.items():
        section, _, key = dotted.rpartition(".")
        lines = text.split("\n")
        current = ""
        header_index = None if section else -1
        replaced = False
        for i, line in enumerate(lines):
            m = re.match(r"^\s*\[([^\]]+)\]\s*(#.*)?$", line)
            if m:
                current = m.group(1).strip()
                if current == section:
                    header_index = i
                continue
            if current == section and re.match(rf"^\s*{re.escape(key)}\s*=", line):
                lines[i] = f"{key} = {format_toml_value(value)}"
                replaced = True
                break
        if not replaced:
            new_line = f"{key} = {format_toml_value(value)}"
            if header_index is None:
                lines += ["", f"[{section}]", new_line]
            else:
                lines.insert(header_index + 1, new_line)
        text = "\n".join(lines)
    return text


# --------------------------------------------------------------------------
# Raw SMTP client (exact bytes)
# --------------------------------------------------------------------------


class ConnectionClosed(Exception):
    pass


class RawSMTP:
    """A byte-exact SMTP client over a plain socket, with bounded reads."""

    def __init__(self, port: int, host: str = "127.0.0.1", source: str | None = None, timeout: float = 10.0,
                 read_greeting: bool = True):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None)
        self.timeout = timeout
        self.buffer = b""
        self.greeting = self.reply() if read_greeting else None

    # -- I/O
    def send(self, data: bytes | str):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("read deadline passed")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed(f"connection closed by server (unparsed: {self.buffer!r})")
        self.buffer += chunk

    def line(self, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\r\n" not in self.buffer:
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def reply(self, timeout: float | None = None) -> tuple[int, str]:
        """Reads one (possibly multi-line) reply: (code, text joined with \\n)."""
        lines = []
        while True:
            raw = self.line(timeout)
            assert len(raw) >= 3 and raw[:3].isdigit(), f"malformed reply line {raw!r}"
            lines.append(raw)
            if len(raw) == 3 or raw[3:4] == b" ":
                break
            assert raw[3:4] == b"-", f"malformed reply line {raw!r}"
        codes = {l[:3] for l in lines}
        assert len(codes) == 1, f"inconsistent codes in multi-line reply {lines!r}"
        return int(lines[0][:3]), "\n".join(l[4:].decode("utf-8", "replace") for l in lines)

    def cmd(self, line: str | bytes, timeout: float | None = None) -> tuple[int, str]:
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        return self.reply(timeout)

    def expect(self, line: str | bytes, code: int, enhanced: str | None = None) -> str:
        got_code, text = self.cmd(line)
        assert got_code == code, f"{line!r}: expected {code}, got {got_code} {text!r}"
        if enhanced:
            assert text.startswith(enhanced), f"{line!r}: expected {enhanced}, got {got_code} {text!r}"
        return text

    def nothing_pending(self, wait: float = 0.3) -> bool:
        """True when the server sends nothing more within `wait` seconds."""
        if self.buffer:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return True
        except (ssl.SSLError, OSError):
            return True
        if chunk:
            self.buffer += chunk
            return False
        return True  # closed, but nothing was sent

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        """True when the server closes the connection (EOF/reset) within `timeout`,
        with no further data."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
            self.buffer += chunk
        return False

    def starttls(self) -> ssl.SSLSocket:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock.settimeout(self.timeout)
        self.sock = context.wrap_socket(self.sock, server_hostname=HOSTNAME)
        return self.sock

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------


class SimsServer:
    def __init__(self, data: Path, overrides: dict | None = None):
        self.data = data
        self.overrides = dict(overrides or {})
        self.proc: subprocess.Popen | None = None
        self.smtp_port = 0
        self.submission_port = 0
        self.submissions_port = 0
        self.postmaster_password = ""
        self.stderr_path = data.parent / (data.name + ".serve.out")
        self._log_offset = 0

    # -- CLI
    def cli(self, *args: str, input: str | None = None, check: bool = False, timeout: float = 30) \
            -> subprocess.CompletedProcess:
        result = subprocess.run(
            [SIMS_BINARY, *args, "--data", str(self.data)], input=input, capture_output=True, text=True,
            timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
        if check:
            assert result.returncode == 0, (
                f"sims {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def init(self):
        result = subprocess.run(
            [SIMS_BINARY, "init", "--data", str(self.data), "--hostname", HOSTNAME, "--domain", DOMAIN],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"sims init failed: {result.stdout}\n{result.stderr}"
        m = re.search(r"password:\s+(\S+)", result.stdout)
        self.postmaster_password = m.group(1) if m else ""

    def add_account(self, address: str, password: str = "correct horse battery staple"):
        self.cli("account", "add", address, "--password-stdin", input=password + "\n", check=True)

    def configure(self, **extra):
        """Writes fresh ports and all overrides into sims.toml."""
        self.smtp_port = free_port()
        self.submission_port = free_port()
        while self.submission_port == self.smtp_port:
            self.submission_port = free_port()
        self.submissions_port = free_port()
        while self.submissions_port in (self.smtp_port, self.submission_port):
            self.submissions_port = free_port()
        taken = {self.smtp_port, self.submission_port, self.submissions_port}
        self.pop_port = free_port()
        while self.pop_port in taken:
            self.pop_port = free_port()
        self.pops_port = free_port()
        while self.pops_port in taken | {self.pop_port}:
            self.pops_port = free_port()
        taken |= {self.pop_port, self.pops_port}
        self.imap_port = free_port()
        while self.imap_port in taken:
            self.imap_port = free_port()
        self.imaps_port = free_port()
        while self.imaps_port in taken | {self.imap_port}:
            self.imaps_port = free_port()
        values = {
            "imap.listen": [f"127.0.0.1:{self.imap_port}"],
            "imap.implicit_tls_listen": [f"127.0.0.1:{self.imaps_port}"],
            "pop3.listen": [f"127.0.0.1:{self.pop_port}"],
            "pop3.implicit_tls_listen": [f"127.0.0.1:{self.pops_port}"],
            "smtp.listen": [f"127.0.0.1:{self.smtp_port}"],
            "submission.listen": [f"127.0.0.1:{self.submission_port}"],
            "submission.implicit_tls_listen": [f"127.0.0.1:{self.submissions_port}"],
        }
        values.update(self.overrides)
        values.update(extra)
        path = self.data / "sims.toml"
        path.write_text(set_toml_values(path.read_text(), values))

    # -- process
    def start(self, new_ports: bool = True):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        for attempt in range(3):
            if new_ports or attempt > 0 or not self.smtp_port:
                self.configure()
            self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            out = open(self.stderr_path, "ab")
            self.proc = subprocess.Popen(
                [SIMS_BINARY, "serve", "--data", str(self.data)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            out.close()
            marker = f"listening on 127.0.0.1:{self.smtp_port} (SMTP)"
            deadline = time.monotonic() + START_DEADLINE
            while time.monotonic() < deadline:
                # Every listener (POP3's too), not only the SMTP one.
                log = self.log_since_start()
                if marker in log and "ready: every listener is bound" in log:
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            output = self.stderr_path.read_text(errors="replace")
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError(f"sims serve did not log '{marker}' within {START_DEADLINE}s:\n{output}")
            if "address already in use" not in output.lower():
                raise AssertionError(f"sims serve exited with {self.proc.returncode}:\n{output}")
        raise AssertionError("sims serve could not bind free ports after 3 attempts")

    def stop(self, sig=signal.SIGTERM, timeout: float = STOP_DEADLINE) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"sims serve did not exit within {timeout}s after {sig!r}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_DEADLINE)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- logs and mail
    @property
    def log_path(self) -> Path:
        return self.data / "log" / "sims.log"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_since_start(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern: str, timeout: float = 10.0, count: int = 1) -> list[str]:
        regex = re.compile(pattern)

        def found():
            hits = regex.findall(self.log_since_start())
            return hits if len(hits) >= count else None

        return wait_until(found, timeout, what=f"log pattern {pattern!r} x{count}")

    def maildir(self, account: str = POSTMASTER) -> Path:
        user, domain = account.rsplit("@", 1)
        return self.data / "mail" / domain / user / "Maildir"

    def mail_files(self, account: str = POSTMASTER, sub: str = "new") -> list[Path]:
        d = self.maildir(account) / sub
        if not d.is_dir():
            return []
        return sorted(p for p in d.iterdir() if p.is_file())

    def all_stored_files(self) -> list[Path]:
        """Every file under mail/ (any account, new/cur/tmp) and under queue/
        (the outbound spool, where a relayed message would wait)."""
        files = []
        for root in (self.data / "mail", self.data / "queue"):
            if root.is_dir():
                files += [p for p in root.rglob("*") if p.is_file()]
        return sorted(files)

    def smtp(self, source: str | None = None, **kw) -> RawSMTP:
        return RawSMTP(self.smtp_port, source=source, **kw)


def split_received(stored: bytes) -> tuple[bytes, bytes]:
    """Splits a stored message into its leading Received header (with folded
    continuation lines) and the rest."""
    assert stored.startswith(b"Received: "), f"stored message does not start with Received: {stored[:80]!r}"
    end = 0
    while True:
        nl = stored.index(b"\r\n", end) + 2
        end = nl
        if not stored[end:end + 1] in (b"\t", b" "):
            break
    return stored[:end], stored[end:]


# --------------------------------------------------------------------------
# Message helpers
# --------------------------------------------------------------------------

RECEIVED_RE = re.compile(
    rb"^Received: from (?P<helo>\S+) \(\[(?P<ip>[0-9.]+)\]\)\r\n"
    rb"\tby (?P<by>\S+) \(SIMS\) with (?P<proto>ESMTPS|ESMTP|SMTP) id (?P<id>S\.[0-9A-Z]+)"
    rb"(?:\r\n\t\(using (?P<tls>[^)]+)\))?"
    rb"(?:\r\n\tfor <(?P<for>[^>]+)>)?"
    rb"; (?P<date>[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4})\r\n$")


def parse_received(stored: bytes) -> tuple[dict, bytes]:
    header, rest = split_received(stored)
    m = RECEIVED_RE.match(header)
    assert m, f"Received header has an unexpected shape: {header!r}"
    fields = {k: (v.decode() if v is not None else None) for k, v in m.groupdict().items()}
    return fields, rest


def swaks(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    path = require_tool("swaks", ["/usr/bin/swaks"])
    return subprocess.run([path, *args], capture_output=True, text=True, timeout=timeout)


def swaks_sent_data(transcript: str) -> bytes:
    """The message text swaks sent, from its transcript (' -> ' / ' ~> ' lines
    between the 354 and the lone '.'), dot-unstuffed, with CRLF."""
    lines = transcript.splitlines()
    start = next(i for i, l in enumerate(lines) if re.match(r"^<[~-]\s+354", l))
    out = []
    for l in lines[start + 1:]:
        m = re.match(r"^ [~-]> ?(.*)$", l)
        if not m:
            continue
        text = m.group(1)
        if text == ".":
            break
        if text.startswith("."):
            text = text[1:]
        out.append(text.encode() + b"\r\n")
    return b"".join(out)


def queue_id(reply_text: str) -> str:
    m = re.search(r"queue id (S\.[0-9A-Z]+)", reply_text)
    assert m, f"no queue id in {reply_text!r}"
    return m.group(1)


def files_with_id(files: list[Path], qid: str) -> list[Path]:
    return [f for f in files if f".{qid}." in f.name]


# --------------------------------------------------------------------------
# Outbound queue peers: a DNS server, remote MX hosts (Postfix smtp-sink, or
# a scripted aiosmtpd server), and helpers to relay and read DSNs.
# --------------------------------------------------------------------------

import email  # noqa: E402  (helpers added after the original module)
import json  # noqa: E402
import tempfile  # noqa: E402

# The peers run under the system interpreter, where the Debian packages
# python3-dnslib and python3-aiosmtpd are installed (`python3` on PATH may be
# another interpreter).
PEER_PYTHON = "/usr/bin/python3"
TRUSTED_IP = "127.0.0.2"
QUEUE_DEADLINE = 20.0  # bounded polls for queue events (generous: the host may be busy)

# A zone-file DNS server (dnslib). dnslib's own ZoneResolver answers NXDOMAIN
# for a name that exists without a record of the asked type; a real server
# answers NOERROR with no records (NODATA), and RFC 5321 § 5.1 implicit MX
# depends on that difference, so this resolver answers NODATA for names that
# are in the zone.
_DNS_SERVER_CODE = r'''
import sys, time
from dnslib import RCODE
from dnslib.server import DNSServer, DNSLogger
from dnslib.zoneresolver import ZoneResolver

class Resolver(ZoneResolver):
    def resolve(self, request, handler):
        reply = super().resolve(request, handler)
        if reply.header.rcode == RCODE.NXDOMAIN and any(request.q.qname == name for name, _, _ in self.zone):
            reply.header.rcode = RCODE.NOERROR
        return reply

zone_path, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(zone_path) as f:
    resolver = Resolver(f)
logger = DNSLogger("request,reply,error", False)
udp = DNSServer(resolver, address=address, port=port, logger=logger)
tcp = DNSServer(resolver, address=address, port=port, tcp=True, logger=logger)
udp.start_thread()
tcp.start_thread()
print("ready", flush=True)
while udp.isAlive() and tcp.isAlive():
    time.sleep(0.2)
'''

# A remote MX with scripted replies (aiosmtpd). argv: DIR ADDRESS PORT RULES.
# RULES is JSON {"MAIL": reply, "RCPT": {"local-part prefix": reply}, "DATA": reply};
# anything not matched is accepted. Every accepted message is written to
# DIR/NNNNNN.eml (the exact octets received, dot-unstuffed) with
# DIR/NNNNNN.json (envelope, HELO, peer), the .eml renamed into place last;
# every MAIL/RCPT and its reply is appended to DIR/commands.log.
_PY_SINK_CODE = r'''
import json, os, sys, threading
from aiosmtpd.controller import Controller

directory, address, port, rules = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
lock = threading.Lock()
counter = [0]

def note(text):
    with lock, open(os.path.join(directory, "commands.log"), "a") as f:
        f.write(text + "\n")

class Handler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = rules.get("MAIL")
        note("MAIL <%s> %s -> %s" % (address.strip("<>"), " ".join(mail_options), reply or "250"))
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.rsplit("@", 1)[0].lower()
        reply = next((r for prefix, r in rules.get("RCPT", {}).items() if local.startswith(prefix)), None)
        note("RCPT <%s> -> %s" % (address, reply or "250"))
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if rules.get("DATA"):
            note("DATA -> %s" % rules["DATA"])
            return rules["DATA"]
        with lock:
            counter[0] += 1
            n = counter[0]
        base = os.path.join(directory, "%06d" % n)
        with open(base + ".json", "w") as f:
            # aiosmtpd keeps the null sender as "<>" (an empty one would fail its RCPT check)
            json.dump({"mail_from": envelope.mail_from.strip("<>"), "rcpt_tos": envelope.rcpt_tos,
                       "mail_options": envelope.mail_options, "helo": session.host_name,
                       "peer": session.peer[0]}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        note("DATA -> 250")
        return "250 2.0.0 Ok: queued as %06d" % n

controller = Controller(Handler(), hostname=address, port=port, data_size_limit=64 * 1024 * 1024)
controller.start()
print("ready", flush=True)
threading.Event().wait()
'''


def require_peer_module(module: str, package: str) -> str:
    """PEER_PYTHON with `module` importable. Missing: skip loudly, or FAIL when CI=true."""
    python = require_tool(PEER_PYTHON, [PEER_PYTHON])
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        name = f"{package} ({PEER_PYTHON} -c 'import {module}')"
        message = f"required Python module '{module}' is not installed for {PEER_PYTHON} (Debian: {package})"
        _missing_tools.append(name)
        if in_ci():
            pytest.fail(message + " and CI=true: a missing tool is a failure", pytrace=False)
        pytest.skip("MISSING TOOL: " + message)
    return python


def port_accepts(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            s.connect((address, port))
            return True
        except OSError:
            return False


def dns_query(name: str, port: int, qtype: int = 15, address: str = "127.0.0.1", timeout: float = 0.5) -> bytes | None:
    """One raw DNS query over UDP; the reply, or None when nothing answered."""
    header = os.urandom(2) + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\x00"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(header + qname + qtype.to_bytes(2, "big") + b"\x00\x01", (address, port))
        try:
            reply, _ = s.recvfrom(4096)
        except OSError:
            return None
    return reply if reply[:2] == header[:2] else None


class Peer:
    """A peer process; killed with SIGKILL (a child may inherit a blocked SIGTERM)."""

    def __init__(self, name: str, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def spawn(self, argv: list[str]):
        out = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def await_ready(self, ready: Callable[[], bool], timeout: float = START_DEADLINE) -> bool:
        """True when ready, False when the process exited first (e.g. port in use)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if ready():
                return True
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{self.name} was not ready within {timeout}s:\n{self.output()}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=STOP_DEADLINE)


class DNSZoneServer(Peer):
    def __init__(self, zone: str, workdir: Path):
        super().__init__("dns server", workdir / "dns.log")
        self.zone_path = workdir / "zone.txt"
        self.zone_path.write_text(zone)
        self.port = 0
        python = require_peer_module("dnslib.zoneresolver", "python3-dnslib")
        for _ in range(3):
            self.port = free_port()
            self.spawn([python, "-c", _DNS_SERVER_CODE, str(self.zone_path), "127.0.0.1", str(self.port)])
            if self.await_ready(lambda: dns_query("ready.invalid", self.port) is not None):
                return
        raise AssertionError(f"dns server did not start:\n{self.output()}")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"



class SinkMessage:
    """One message as a remote MX received it."""

    def __init__(self, path: Path, mail_from: str, rcpt_tos: list[str], helo: str, peer: str, content: bytes):
        self.path = path
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.helo = helo
        self.peer = peer
        self.content = content  # the message text with CRLF line ends, as SIMS sent it

    def __repr__(self):
        return f"SinkMessage({self.path.name}, from <{self.mail_from}>, to {self.rcpt_tos})"

    def queue_id(self) -> str | None:
        """The SIMS queue id from our Received header (the first one)."""
        m = re.search(rb"\(SIMS\) with [A-Z]+ id (S\.[0-9A-Z]+)", self.content[:2000])
        return m.group(1).decode() if m else None


class SmtpSink(Peer):
    """Postfix's smtp-sink as a remote MX: every message is dumped to a file
    (smtp-sink writes LF line ends; `content` restores CRLF)."""

    def __init__(self, workdir: Path, address: str = "127.0.0.1", port: int | None = None, options=()):
        super().__init__(f"smtp-sink {address}", workdir / f"smtp-sink-{address}-{port or 'any'}.log")
        binary = require_tool("smtp-sink", ["/usr/sbin/smtp-sink"])
        # smtp-sink drops to `nobody` when run as root: the dump directory must be
        # reachable and writable for it (pytest's tmp_path is mode 0700).
        self.directory = Path(tempfile.mkdtemp(prefix="sims-e2e-sink-", dir="/tmp"))
        os.chmod(self.directory, 0o777)
        self.address = address
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        for attempt in range(3 if port is None else 1):
            self.port = port or free_port()
            self.spawn([binary, *user, *options, "-d", f"{self.directory}/%Y%m%d%H%M%S.",
                        f"{'[' + address + ']' if ':' in address else address}:{self.port}", "100"])
            if self.await_ready(lambda: port_accepts(address, self.port)):
                return
        raise AssertionError(f"smtp-sink could not listen on {address}:{self.port}:\n{self.output()}")

    def files(self) -> list[Path]:
        return sorted(p for p in self.directory.iterdir() if p.is_file())

    def messages(self) -> list[SinkMessage]:
        """The messages whose files are complete; smtp-sink may still be
        writing the newest one, which then shows up on the next call."""
        complete = []
        for path in self.files():
            try:
                complete.append(self.parse(path))
            except (IndexError, ValueError):
                continue
        return complete

    @staticmethod
    def parse(path: Path) -> SinkMessage:
        lines = path.read_bytes().split(b"\n")
        fields: dict[str, list[str]] = {}
        i = 0
        while not lines[i].startswith(b"Received: "):
            name, _, value = lines[i].decode(errors="replace").partition(": ")
            fields.setdefault(name, []).append(value)
            i += 1
        i += 1
        while lines[i][:1] in (b"\t", b" "):
            i += 1
        rest = b"\n".join(lines[i:])
        assert rest.endswith(b"\n\n"), f"{path}: incomplete smtp-sink dump"
        rest = rest[:-1]  # smtp-sink appends an empty line
        mail = fields.get("X-Mail-Args", [""])[0]
        m = re.match(r"<([^>]*)>", mail)
        rcpts = [re.match(r"<([^>]*)>", r).group(1) for r in fields.get("X-Rcpt-Args", [])]
        return SinkMessage(path, m.group(1) if m else mail, rcpts, fields.get("X-Helo-Args", [""])[0],
                           fields.get("X-Client-Addr", [""])[0], rest.replace(b"\n", b"\r\n"))

    def stop(self):
        super().stop()

    def remove_files(self):
        shutil.rmtree(self.directory, ignore_errors=True)


class ScriptedSink(Peer):
    """A remote MX with scripted replies (aiosmtpd), keeping exact octets.
    rules: {"MAIL": reply, "RCPT": {"local-part prefix": reply}, "DATA": reply}."""

    def __init__(self, workdir: Path, address: str = "127.0.0.1", port: int | None = None, rules: dict | None = None):
        python = require_peer_module("aiosmtpd.controller", "python3-aiosmtpd")
        self.directory = Path(tempfile.mkdtemp(prefix="scripted-sink-", dir=workdir))
        super().__init__(f"scripted sink {address}", self.directory / "server.log")
        self.address = address
        for attempt in range(3 if port is None else 1):
            self.port = port or free_port()
            self.spawn([python, "-c", _PY_SINK_CODE, str(self.directory), address, str(self.port),
                        json.dumps(rules or {})])
            if self.await_ready(lambda: "ready" in self.output()):
                return
        raise AssertionError(f"scripted sink could not listen on {address}:{self.port}:\n{self.output()}")

    def messages(self) -> list[SinkMessage]:
        out = []
        for eml in sorted(self.directory.glob("*.eml")):
            meta = json.loads(eml.with_suffix(".json").read_text())
            out.append(SinkMessage(eml, meta["mail_from"], meta["rcpt_tos"], meta["helo"], meta["peer"],
                                   eml.read_bytes()))
        return out

    def commands(self) -> list[str]:
        try:
            return (self.directory / "commands.log").read_text().splitlines()
        except FileNotFoundError:
            return []


class Peers:
    """Starts peers for one test and kills them all (SIGKILL) at teardown."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.started: list[Peer] = []

    def dns(self, zone: str) -> DNSZoneServer:
        sub = Path(tempfile.mkdtemp(prefix="dns-", dir=self.workdir))
        return self._keep(DNSZoneServer(zone, sub))

    def smtp_sink(self, address: str = "127.0.0.1", port: int | None = None, options=()) -> SmtpSink:
        return self._keep(SmtpSink(self.workdir, address, port, options))

    def scripted_sink(self, address: str = "127.0.0.1", port: int | None = None, rules: dict | None = None) \
            -> ScriptedSink:
        return self._keep(ScriptedSink(self.workdir, address, port, rules))

    def _keep(self, peer):
        self.started.append(peer)
        return peer

    def close(self):
        for peer in self.started:
            try:
                peer.stop()
            finally:
                if isinstance(peer, SmtpSink):
                    peer.remove_files()


@pytest.fixture
def peers(tmp_path):
    """Factory for the outbound peers (import it into a test module to use it)."""
    registry = Peers(tmp_path / "peers")
    yield registry
    registry.close()


def zone(*records: str) -> str:
    """Zone file text from records like 'remote.test. MX 10 mx.remote.test.' (TTL and class added)."""
    out = []
    for r in records:
        name, rest = r.split(None, 1)
        out.append(f"{name} 60 IN {rest}")
    return "\n".join(out) + "\n"


def queue_overrides(dns: DNSZoneServer | None = None, mx_port: int | None = None,
                    networks=(TRUSTED_IP,), retry=("1s",), **extra) -> dict:
    """Config overrides for relaying tests: who may relay, where DNS is, the MX
    port; `extra` holds more dotted keys: **{"delivery.tls": "required"}."""
    values: dict = {"relay.client_networks": list(networks), "queue.retry_schedule": list(retry),
                    "delivery.connect_timeout": "5s"}
    if dns is not None:
        values["delivery.dns_servers"] = [dns.address]
    if mx_port is not None:
        values["delivery.port"] = mx_port
    values.update(extra)
    return values


def set_config(server: SimsServer, values: dict):
    """Writes values into the (not yet started) server's sims.toml without new ports."""
    path = server.data / "sims.toml"
    path.write_text(set_toml_values(path.read_text(), values))


def set_routes(server: SimsServer, routes: dict[str, str]):
    """Adds `"domain" = "host:port"` lines under [delivery.routes]."""
    path = server.data / "sims.toml"
    text = path.read_text()
    lines = "".join(f'{format_toml_value(d)} = {format_toml_value(r)}\n' for d, r in routes.items())
    assert "\n[delivery.routes]\n" in text
    path.write_text(text.replace("\n[delivery.routes]\n", "\n[delivery.routes]\n" + lines, 1))


def compose(subject: str, body: str | bytes = "hello\r\n", sender: str = POSTMASTER, to: str = "user@remote.test",
            extra: str = "") -> bytes:
    """A small message with CRLF line ends; `body` is used as is."""
    head = (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{os.urandom(8).hex()}@test.example>\r\n{extra}\r\n").encode()
    return head + (body if isinstance(body, bytes) else body.encode())


def dot_stuff(message: bytes) -> bytes:
    assert message.endswith(b"\r\n")
    return b"".join((b"." + l if l.startswith(b".") else l) for l in message.splitlines(keepends=True))


def relay(server: SimsServer, recipients: list[str], message: bytes, sender: str = POSTMASTER,
          source: str | None = TRUSTED_IP, helo: str = "trusted.client.test", host: str = "127.0.0.1",
          port: int | None = None) -> str:
    """One SMTP transaction that every recipient must accept; returns the queue id."""
    with RawSMTP(port or server.smtp_port, host=host, source=source) as c:
        c.expect(f"EHLO {helo}", 250)
        c.expect(f"MAIL FROM:<{sender}>", 250)
        for r in recipients:
            c.expect(f"RCPT TO:<{r}>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(message) + b".\r\n")
        code, text = c.reply()
        assert code == 250, f"end of data: {code} {text}"
        c.cmd("QUIT")
    return queue_id(text)


def spool_files(server: SimsServer) -> list[Path]:
    root = server.data / "queue"
    return sorted(p for sub in ("messages", "envelopes", "tmp") if (root / sub).is_dir()
                  for p in (root / sub).iterdir())


def queue_list(server: SimsServer) -> str:
    return server.cli("queue", "list", check=True).stdout


def queue_ids_listed(server: SimsServer) -> list[str]:
    return re.findall(r"^(S\.[0-9A-Z]+) ", queue_list(server), re.M)


class DSN:
    """A delivery status notification as stored in a local Maildir (RFC 3464)."""

    def __init__(self, raw: bytes):
        self.raw = raw
        self.message = email.message_from_bytes(raw)
        assert self.message.get_content_type() == "multipart/report", self.message.get_content_type()
        assert self.message.get_param("report-type") == "delivery-status"
        self.parts = self.message.get_payload()
        types = [p.get_content_type() for p in self.parts]
        assert types[:2] == ["text/plain", "message/delivery-status"], types
        self.notification = self.parts[0].get_payload(decode=True).decode()
        blocks = self.parts[1].get_payload()
        self.per_message = blocks[0]
        self.recipients = blocks[1:]
        headers_part = next((p for p in self.parts[2:] if p.get_content_type() in
                             ("text/rfc822-headers", "message/rfc822-headers")), None)
        self.original_headers = headers_part.get_payload() if headers_part is not None else None

    def recipient(self, address: str):
        found = [r for r in self.recipients if r["Final-Recipient"].split(";", 1)[1].strip().lower() == address.lower()]
        assert len(found) == 1, f"{address}: {len(found)} per-recipient groups in {[dict(r) for r in self.recipients]}"
        return found[0]


def dsns(server: SimsServer, account: str = POSTMASTER) -> list[DSN]:
    return [DSN(p.read_bytes()) for p in server.mail_files(account)]


def wait_dsn(server: SimsServer, account: str = POSTMASTER, count: int = 1, timeout: float = QUEUE_DEADLINE) -> list[DSN]:
    files = wait_until(lambda: len(server.mail_files(account)) >= count and server.mail_files(account),
                       timeout, what=f"{count} DSN(s) in {account}'s Maildir")
    return [DSN(p.read_bytes()) for p in files]


class Rbldnsd(Peer):
    """rbldnsd in the foreground on 127.0.0.1:PORT (UDP) serving `zones`
    ({zone: (dataset type, data text)}). Its data directory is world-readable
    because rbldnsd drops root privileges to the `rbldns` user (it refuses to
    run as root) before reading it."""

    def __init__(self, zones: dict[str, tuple[str, str]], workdir: Path):
        super().__init__("rbldnsd", workdir / "rbldnsd.log")
        binary = require_tool("rbldnsd", ["/usr/sbin/rbldnsd"])
        self.directory = Path(tempfile.mkdtemp(prefix="sims-rbldnsd-"))
        os.chmod(self.directory, 0o755)
        arguments = []
        for index, (zone, (dataset, text)) in enumerate(zones.items()):
            name = f"zone{index}"
            (self.directory / name).write_text(text)
            os.chmod(self.directory / name, 0o644)
            arguments.append(f"{zone}:{dataset}:{name}")
        user = ["-u", "rbldns"] if os.geteuid() == 0 else []
        probe = next(iter(zones))
        self.port = 0
        for _ in range(3):
            self.port = free_port()
            self.spawn([binary, "-n", *user, "-b", f"127.0.0.1/{self.port}", "-w", str(self.directory), "-t", "5",
                        *arguments])
            if self.await_ready(lambda: dns_query(f"1.0.0.127.{probe}", self.port, qtype=1) is not None):
                return
        raise AssertionError(f"rbldnsd did not start:\n{self.output()}")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self):
        super().stop()
        shutil.rmtree(self.directory, ignore_errors=True)
