"""The test internet: SIMS, Debian's Postfix, BIND and clients on hosts made
of Linux network namespaces, joined by veth pairs, with real routing, real
DNS, a real NAT router and a test CA (see docs/testing.md for the picture).

    with TestInternet(workdir) as lab:        # or the pytest fixture `lab`
        lab.run("outside", ["swaks", ...])    # any command, inside a host
        lab.send_mail("lan", "mx.sims.test", ...)
        lab.set_nat_mode("masquerading")
        lab.dns.add_record("_dmarc.sims.test", "TXT", '"v=DMARC1; p=none"'); lab.dns.reload()

Every party, the tests' own clients too, runs inside a namespace (`ip netns
exec HOST ...`): the machine's own namespace cannot connect into one. Each
lab has its own name prefix (`simslab-PID-N-`); at start, the namespaces and
directories of labs whose process is gone are removed; at the end (also on
failure) everything this lab made is removed, unless SIMS_KEEP_LAB=1.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from simslib import (SIMS_BINARY, START_DEADLINE, STOP_DEADLINE, SimsServer, in_ci, require_tool, set_toml_values,
                     wait_until)

PREFIX = "simslab"
NETNS_ETC = Path("/etc/netns")
KEEP_ENV = "SIMS_KEEP_LAB"
PYTHON = "/usr/bin/python3"
_counter = itertools.count(1)


# --------------------------------------------------------------------------
# Topology
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """An internet segment: a bridge in the `inet` core router's namespace."""
    bridge: str
    ipv4: str  # the network
    ipv6: str

    def gateway(self, family: int) -> str:
        net = ipaddress.ip_network(self.ipv4 if family == 4 else self.ipv6)
        return str(net.network_address + 1)


SEGMENTS = {
    "a": Segment("br-a", "192.0.2.0/24", "2001:db8:1::/64"),       # dns, outside
    "b": Segment("br-b", "198.51.100.0/24", "2001:db8:2::/64"),    # mx.peer.test
    "c": Segment("br-c", "203.0.113.0/24", "2001:db8:3::/64"),     # the router's public side
}
LAN_IPV4 = "192.168.1.0/24"
LAN_IPV6 = "2001:db8:10::/64"  # routed to the LAN, no NAT66


@dataclass(frozen=True)
class Host:
    name: str            # role: dns, peer, outside, router, sims, lan, inet
    fqdn: str | None     # its name in the lab DNS
    ipv4: str | None     # its address (the router: its public one)
    ipv6: str | None
    netns: str = ""      # the namespace, filled in per lab


HOSTS = {
    "inet": Host("inet", None, None, None),
    "dns": Host("dns", "ns.lab.test", "192.0.2.53", "2001:db8:1::53"),
    "outside": Host("outside", "client.outside.test", "192.0.2.66", "2001:db8:1::66"),
    "peer": Host("peer", "mx.peer.test", "198.51.100.25", "2001:db8:2::25"),
    "router": Host("router", "gw.sims.test", "203.0.113.10", "2001:db8:3::10"),
    "sims": Host("sims", "mx.sims.test", "192.168.1.10", "2001:db8:10::10"),
    "lan": Host("lan", "pc.lan.sims.test", "192.168.1.20", "2001:db8:10::20"),
}
ROUTER_LAN_IPV4 = "192.168.1.1"
ROUTER_LAN_IPV6 = "2001:db8:10::1"
PUBLIC_SIMS_IPV4 = HOSTS["router"].ipv4  # mx.sims.test's A record: the router's public address
FORWARDED_PORTS = (25, 110, 465, 587, 995)
NAT_MODES = ("honest", "masquerading")

