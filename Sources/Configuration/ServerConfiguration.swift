import Foundation
import MailCore
import MailStore
import NIOCore
import Policy

/// A listening address, `host:port` (IPv6 in brackets: `[::1]:2525`).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:2525` or `[::1]:2525`; returns nil when malformed.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port),
            (try? SocketAddress(ipAddress: String(host), port: port)) != nil
        else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Everything `sims.toml` can say. Defaults are the embedded defaults: a
/// loopback-only server on high ports, safe to start without root.
public struct ServerConfiguration: Sendable {
    public var hostname = "mail.example.test"
    public var smtpListeners = [ListenAddress(host: "127.0.0.1", port: 2525)]
    public var submissionListeners = [ListenAddress(host: "127.0.0.1", port: 2587)]
    /// POP3 with STLS (RFC 1939/2595; production port 110) and with implicit TLS (995).
    public var pop3Listeners = [ListenAddress(host: "127.0.0.1", port: 2110)]
    public var pop3ImplicitTLSListeners = [ListenAddress(host: "127.0.0.1", port: 2995)]
    /// Allow USER/PASS and AUTH over POP3 without TLS (off: credentials only inside TLS).
    public var pop3AllowPlaintext = false
    /// RFC 1939 § 3: the autologout timer, at least 10 minutes.
    public var pop3Timeout: Duration = .seconds(10 * 60)
    /// `[imap]`: IMAP4rev2 with STARTTLS (production port 143) and implicit TLS (993).
    public var imap = IMAPOptions()
    /// Submission with implicit TLS (RFC 8314, "submissions", port 465).
    public var submissionImplicitTLSListeners = [ListenAddress(host: "127.0.0.1", port: 2465)]

    public var tlsCertificate = "tls/cert.pem"
    public var tlsKey = "tls/key.pem"
    /// `[tls.acme]`: nil unless `directory` is set. When set, the served
    /// certificate is the ACME one (acme/cert.pem, acme/key.pem) unless
    /// `tls.certificate`/`tls.key` name other files explicitly.
    public var acme: ACMEOptions?

    /// Clients whose address lets them relay (`[relay] client_networks`).
    /// Empty by default: out of the box, nobody may relay.
    public var clientNetworks: [IPAddressRange] = []
    /// `relay.pop_before_smtp`: a POP3 login lets the client's address relay
    /// for `popBeforeSMTPWindow`. Off by default; SMTP AUTH is the safe way.
    public var popBeforeSMTP = false
    public var popBeforeSMTPWindow: Duration = .seconds(10 * 60)
    /// DNS blocklists, HELO/return-path/SPF checks, rate limits, tarpit, greylisting.
    public var antispam = AntiSpamOptions()
    public var queue = QueueOptions()
    public var delivery = DeliveryOptions()

    /// `submission.hide_client_address`: leave the client's IP out of the
    /// Received header of authenticated submissions.
    public var hideSubmitterAddress = false
    /// Brute-force protection (`[auth]`).
    public var authentication = AuthenticationGuard.Settings()

    public var limits = Limits()
    public var timeouts = Timeouts()
    public var log = LogSettings()
    public var storage = Storage()

    public struct Limits: Sendable {
        public var commandLineLength = 512
        public var textLineLength = 1000
        public var messageSize = 26_214_400
        public var recipientsPerMessage = 100
        public var errorsPerSession = 10
        public var commandsPerSession = 10_000
        public var connections = 1000
        public var connectionsPerIP = 50
        public var receivedHeaders = 50
        /// Message text a session holds in memory; more goes to a file in
        /// the spool as it arrives. Also the largest header section accepted.
        public var messageMemory = 1 << 20
    }

    public struct QueueOptions: Sendable {
        /// Delays between attempts; the last repeats.
        public var retrySchedule: [Duration] = [.seconds(5 * 60), .seconds(10 * 60), .seconds(20 * 60), .seconds(40 * 60), .seconds(1 * 3600)]
        /// After this, undelivered recipients are bounced (4.4.7).
        public var maximumLifetime: Duration = .seconds(120 * 3600)
        /// Deliveries at once, in total and to one domain.
        public var concurrency = 20
        public var concurrencyPerDomain = 10
    }

    public struct DeliveryOptions: Sendable {
        /// DNS servers, `"address:port"`; empty means /etc/resolv.conf.
        public var dnsServers: [String] = []
        /// The port remote MXes listen on (25; tests use others).
        public var port = 25
        /// Send everything through this host (`"host:port"`) instead of MX lookups.
        public var relayHost: String?
        /// SMTP AUTH at the relay host: the user name, and a file holding the
        /// password (kept out of sims.toml, which is often world-readable).
        public var relayHostUsername: String?
        public var relayHostPasswordFile: String?
        /// Per-domain routes: domain → `"host:port"`, tried before MX lookups.
        public var routes: [String: String] = [:]
        /// `opportunistic` (STARTTLS when offered), `required`, or `none`.
        public var tls = "opportunistic"
        /// Timeouts for the outbound SMTP client (connect and each reply).
        public var connectTimeout: Duration = .seconds(30)
    }

    public struct Timeouts: Sendable {
        /// Pause before the greeting; a client that talks during it is dropped.
        public var greetingDelay: Duration = .zero
        /// RFC 5321 § 4.5.3.2.7: the server waits at least 5 minutes for a command.
        public var command: Duration = .seconds(5 * 60)
        /// RFC 5321 § 4.5.3.2.5: 3 minutes between two reads of message text.
        public var dataBlock: Duration = .seconds(3 * 60)
        /// How long a shutdown waits for sessions in DATA before closing them.
        public var shutdownGrace: Duration = .seconds(30)
        /// Message text must arrive at least this fast (bytes per second)
        /// once `dataRateGrace` has passed; 0 turns the check off.
        public var minimumDataRate = 1024
        public var dataRateGrace: Duration = .seconds(30)
        /// The longest any SMTP or POP3 connection may last.
        public var maximumSession: Duration = .seconds(1 * 3600)
        /// When every connection slot is taken, a session idle this long is
        /// closed to admit a new client; 0 never closes one.
        public var idleEviction: Duration = .seconds(10)
    }

    public struct LogSettings: Sendable {
        /// Default level for every module: 1 failures … 5 all.
        public var level = 2
        public var modules: [String: Int] = [:]
        public var directory = "log"
        public var stderr = true
    }

    public struct Storage: Sendable {
        /// Threads that write and fsync mail files, so that slow disks never
        /// block the network event loops.
        public var ioThreads = 16
        /// How deliveries are made durable: `group` shares one syncfs among
        /// concurrent deliveries; `fsync` syncs every file and directory.
        public var sync: SyncMode = .group
        public var mailDirectory = "mail"
        public var queueDirectory = "queue"
        public var database = "sims.sqlite"
        /// Bytes each account may store (RFC 9208 STORAGE), checked at RCPT,
        /// APPEND and COPY; 0: no limit.
        public var quota: Int64 = 0
    }

    public init() {}
}
