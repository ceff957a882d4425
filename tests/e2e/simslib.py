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
    if isinstance(value, int):
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
        values = {
            "smtp.listen": [f"127.0.0.1:{self.smtp_port}"],
            "submission.listen": [f"127.0.0.1:{self.submission_port}"],
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
                if marker in self.log_since_start():
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            output = self.stderr_path.read_text(errors="replace")
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError(f"sims serve did not log '{marker}' within {START_DEADLINE}s:\n{output}")
            if "in use" not in output.lower():
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