SIMS_DOMAIN = "sims.test"
PEER_DOMAIN = "peer.test"
VICTIM_DOMAIN = "victim.test"  # a third domain that Postfix serves: where relayed spam lands
PEER_MAILBOXES = ("bob", "carol", "postmaster")
PASSWORD = "correct horse battery staple"


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def _sh(argv: list[str], input: str | bytes | None = None, timeout: float = 30, check: bool = True) \
        -> subprocess.CompletedProcess:
    text = not isinstance(input, bytes)
    result = subprocess.run(argv, input=input, capture_output=True, text=text, timeout=timeout,
                            stdin=None if input is not None else subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_namespace(netns: str):
    """Kills what still runs in a namespace of ours, deletes it and its /etc/netns files."""
    pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    subprocess.run(["ip", "netns", "del", netns], capture_output=True)
    shutil.rmtree(NETNS_ETC / netns, ignore_errors=True)


def remove_leftovers():
    """Removes the namespaces and directories of labs whose process is gone
    (a killed test run); a lab of a running process is never touched."""
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split("\n")
    for line in names:
        name = line.split(" ", 1)[0]
        m = re.match(rf"^{PREFIX}-(\d+)-\d+-", name)
        if m and not _pid_alive(int(m.group(1))):
            _remove_namespace(name)
    if NETNS_ETC.is_dir():
        for d in NETNS_ETC.iterdir():
            m = re.match(rf"^{PREFIX}-(\d+)-\d+-", d.name)
            if m and not _pid_alive(int(m.group(1))):
                shutil.rmtree(d, ignore_errors=True)
    for d in Path(tempfile.gettempdir()).glob(f"{PREFIX}-*"):
        m = re.match(rf"^{PREFIX}-(\d+)-\d+-", d.name)
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(d, ignore_errors=True)


def reverse_name(address: str) -> str:
    return ipaddress.ip_address(address).reverse_pointer


# --------------------------------------------------------------------------
# The test CA (openssl)
# --------------------------------------------------------------------------

class TestCA:
    """A CA made for this lab, and server certificates signed by it."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True)
        self.key = directory / "ca.key"
        self.certificate = directory / "ca.pem"
        _sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(self.key), "-out", str(self.certificate), "-days", "3", "-subj", "/CN=SIMS test internet CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    def issue(self, name: str) -> tuple[Path, Path]:
        """(certificate, key) for the DNS name `name`, signed by this CA."""
        key, csr, cert, ext = (self.directory / f"{name}.{s}" for s in ("key", "csr", "pem", "ext"))
        _sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
             "-out", str(csr), "-subj", f"/CN={name}"])
        ext.write_text(f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n"
                       "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n")
        _sh(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.certificate), "-CAkey", str(self.key),
             "-CAcreateserial", "-out", str(cert), "-days", "3", "-extfile", str(ext)])
        os.chmod(key, 0o600)
        return cert, key


# --------------------------------------------------------------------------
# DNS: BIND, authoritative for the lab's zones
# --------------------------------------------------------------------------

class LabDNS:
    """named (BIND 9) in the `dns` host, authoritative for every lab zone.
    Later tests add records (DKIM, DMARC, ...) with add_record() + reload()."""

    def __init__(self, lab: "TestInternet", directory: Path):
        self.lab = lab
        self.directory = directory
        directory.mkdir()
        self.zones: dict[str, list[tuple[str, str, str]]] = {}
        self.serial = int(time.time()) % 1_000_000_000
        self.proc: subprocess.Popen | None = None

    def add_zone(self, zone: str):
        zone = zone.rstrip(".").lower()
        if zone not in self.zones:
            self.zones[zone] = [("@", "NS", "ns.lab.test.")]

    def add_record(self, name: str, rtype: str, data: str):
        """A record in the zone that holds `name` (the longest matching zone);
        data in zone-file syntax: '10 mx.sims.test.', '"v=spf1 mx -all"'."""
        name = name.rstrip(".").lower()
        zone = max((z for z in self.zones if name == z or name.endswith("." + z)), key=len, default=None)
        assert zone is not None, f"no lab zone holds {name}: add_zone() first"
        self.zones[zone].append((name + ".", rtype.upper(), data))

    def remove_records(self, name: str, rtype: str):
        name = name.rstrip(".").lower() + "."
        for zone, records in self.zones.items():
            self.zones[zone] = [r for r in records if not (r[0] == name and r[1] == rtype.upper())]

    def _write(self):
        self.serial += 1
        conf = [
            "options {",
            f'  directory "{self.directory}";',
            f"  listen-on port 53 {{ {HOSTS['dns'].ipv4}; }};",
            f"  listen-on-v6 port 53 {{ {HOSTS['dns'].ipv6}; }};",
            "  recursion no; dnssec-validation no; notify no; allow-query { any; };",
            "  pid-file none; session-keyfile none; querylog yes;",
            f'  managed-keys-directory "{self.directory}";',
            "};",
            "controls { };",
        ]
        for zone, records in sorted(self.zones.items()):
            lines = [f"$TTL 60", f"@ SOA ns.lab.test. hostmaster.lab.test. {self.serial} 60 60 600 60"]
            lines += [f"{n} {t} {d}" for n, t, d in records]
            (self.directory / f"{zone}.zone").write_text("\n".join(lines) + "\n")
            conf.append(f'zone "{zone}" {{ type primary; file "{zone}.zone"; }};')
        (self.directory / "named.conf").write_text("\n".join(conf) + "\n")

    def start(self):
        named = require_tool("named", ["/usr/sbin/named"])
        self._write()
        self.proc = self.lab.popen("dns", [named, "-g", "-n", "1", "-c", str(self.directory / "named.conf")],
                                   log=self.directory / "named.log")

    def wait_ready(self):
        def running():
            assert self.proc and self.proc.poll() is None, f"named exited:\n{self.log()}"
            return "running" in self.log()
        wait_until(running, START_DEADLINE, what="named to start")

    def reload(self, check: tuple[str, str] | None = None):
        """Rewrites the zone files (new serial) and makes named load them
        (SIGHUP); waits until `check` = (name, type) answers, if given."""
        before = self.log().count("reloading zones succeeded")
        self._write()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.log().count("reloading zones succeeded") > before, START_DEADLINE,
                   what="named to reload its zones")
        if check:
            wait_until(lambda: self.query(*check), START_DEADLINE, what=f"{check} in the lab DNS")

    def query(self, name: str, rtype: str = "A", host: str = "outside") -> list[str]:
        """The answer as the lab's hosts see it (dig +short, from `host`)."""
        result = self.lab.run(host, ["dig", "+short", "+time=2", "+tries=1", f"@{HOSTS['dns'].ipv4}", name, rtype])
        return result.stdout.split("\n")[:-1] if result.returncode == 0 else []

    def log(self) -> str:
        try:
            return (self.directory / "named.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""


def standard_zones(dns: LabDNS):
    for zone in (SIMS_DOMAIN, PEER_DOMAIN, VICTIM_DOMAIN, "loop.test", "loop6.test", "outside.test", "lab.test"):
        dns.add_zone(zone)
    for network in (*[s.ipv4 for s in SEGMENTS.values()], "2001:db8::/32"):
        net = ipaddress.ip_network(network)
        # The zone cut at the network's own boundary (/24: three labels, /32: eight nibbles).
        labels = 3 if net.version == 4 else 8
        dns.add_zone(".".join(net.network_address.reverse_pointer.split(".")[-(labels + 2):]))
    for host in HOSTS.values():
        if host.fqdn:
            if host.name not in ("sims", "lan"):
                dns.add_record(host.fqdn, "A", host.ipv4)
            dns.add_record(host.fqdn, "AAAA", host.ipv6)
    # SIMS is reached at the router's public address (port forward) and at its own IPv6 address.
    dns.add_record("mx.sims.test", "A", PUBLIC_SIMS_IPV4)
    for host in ("dns", "outside", "peer"):
        for address in (HOSTS[host].ipv4, HOSTS[host].ipv6):
            dns.add_record(reverse_name(address), "PTR", HOSTS[host].fqdn + ".")
    dns.add_record(reverse_name(PUBLIC_SIMS_IPV4), "PTR", "mx.sims.test.")
    dns.add_record(reverse_name(HOSTS["sims"].ipv6), "PTR", "mx.sims.test.")
    for domain, mx in ((SIMS_DOMAIN, "mx.sims.test."), (PEER_DOMAIN, "mx.peer.test."),
                       (VICTIM_DOMAIN, "mx.peer.test."), ("loop.test", "mx.sims.test."),
                       ("loop6.test", "mail.loop6.test."), ("outside.test", "mx.peer.test.")):
        dns.add_record(domain, "MX", f"10 {mx}")
        spf = "a:client.outside.test mx" if domain == "outside.test" else "mx"
        dns.add_record(domain, "TXT", f'"v=spf1 {spf} -all"')
    # loop6.test's MX has another name, but its only address is SIMS's own IPv6 address.
    dns.add_record("mail.loop6.test", "AAAA", HOSTS["sims"].ipv6)


# --------------------------------------------------------------------------
# mx.peer.test: Debian's Postfix as the rest of the internet
# --------------------------------------------------------------------------

_POSTFIX_SERVICES = """\
smtp       inet  n       -       n       -       -       smtpd
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
virtual    unix  -       n       n       -       -       virtual
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
"""


class PostfixPeer:
    """Postfix's master in the foreground (`master -c DIR -d`) in the `peer`
    host: its own config, queue and data directories under the lab's
    directory, no chroot, never /etc/postfix; peer.test and victim.test go
    to Maildirs, everything else by MX with opportunistic TLS."""

    def __init__(self, lab: "TestInternet", directory: Path):
        self.lab = lab
        self.directory = directory
        self.etc = directory / "etc"
        self.queue = directory / "queue"
        self.vmail = directory / "vmail"
        self.proc: subprocess.Popen | None = None

    def setup(self, certificate: Path, key: Path):
        require_tool("postfix", ["/usr/sbin/postfix"])
        for d in (self.etc, self.vmail, self.directory / "data"):
            d.mkdir(parents=True)
        self.make_queue()
        shutil.chown(self.directory / "data", "postfix")
        shutil.chown(self.vmail, "nobody", "nogroup")
        mailboxes = [f"{user}@{domain} {domain}/{user}/Maildir/"
                     for domain in (PEER_DOMAIN, VICTIM_DOMAIN) for user in PEER_MAILBOXES]
        (self.etc / "vmailbox").write_text("\n".join(mailboxes) + "\n")
        (self.etc / "master.cf").write_text(_POSTFIX_SERVICES)
        d = self.directory
        (self.etc / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {self.queue}
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.peer.test
mydomain = peer.test
myorigin = peer.test
mydestination =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = {PEER_DOMAIN} {VICTIM_DOMAIN}
virtual_mailbox_base = {self.vmail}
virtual_mailbox_maps = texthash:{self.etc}/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
alias_maps =
alias_database =
biff = no
smtpd_tls_cert_file = {certificate}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtp_tls_security_level = may
smtp_tls_CAfile = {self.lab.ca.certificate}
smtp_tls_loglevel = 1
# SIMS's MX has an IPv4 address (the NAT port forward) and an IPv6 one:
# IPv4 first, so that mail from the internet takes the router's port forward.
smtp_address_preference = ipv4
queue_run_delay = 1s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
""")

    def make_queue(self):
        """The queue directories `postfix post-install` would make (that
        script takes seconds and reads /etc/postfix/main.cf)."""
        self.queue.mkdir(parents=True)
        for name in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private",
                     "saved", "trace"):
            (self.queue / name).mkdir(mode=0o700)
            shutil.chown(self.queue / name, "postfix", "root")
        for name, mode in (("maildrop", 0o730), ("public", 0o710)):
            (self.queue / name).mkdir()
            os.chmod(self.queue / name, mode)
            shutil.chown(self.queue / name, "postfix", "postdrop")
        (self.queue / "pid").mkdir(mode=0o755)

    def start(self):
        master = "/usr/lib/postfix/sbin/master"  # Debian's; postconf takes a second to say so
        if not os.path.exists(master):
            master = _sh(["postconf", "-c", str(self.etc), "-h", "daemon_directory"]).stdout.strip() + "/master"
        self.proc = self.lab.popen("peer", [master, "-c", str(self.etc), "-d"], log=self.directory / "master.out",
                                   env={"MAIL_CONFIG": str(self.etc)})

    def wait_ready(self):
        def listening():
            assert self.proc and self.proc.poll() is None, f"Postfix's master exited:\n{self.log()}"
            return self.lab.port_open("peer", "127.0.0.1", 25)
        wait_until(listening, START_DEADLINE, interval=0.1, what="Postfix to listen on port 25")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def maildir(self, address: str) -> Path:
        user, domain = address.rsplit("@", 1)
        return self.vmail / domain / user / "Maildir" / "new"

    def mail_files(self, address: str) -> list[Path]:
        d = self.maildir(address)
        return sorted(d.iterdir()) if d.is_dir() else []

    def wait_mail(self, address: str, containing: bytes, timeout: float = 30.0) -> bytes:
        """The message in `address`'s Maildir that contains `containing`."""
        def found():
            for path in self.mail_files(address):
                data = path.read_bytes()
                if containing in data:
                    return data
            return None
        return wait_until(found, timeout, interval=0.1,
                          what=f"a message with {containing!r} in {address}'s Maildir at mx.peer.test\n{self.log()[-3000:]}")

    def log(self) -> str:
        try:
            return (self.directory / "maillog").read_text(errors="replace")
        except FileNotFoundError:
            return ""


# --------------------------------------------------------------------------
# mx.sims.test: SIMS as in production
# --------------------------------------------------------------------------

# The wildcard listeners exactly as docs/configuration.md recommends for
# production: "0.0.0.0" and "[::]" on each port. SIMS makes the [::] socket
# IPv6-only when an IPv4 wildcard shares its port, so the pair binds
# (test_network_loop.py::test_production_listener_pair_binds).
PRODUCTION_LISTEN_HOSTS = ["0.0.0.0", "[::]"]
LISTEN_HOSTS = PRODUCTION_LISTEN_HOSTS


class LabSims(SimsServer):
    """`sims serve` as root in the `sims` host, configured as in production:
    wildcard listeners on the standard ports, hostname mx.sims.test, the lab
    DNS through /etc/resolv.conf, delivery to port 25 by MX, a certificate
    from the lab CA. `restart(**overrides)` changes the configuration."""

    BASE_PORTS = {"smtp.listen": 25, "submission.listen": 587, "submission.implicit_tls_listen": 465,
                  "pop3.listen": 110, "pop3.implicit_tls_listen": 995,
                  "imap.listen": 143, "imap.implicit_tls_listen": 993}

    def __init__(self, lab: "TestInternet", data: Path, certificate: Path, key: Path):
        super().__init__(data)
        self.lab = lab
        self.smtp_port, self.submission_port, self.submissions_port, self.pop_port, self.pops_port = \
            25, 587, 465, 110, 995
        self.base = {
            "hostname": "mx.sims.test",
            **{key_: [f"{host}:{port}" for host in LISTEN_HOSTS] for key_, port in self.BASE_PORTS.items()},
            "tls.certificate": str(certificate),
            "tls.key": str(key),
            "delivery.dns_servers": [],       # empty: /etc/resolv.conf, i.e. the lab DNS
            "delivery.port": 25,
            "delivery.connect_timeout": "5s",
            "queue.retry_schedule": ["2s"],
            "log.modules.DELIVERY": 3,
        }

    def init(self):
        result = _sh([SIMS_BINARY, "init", "--data", str(self.data), "--hostname", "mx.sims.test",
                      "--domain", SIMS_DOMAIN], timeout=60)
        m = re.search(r"password:\s+(\S+)", result.stdout)
        self.postmaster_password = m.group(1) if m else ""

    def configure(self, **extra):
        """sims.toml as `sims init` wrote it, plus the base, plus the overrides
        (so a key set for one test does not stay for the next)."""
        path = self.data / "sims.toml"
        if not hasattr(self, "pristine"):
            self.pristine = path.read_text()
        path.write_text(set_toml_values(self.pristine, {**self.base, **self.overrides, **extra}))

    def start(self, new_ports: bool = False):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.configure()
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.proc = self.lab.popen("sims", [SIMS_BINARY, "serve", "--data", str(self.data)], log=self.stderr_path)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"sims serve exited with {self.proc.returncode}:\n"
                                     f"{self.stderr_path.read_text(errors='replace')[-4000:]}")
            return "ready: every listener is bound" in self.log_since_start()
        wait_until(ready, START_DEADLINE, what="sims serve in the lab to bind every listener")
        return self

    def restart(self, **overrides):
        """Stops SIMS, replaces the test overrides (on top of the production
        base) and starts it again; the log offset moves to the new start."""
        self.stop()
        self.overrides = dict(overrides)
        return self.start()


# --------------------------------------------------------------------------
# SMTP from inside a host
# --------------------------------------------------------------------------

# A scripted SMTP dialogue run inside a namespace by the system Python.
# stdin: JSON {server, port, family (0/4/6), steps, ca, tls_name, implicit_tls}.
# Steps: "COMMAND" (sent, its reply read), {"data": base64} (the message,
# dot-stuffed, then "."); "STARTTLS" is followed by the TLS handshake,
# verifying the certificate against the lab CA for tls_name. The dialogue
# stops at the first reply of 4xx/5xx unless the step says {"cmd", "go_on"}.
_SMTP_DIALOGUE = r'''
import base64, json, socket, ssl, sys
req = json.load(sys.stdin)
out = {"steps": [], "error": None, "tls": None, "peer": None}
def reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            raise EOFError("connection closed by the server")
        line = line.rstrip(b"\r\n")
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return [int(lines[0][:3]), "\n".join(l[4:].decode("utf-8", "replace") for l in lines)]
def tls(sock):
    ctx = ssl.create_default_context(cafile=req["ca"])
    wrapped = ctx.wrap_socket(sock, server_hostname=req["tls_name"])
    out["tls"] = [wrapped.version(), wrapped.cipher()[0]]
    return wrapped
try:
    family = {4: socket.AF_INET, 6: socket.AF_INET6}.get(req.get("family", 0), 0)
    info = socket.getaddrinfo(req["server"], req["port"], family, socket.SOCK_STREAM)[0]
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    sock.settimeout(req.get("timeout", 30))
    sock.connect(info[4])
    out["peer"] = info[4][0]
    if req.get("implicit_tls"):
        sock = tls(sock)
    f = sock.makefile("rb")
    out["steps"].append(["(greeting)"] + reply(f))
    for step in req["steps"]:
        if isinstance(step, str):
            step = {"cmd": step}
        if "data" in step:
            body = base64.b64decode(step["data"])
            stuffed = b"".join((b"." + l if l.startswith(b".") else l) for l in body.splitlines(keepends=True))
            sock.sendall(stuffed + b".\r\n")
            label = "(message)"
        else:
            sock.sendall(step["cmd"].encode() + b"\r\n")
            label = step["cmd"]
        code, text = reply(f)
        out["steps"].append([label, code, text])
        if label.upper() == "STARTTLS" and code == 220:
            sock = tls(sock)
            f = sock.makefile("rb")
        if code >= 400 and not step.get("go_on"):
            break
except Exception as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
json.dump(out, sys.stdout)
'''


class Dialogue:
    """What an SMTP client inside a lab host saw: each step's (command, code, text)."""

    def __init__(self, result: dict):
        self.steps = [tuple(s) for s in result["steps"]]
        self.error = result["error"]
        self.tls = result["tls"]
        self.peer = result["peer"]

    def reply(self, command_prefix: str) -> tuple[int, str] | None:
        for label, code, text in self.steps:
            if label.upper().startswith(command_prefix.upper()):
                return code, text
        return None

    @property
    def delivered(self) -> bool:
        return any(label == "(message)" and code == 250 for label, code, _ in self.steps)

    def __repr__(self):
        lines = [f"{label} -> {code} {text}" for label, code, text in self.steps]
        return "Dialogue(\n  " + "\n  ".join(lines) + f"\n  error={self.error} tls={self.tls} peer={self.peer})"


# --------------------------------------------------------------------------
# The lab
# --------------------------------------------------------------------------

class TestInternet:
    """Builds the namespaces, links, addresses, routes and NAT; starts BIND,
    Postfix and SIMS; tears everything down at the end."""

    __test__ = False  # not a pytest test class

    def __init__(self, mode: str = "honest", keep: bool | None = None):
        assert mode in NAT_MODES, mode
        self.mode = mode
        self.keep = os.environ.get(KEEP_ENV, "") not in ("", "0") if keep is None else keep
        self.prefix = f"{PREFIX}-{os.getpid()}-{next(_counter)}-"
        self.hosts = {name: Host(h.name, h.fqdn, h.ipv4, h.ipv6, self.prefix + name) for name, h in HOSTS.items()}
        self.root = Path(tempfile.mkdtemp(prefix=self.prefix, dir=tempfile.gettempdir()))
        os.chmod(self.root, 0o755)  # Postfix's daemons run as postfix and nobody below it
        self.created: list[str] = []
        self.processes: list[subprocess.Popen] = []
        self.timings: dict[str, float] = {}
        self.ca: TestCA
        self.dns: LabDNS
        self.peer: PostfixPeer
        self.sims: LabSims

    # -- lifecycle
    def __enter__(self) -> "TestInternet":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        began = time.monotonic()
        for tool in ("ip", "nft", "openssl", "dig"):
            require_tool(tool, [f"/usr/sbin/{tool}", f"/usr/bin/{tool}"])
        remove_leftovers()
        self._check_namespaces_allowed()
        self.ca = TestCA(self.root / "ca")
        self.dns = LabDNS(self, self.root / "dns")
        standard_zones(self.dns)
        self.build_network()
        self.timings["network"] = time.monotonic() - began
        self.dns.start()
        self.peer = PostfixPeer(self, self.root / "postfix")
        self.peer.setup(*self.ca.issue("mx.peer.test"))
        self.peer.start()
        self.sims = LabSims(self, self.root / "sims", *self.ca.issue("mx.sims.test"))
        self.sims.init()
        self.dns.wait_ready()
        self.sims.start()
        self.peer.wait_ready()
        self.timings["startup"] = time.monotonic() - began

    def _check_namespaces_allowed(self):
        first = self.hosts["inet"].netns
        result = subprocess.run(["ip", "netns", "add", first], capture_output=True, text=True)
        if result.returncode != 0:
            message = f"network namespaces are not allowed here (ip netns add: {result.stderr.strip()})"
            if in_ci():
                pytest.fail(message + " and CI=true: the test internet must run", pytrace=False)
            pytest.skip(message)
        self.created.append(first)

    def close(self):
        if self.keep:
            print(f"\n{KEEP_ENV}: the test internet is kept: namespaces {self.prefix}*, files in {self.root}; "
                  f"remove with: for n in $(ip netns list | grep -o '^{self.prefix}[a-z]*'); "
                  f"do ip netns pids $n | xargs -r kill -9; ip netns del $n; rm -rf /etc/netns/$n; done")
            return
        for stop in (getattr(self, "sims", None), getattr(self, "peer", None)):
            if stop is not None:
                try:
                    stop.stop()
                except (AssertionError, OSError, subprocess.SubprocessError):
                    pass
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                pass
        for netns in reversed(self.created):
            _remove_namespace(netns)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- running things inside hosts
    def netns(self, host: str) -> str:
        return self.hosts[host].netns

    def run(self, host: str, argv: list[str], input: str | bytes | None = None, timeout: float = 60,
            check: bool = False) -> subprocess.CompletedProcess:
        """Runs a command inside a host; its stdout/stderr are captured."""
        return _sh(["ip", "netns", "exec", self.netns(host), *argv], input=input, timeout=timeout, check=check)

    def popen(self, host: str, argv: list[str], log: Path | None = None, env: dict | None = None) \
            -> subprocess.Popen:
        """Starts a long-running process inside a host (killed at teardown);
        stdout and stderr go to `log`."""
        out = open(log, "ab") if log else subprocess.DEVNULL
        proc = subprocess.Popen(["ip", "netns", "exec", self.netns(host), *argv], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})})
        if log:
            out.close()
        self.processes.append(proc)
        return proc

    def port_open(self, host: str, address: str, port: int) -> bool:
        code = (f"import socket\ns=socket.socket(socket.AF_INET{'6' if ':' in address else ''})\n"
                f"s.settimeout(1)\ns.connect(({address!r},{port}))")
        return self.run(host, [PYTHON, "-c", code], timeout=10).returncode == 0

    # -- SMTP from a host
    def smtp(self, host: str, server: str, port: int, steps: list, family: int = 0, implicit_tls: bool = False,
             tls_name: str | None = None, timeout: float = 30) -> Dialogue:
        request = {"server": server, "port": port, "family": family, "steps": steps, "timeout": timeout,
                   "ca": str(self.ca.certificate), "tls_name": tls_name or server, "implicit_tls": implicit_tls}
        result = self.run(host, [PYTHON, "-c", _SMTP_DIALOGUE], input=json.dumps(request), timeout=timeout + 30)
        assert result.returncode == 0 and result.stdout, f"SMTP client in {host} failed:\n{result.stderr}"
        return Dialogue(json.loads(result.stdout))

    def send_mail(self, host: str, server: str, mail_from: str, recipients: list[str], message: bytes,
                  port: int = 25, starttls: bool = True, auth: tuple[str, str] | None = None,
                  helo: str | None = None, family: int = 0, tls_name: str | None = None) -> Dialogue:
        """One transaction: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT..., DATA, message, QUIT;
        it stops at the first refusal (see Dialogue.steps)."""
        helo = helo or self.hosts[host].fqdn or host
        steps: list = [f"EHLO {helo}"]
        if starttls:
            steps += ["STARTTLS", f"EHLO {helo}"]
        if auth:
            token = base64.b64encode(b"\0" + auth[0].encode() + b"\0" + auth[1].encode()).decode()
            steps.append(f"AUTH PLAIN {token}")
        steps.append(f"MAIL FROM:<{mail_from}>")
        steps += [f"RCPT TO:<{r}>" for r in recipients]
        steps += ["DATA", {"data": base64.b64encode(message).decode()}, "QUIT"]
        return self.smtp(host, server, port, steps, family=family, tls_name=tls_name)

    # -- the network
    def build_network(self):
        """Namespaces, bridges, veth pairs, addresses and routes, with one
        `ip -batch` per namespace and phase (a hundred `ip` processes take seconds)."""
        fresh = [h.netns for h in self.hosts.values() if h.netns not in self.created]
        _sh(["ip", "-batch", "-"], input="".join(f"netns add {n}\n" for n in fresh))
        self.created += fresh
        sysctls = ("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                   "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0")
        routers = ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        for name in self.hosts:
            self.run(name, ["sysctl", "-q", "-w", *sysctls, *(routers if name in ("inet", "router") else ())],
                     check=True)
            self._write_etc(name)
        switches: dict[str, list[str]] = {"inet": [], "router": []}
        # The internet core: one bridge per segment, the core router's address on each.
        for segment in SEGMENTS.values():
            switches["inet"] += [f"link add {segment.bridge} type bridge",
                                 f"addr add {segment.gateway(4)}/24 dev {segment.bridge}",
                                 f"addr add {segment.gateway(6)}/64 dev {segment.bridge} nodad",
                                 f"link set {segment.bridge} up"]
        # The LAN: a bridge in the router, which is the LAN's gateway.
        switches["router"] += ["link add lan0 type bridge", f"addr add {ROUTER_LAN_IPV4}/24 dev lan0",
                               f"addr add {ROUTER_LAN_IPV6}/64 dev lan0 nodad", "link set lan0 up"]
        # The LAN's IPv6 prefix is routed (no NAT66); its IPv4 network is private and not routed.
        routes = {"inet": [f"route add {LAN_IPV6} via {self.hosts['router'].ipv6}"]}
        for name in ("inet", "router"):
            self._batch(name, ["link set lo up", *switches[name]])
        ports: dict[str, list[str]] = {"inet": [], "router": []}
        plugs = {"dns": ("inet", "a"), "outside": ("inet", "a"), "peer": ("inet", "b"), "router": ("inet", "c"),
                 "sims": ("router", None), "lan": ("router", None)}
        for index, (name, (switch, seg)) in enumerate(plugs.items()):
            host = self.hosts[name]
            device = "wan" if name == "router" else "eth0"
            port = f"p{index}-{name}"[:15]
            if seg:
                bridge, gw4, gw6 = SEGMENTS[seg].bridge, SEGMENTS[seg].gateway(4), SEGMENTS[seg].gateway(6)
            else:
                bridge, gw4, gw6 = "lan0", ROUTER_LAN_IPV4, ROUTER_LAN_IPV6
            commands = [] if name == "router" else ["link set lo up"]
            commands += [f"link add {device} type veth peer name {port} netns {self.netns(switch)}",
                         f"addr add {host.ipv4}/24 dev {device}", f"addr add {host.ipv6}/64 dev {device} nodad",
                         f"link set {device} up"]
            self._batch(name, commands)
            ports[switch].append(f"link set {port} master {bridge} up")
            routes.setdefault(name, []).extend([f"route add default via {gw4}", f"route add default via {gw6}"])
        for name, commands in ports.items():
            self._batch(name, commands)
        for name, commands in routes.items():
            self._batch(name, commands)
        self.set_nat_mode(self.mode)

    def _batch(self, host: str, commands: list[str]):
        _sh(["ip", "-n", self.netns(host), "-batch", "-"], input="".join(c + "\n" for c in commands))

    def _write_etc(self, host: str):
        """/etc/netns/NS/{resolv.conf,hosts}: `ip netns exec` mounts them over /etc."""
        etc = NETNS_ETC / self.netns(host)
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text(f"nameserver {HOSTS['dns'].ipv4}\noptions timeout:2 attempts:2\n")
        h = self.hosts[host]
        own = f"{h.ipv4} {h.fqdn} {h.fqdn.split('.')[0]}\n" if h.fqdn and host != "router" else ""
        if host == "lan":
            # Split horizon, as offices do: the router has no hairpin NAT, so
            # the LAN reaches mx.sims.test at its LAN address.
            own += f"{HOSTS['sims'].ipv4} {HOSTS['sims'].fqdn}\n"
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n::1 localhost ip6-localhost\n{own}")

    def set_nat_mode(self, mode: str):
        """honest: the port forward only rewrites the destination (SIMS sees
        the real client address); masquerading: it also rewrites the source
        to the router's LAN address 192.168.1.1, as docker-proxy and some
        routers do. New connections use the new mode at once."""
        assert mode in NAT_MODES, mode
        ports = ", ".join(str(p) for p in FORWARDED_PORTS)
        masquerade = (f'    oifname "lan0" ip daddr {HOSTS["sims"].ipv4} ct status dnat masquerade\n'
                      if mode == "masquerading" else "")
        rules = (
            "flush ruleset\n"
            "table ip nat {\n"
            "  chain prerouting {\n"
            "    type nat hook prerouting priority dstnat; policy accept;\n"
            f'    iifname "wan" ip daddr {PUBLIC_SIMS_IPV4} tcp dport {{ {ports} }} dnat to {HOSTS["sims"].ipv4}\n'
            "  }\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat; policy accept;\n"
            f'    oifname "wan" ip saddr {LAN_IPV4} masquerade\n'
            f"{masquerade}"
            "  }\n"
            "}\n")
        self.run("router", ["nft", "-f", "-"], input=rules, check=True)
        self.mode = mode

    # -- convenience
    def address(self, host: str, family: int = 4) -> str:
        h = self.hosts[host]
        return (h.ipv4 if family == 4 else h.ipv6) or ""

    def describe(self) -> str:
        return "\n".join(f"{h.name:8} {h.netns:28} {h.fqdn or '-':20} {h.ipv4 or '-':15} {h.ipv6 or '-'}"
                         for h in self.hosts.values())
