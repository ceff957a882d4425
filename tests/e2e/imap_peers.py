"""IMAP peers for the end-to-end tests (issue 14): a private Dovecot imapd and a
scripted raw-socket IMAP session whose responses are normalised so that two
servers (SIMS and Dovecot) can be compared reply by reply. No tests here.

    with dovecot_imap(maildir, "alice", "secret") as (host, port):
        steps = transcript(host, port, "alice", "secret", [
            "CAPABILITY", "LOGIN $USER $PASSWORD", "SELECT INBOX",
            ["APPEND INBOX (\\\\Seen) ", b"Subject: x\\r\\n\\r\\nbody\\r\\n"],
            Idle(), "LOGOUT"])
    print(render(steps)); print(compare(steps_a, steps_b))

A script item is either a command line without its tag (the tags A001,
A002, ... are generated), or a list of parts where str parts are sent as
they are and bytes parts are sent as synchronizing literals ({n}, wait for
the server's "+", the bytes), or an Idle(...) (IDLE, optional action while
idling, DONE). "$USER" and "$PASSWORD" in str parts are replaced by the
credentials given to transcript().

Normalisations (each explained where it is made, in normalise and
_normalise_response): tags dropped; free text after a status and its
response code dropped; host names -> <host>; UIDVALIDITY values (also in
APPENDUID/COPYUID) -> <uidvalidity>; capability names sorted; flags inside
FLAGS/PERMANENTFLAGS lists sorted; LIST/LSUB lines sorted; INTERNALDATEs in
the session's time window (appended messages) -> <appended>; quotable
literals written as quoted strings; continuation requests recorded as "+".
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[2]
DOVECOT_INSTANCE = REPO / "bench" / "dovecot-instance.sh"
READ_TIMEOUT = 20.0


# --------------------------------------------------------------------------
# A private Dovecot imapd
# --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dovecot_available() -> bool:
    return (shutil.which("dovecot") is not None or os.access("/usr/sbin/dovecot", os.X_OK)) and os.access(
        "/usr/lib/dovecot/imap", os.X_OK)


@contextlib.contextmanager
def dovecot_imap(maildir: Path, user: str, password: str,
                 instance: Path | None = None, extra_config: str = "") -> Iterator[tuple[str, int]]:
    """Starts Debian's Dovecot (bench/dovecot-instance.sh, protocol imap) on a
    free loopback port serving `maildir` (Maildir++: folders are .Name
    subdirectories) for one user with a plaintext password; yields
    (host, port); stops it (SIGTERM, then SIGKILL) and removes its config,
    state and log directory, but never the Maildir.

    As root the Maildir is handed to `nobody` (Dovecot will not access mail
    as root), so every directory above it must be searchable by others:
    make it under a 0755 directory of its own (tempfile.mkdtemp + chmod),
    not under pytest's 0700 tmp_path.

    `instance`: the directory for Dovecot's config, state and log (its log is
    instance/dovecot.log), kept afterwards; by default a temporary one,
    removed afterwards.

    `extra_config`: dovecot.conf text appended to what
    bench/dovecot-instance.sh writes (e.g. a namespace with another
    separator and special-use mailboxes); Dovecot is then restarted on the
    same port with the amended file before anything is yielded."""
    owned = instance is None
    if instance is None:
        instance = Path(tempfile.mkdtemp(prefix="sims-dovecot-imap-", dir="/tmp"))
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin")
    try:
        for attempt in range(3):
            port = _free_port()
            started = subprocess.run(
                [str(DOVECOT_INSTANCE), "start", str(instance), str(port), user, password, "imap", str(maildir)],
                capture_output=True, text=True, timeout=60, env=env)
            if started.returncode == 0 and extra_config:
                started = _restart_with(instance, port, extra_config, env)
            if started.returncode == 0:
                break
            subprocess.run([str(DOVECOT_INSTANCE), "stop", str(instance)], capture_output=True, timeout=30)
            if attempt == 2:
                raise AssertionError(f"dovecot imap did not start:\n{started.stdout}\n{started.stderr}")
        try:
            yield "127.0.0.1", port
        finally:
            subprocess.run([str(DOVECOT_INSTANCE), "stop", str(instance)], capture_output=True, timeout=30)
    finally:
        if owned:
            shutil.rmtree(instance, ignore_errors=True)


def _restart_with(instance: Path, port: int, extra_config: str, env: dict) -> subprocess.CompletedProcess:
    """Stops the instance, appends `extra_config` to its dovecot.conf and
    starts it again as bench/dovecot-instance.sh does (foreground process in
    the background, its pid in dovecot.pid so that `stop` finds it), waiting
    (bounded) until the port accepts. Returns a CompletedProcess-like result
    whose returncode says whether it came up."""
    subprocess.run([str(DOVECOT_INSTANCE), "stop", str(instance)], capture_output=True, timeout=30)
    with open(instance / "dovecot.conf", "a") as conf:
        conf.write("\n" + extra_config + "\n")
    dovecot = shutil.which("dovecot", path=env["PATH"]) or "/usr/sbin/dovecot"
    with open(instance / "dovecot.out", "ab") as out:
        process = subprocess.Popen([dovecot, "-F", "-c", str(instance / "dovecot.conf")], stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    (instance / "dovecot.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return subprocess.CompletedProcess([], 0, "", "")
        except OSError:
            time.sleep(0.05)
    output = (instance / "dovecot.out").read_text(errors="replace")
    return subprocess.CompletedProcess([], 1, "", f"dovecot did not restart with the extra config:\n{output}")


# --------------------------------------------------------------------------
# The scripted session
# --------------------------------------------------------------------------


@dataclass
class Idle:
    """IDLE (RFC 2177): send IDLE, wait for "+", run `action` (e.g. deliver a
    message by another path), read untagged responses until one matches the
    regular expression `until` (or `timeout` s pass; without `until`, none are
    awaited), send DONE and read the tagged reply."""
    action: Callable[[], object] | None = None
    until: str | None = None
    timeout: float = 10.0


@dataclass
class Step:
    """One command and what the server answered, normalised (see normalise)."""
    command: str
    untagged: list[str] = field(default_factory=list)
    status: str = ""


class _Reader:
    """Bounded line/literal reader over a socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def _fill(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("IMAP server sent nothing in time")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("IMAP server closed the connection")
        self.buffer += chunk

    def line(self, deadline: float) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def exactly(self, count: int, deadline: float) -> bytes:
        while len(self.buffer) < count:
            self._fill(deadline)
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def response(self, deadline: float) -> list[bytes | tuple[bytes]]:
        """One response: a line, and when it ends in a literal {n} the n
        octets (as a 1-tuple, to tell them from text) and the rest, repeated."""
        parts: list[bytes | tuple[bytes]] = []
        while True:
            line = self.line(deadline)
            parts.append(line)
            literal = re.search(rb"\{(\d+)\+?\}$", line)
            if not literal:
                return parts
            parts.append((self.exactly(int(literal.group(1)), deadline),))


def transcript(host: str, port: int, user: str, password: str, script: list, *,
               hostnames: tuple[str, ...] = ()) -> list[Step]:
    """Runs `script` over one plaintext connection and returns one Step per
    command (the greeting first, as command "<greeting>"), normalised. Each
    Step.command is the script's line as written, "$USER"/"$PASSWORD" kept
    (the servers' user names may differ: "alice" and "alice@example.test"),
    a literal shown as {n}, IDLE as "IDLE". Tags are not recorded. Stops
    after LOGOUT's tagged reply or when the server closes the connection.
    `hostnames`: names the server may put in its responses (replaced by
    <host>, besides this machine's own names)."""
    started = time.time()
    raw: list[tuple[str, list[list[bytes | tuple[bytes]]], list[bytes | tuple[bytes]] | None]] = []
    with socket.create_connection((host, port), timeout=READ_TIMEOUT) as sock:
        reader = _Reader(sock)
        deadline = time.monotonic() + READ_TIMEOUT
        raw.append(("<greeting>", [], reader.response(deadline)))
        for number, item in enumerate(script, start=1):
            tag = f"A{number:03d}"
            untagged: list[list[bytes | tuple[bytes]]] = []
            try:
                command, tagged = _run_item(sock, reader, tag, item, user, password, untagged)
            except ConnectionError:
                raw.append((_describe(item), untagged, None))
                break
            raw.append((command, untagged, tagged))
            if command.upper() == "LOGOUT":
                break
    finished = time.time()
    names = tuple(n for n in {*hostnames, socket.gethostname(), socket.getfqdn()} if n)
    return [normalise(command, untagged, tagged, names, (started, finished)) for command, untagged, tagged in raw]


def _describe(item) -> str:
    if isinstance(item, Idle):
        return "IDLE"
    if isinstance(item, str):
        return item
    return "".join(p if isinstance(p, str) else "{%d}" % len(p) for p in item)


def _run_item(sock, reader: _Reader, tag: str, item, user: str, password: str, untagged: list):
    """Sends one script item; collects untagged responses; returns
    (command as recorded, tagged response)."""
    deadline = time.monotonic() + READ_TIMEOUT

    def until_tagged():
        while True:
            response = reader.response(deadline)
            first = response[0]
            if first.startswith(tag.encode() + b" "):
                return response
            untagged.append(response)

    if isinstance(item, Idle):
        sock.sendall(tag.encode() + b" IDLE\r\n")
        while True:
            response = reader.response(deadline)
            if response[0].startswith(b"+"):
                untagged.append([b"+"])
                break
            if response[0].startswith(tag.encode() + b" "):
                return "IDLE", response  # refused
            untagged.append(response)
        if item.action is not None:
            item.action()
        if item.until is not None:
            pattern = re.compile(item.until.encode())
            idle_deadline = time.monotonic() + item.timeout
            while not any(pattern.search(r[0]) for r in untagged[1:]):
                untagged.append(reader.response(idle_deadline))
        sock.sendall(b"DONE\r\n")
        return "IDLE", until_tagged()

    parts = [item] if isinstance(item, str) else list(item)
    parts = [p.replace("$USER", user).replace("$PASSWORD", password) if isinstance(p, str) else p for p in parts]
    recorded = _describe(item)
    pending = tag.encode() + b" "
    for part in parts:
        if isinstance(part, str):
            pending += part.encode()
            continue
        sock.sendall(pending + b"{%d}\r\n" % len(part))
        pending = b""
        while True:
            response = reader.response(deadline)
            if response[0].startswith(b"+"):
                break
            if response[0].startswith(tag.encode() + b" "):
                return recorded, response  # the literal was refused
            untagged.append(response)
        sock.sendall(part)
    sock.sendall(pending + b"\r\n")
    return recorded, until_tagged()


# --------------------------------------------------------------------------
# Normalisation: what makes two servers' transcripts comparable
# --------------------------------------------------------------------------

_STATUS = re.compile(r"^(OK|NO|BAD|BYE|PREAUTH)(?: (\[[^\]]*\]))?(?: .*)?$", re.IGNORECASE)
_QUOTABLE = re.compile(rb"^[\x20-\x7e]{0,200}$")


def normalise(command: str, untagged: list, tagged, hostnames: tuple[str, ...],
              window: tuple[float, float]) -> Step:
    step = Step(command=command)
    for response in untagged:
        text = _flatten(response)
        if text == "+" or text.startswith("+ "):
            # Continuation requests: only that one came, not its free text.
            step.untagged.append("+")
            continue
        assert text.startswith("* "), f"neither untagged nor continuation: {text!r}"
        step.untagged.append("* " + _normalise_response(text[2:], hostnames, window))
    # LIST and LSUB responses come in no fixed order (RFC 3501 § 6.3.8):
    # they are sorted, keeping their place among the other responses.
    listed = sorted(u for u in step.untagged if u.startswith(("* LIST ", "* LSUB ")))
    step.untagged = [listed.pop(0) if u.startswith(("* LIST ", "* LSUB ")) else u for u in step.untagged]
    if tagged is None:
        step.status = "<connection closed>"
    else:
        text = _flatten(tagged)
        step.status = _normalise_response(text.split(" ", 1)[1] if " " in text else "", hostnames, window)
    return step


def _flatten(response: list) -> str:
    """A response as one string. Literals: a literal whose content could have
    been a quoted string (printable ASCII, no CR/LF, at most 200 octets) is
    written as that quoted string, since a server may send the same value
    either way (RFC 3501 § 4.3); any other literal is kept as {n} followed by
    its content with CR and LF made visible (\\r, \\n)."""
    out = []
    for index, part in enumerate(response):
        if isinstance(part, tuple):
            data = part[0]
            if _QUOTABLE.match(data):
                out.append('"' + data.decode().replace("\\", "\\\\").replace('"', '\\"') + '"')
            else:
                out.append(data.decode("utf-8", "replace").replace("\r", "\\r").replace("\n", "\\n"))
            continue
        text = part.decode("utf-8", "replace")
        following = response[index + 1] if index + 1 < len(response) else None
        if isinstance(following, tuple):
            marker = "" if _QUOTABLE.match(following[0]) else "{%d}" % len(following[0])
            text = re.sub(r"\{\d+\+?\}$", marker, text)
        out.append(text)
    return "".join(out)


def _normalise_response(text: str, hostnames: tuple[str, ...], window: tuple[float, float]) -> str:
    # Host names (in BYE texts, referrals, ...): each server has its own.
    for name in sorted(hostnames, key=len, reverse=True):
        text = text.replace(name, "<host>")
    # Status responses (OK/NO/BAD/BYE/PREAUTH): only the status and the
    # response code are kept; the human-readable text after them is each
    # server's own ("Select completed (0.002 + 0.000 secs)."). A BAD or NO is
    # compared as such: its text never is.
    status = _STATUS.match(text)
    if status:
        text = status.group(1).upper() + (" " + status.group(2) if status.group(2) else "")
    # UIDVALIDITY is chosen by each server (often the time the mailbox was
    # made): replaced in [UIDVALIDITY n], STATUS (... UIDVALIDITY n) and the
    # first number of [APPENDUID n uid] and [COPYUID n set set].
    text = re.sub(r"\bUIDVALIDITY \d+", "UIDVALIDITY <uidvalidity>", text, flags=re.IGNORECASE)
    text = re.sub(r"\[(APPENDUID|COPYUID) \d+", r"[\1 <uidvalidity>", text, flags=re.IGNORECASE)
    # Capability order is free (RFC 3501 § 7.2.1): the names are upper-cased
    # and sorted, in CAPABILITY responses and [CAPABILITY ...] codes alike.
    text = re.sub(r"^(CAPABILITY) (.*)$", lambda m: "CAPABILITY " + _sorted_caps(m.group(2)), text,
                  flags=re.IGNORECASE)
    text = re.sub(r"\[CAPABILITY ([^\]]*)\]", lambda m: "[CAPABILITY " + _sorted_caps(m.group(1)) + "]", text,
                  flags=re.IGNORECASE)
    # INTERNALDATE of a message appended during the session is the server's
    # clock at APPEND: a date inside the session's time window (a minute of
    # slack either side) becomes <appended>. Messages from the Maildir keep
    # their date (the file's mtime, the same for both servers), so test
    # mailboxes must use dates well outside the present.
    text = re.sub(r'INTERNALDATE "([^"]+)"', lambda m: 'INTERNALDATE ' + _internaldate(m.group(1), window), text,
                  flags=re.IGNORECASE)
    # Flag order inside a list is free (RFC 3501 § 7.2.6, 7.4.2): FLAGS (...)
    # and PERMANENTFLAGS (...) lists are sorted. Which flags are there (\Recent
    # included) is compared.
    text = re.sub(r"\b(FLAGS|PERMANENTFLAGS) \(([^)]*)\)",
                  lambda m: f"{m.group(1)} ({' '.join(sorted(m.group(2).split()))})", text, flags=re.IGNORECASE)
    return text


def _sorted_caps(names: str) -> str:
    return " ".join(sorted(n.upper() for n in names.split()))


def _internaldate(value: str, window: tuple[float, float]) -> str:
    try:
        when = datetime.strptime(value.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp()
    except ValueError:
        return f'"{value}"'
    if window[0] - 60 <= when <= window[1] + 60:
        return "<appended>"
    return f'"{value}"'


# --------------------------------------------------------------------------
# Rendering and comparing
# --------------------------------------------------------------------------


def render(steps: list[Step]) -> list[str]:
    """One line per command, untagged response and status: C:, S:, =>."""
    lines = []
    for step in steps:
        lines.append(f"C: {step.command}")
        lines += [f"S: {u}" for u in step.untagged]
        lines.append(f"=> {step.status}")
    return lines


def compare(a: list[Step], b: list[Step], names: tuple[str, str] = ("a", "b")) -> str:
    """The differences between two normalised transcripts as a unified diff
    of their rendered lines; "" when they are the same."""
    if a == b:
        return ""
    return "\n".join(difflib.unified_diff(render(a), render(b), fromfile=names[0], tofile=names[1], lineterm=""))
