// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "sims",
    products: [
        .executable(name: "sims", targets: ["sims"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        // Imported directly by Server (certificate inspection, the self-signed certificate).
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        // The ACME client's HTTPS to the certificate authority.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Addresses, reply codes, envelope: pure values, Foundation only.
        .target(name: "MailCore", swiftSettings: strict),
        // SMTP server session state machine, command parser, line framing. No I/O.
        .target(
            name: "SMTPProtocol",
            dependencies: ["MailCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        // POP3 server session state machine (RFC 1939, 2449, 2595, 5034). No I/O.
        .target(
            name: "POP3Protocol",
            dependencies: ["MailCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        // IMAP4rev2 (RFC 9051) as values: the command framer (literals, limits checked
        // before reading), the command parser, the session state machine, the
        // selected mailbox's view, MIME structure, FETCH rendering, SEARCH. No I/O.
        .target(name: "IMAPProtocol", dependencies: ["MailCore"], swiftSettings: strict),
        // A stub resolver on SwiftNIO: A, AAAA, MX, TXT, PTR; UDP with TCP fallback; TTL cache.
        .target(
            name: "DNS",
            dependencies: [
                "MailCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Outbound SMTP: EHLO, STARTTLS, PIPELINING, AUTH to a smarthost, per-recipient replies.
        .target(
            name: "SMTPClient",
            dependencies: [
                "MailCore", "DNS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Anti-spam checks as values over a DNS resolver: DNS blocklists, SPF,
        // HELO and return-path verification, rate limits, tarpit, greylisting.
        .target(
            name: "AntiSpam",
            dependencies: ["MailCore", "DNS", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: strict
        ),
        // DKIM (RFC 6376, RFC 8463): canonicalization, body hash, signature
        // fields, Ed25519 and RSA keys, the key files and DNS records. No I/O
        // but the key files; signing and (later) verification share it.
        .target(
            name: "DKIM",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The operator's questions: audit of the logs, explain one message,
        // check-relay against any SMTP server, blocklist lookups, doctor
        // (the configuration, certificate, DNS, queue, disk and log-level checks).
        .target(
            name: "Operator",
            dependencies: [
                "MailCore", "DNS", "Configuration", "Queue", "SMTPClient", "DKIM",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        // syncfs(2), which Swift's Glibc module does not expose.
        .target(name: "CFileSync"),
        // Domains, accounts, aliases (SQLite via GRDB), password hashing, Maildir.
        .target(
            name: "MailStore",
            dependencies: [
                "MailCore", "CFileSync",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The durable outbound queue: spool, retry schedule, delivery runner, DSNs.
        .target(
            name: "Queue",
            dependencies: [
                "MailCore", "MailStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // What a client may do: the relay decision (RelayDecision, POP-before-SMTP),
        // the anti-spam checks at connect/HELO/MAIL/RCPT (SMTPPolicy and its
        // options), the credential check, brute-force protection and open sessions.
        .target(
            name: "Policy",
            dependencies: [
                "MailCore", "SMTPProtocol", "MailStore", "DNS", "AntiSpam",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // sims.toml: ServerConfiguration, its loader and warnings, the duration
        // parser; the data directory (layout, lock, default sims.toml, self-signed certificate).
        .target(
            name: "Configuration",
            dependencies: [
                "MailCore", "MailStore", "AntiSpam", "Policy",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        // Certificates by ACME (RFC 8555): JWS, the order flow, CSR, problem documents,
        // over a small HTTP transport protocol (AsyncHTTPClient in production).
        .target(
            name: "ACME",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "AsyncHTTPClient", package: "async-http-client", moduleAliases: ["Configuration": "SwiftConfiguration"]),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Logging, listeners, NIO pipelines and per-connection drivers, TLS, the
        // queue's MX transport and bounces, service wiring (MailServer).
        .target(
            name: "Server",
            dependencies: [
                "MailCore", "SMTPProtocol", "POP3Protocol", "IMAPProtocol", "MailStore", "Queue", "DNS", "SMTPClient", "AntiSpam", "Policy",
                "Configuration", "DKIM", "ACME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sims",
            dependencies: [
                "Server", "Configuration", "MailStore", "MailCore", "Queue", "Operator", "AntiSpam", "DNS", "DKIM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "MailCoreTests", dependencies: ["MailCore"], swiftSettings: strict),
        .testTarget(name: "IMAPProtocolTests", dependencies: ["IMAPProtocol", "MailCore"], swiftSettings: strict),
        .testTarget(
            name: "SMTPProtocolTests",
            dependencies: ["SMTPProtocol", "MailCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DNSTests", dependencies: ["DNS", "MailCore", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        .testTarget(
            name: "SMTPClientTests",
            dependencies: ["SMTPClient", "MailCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict),
        .testTarget(
            name: "QueueTests", dependencies: ["Queue", "MailStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(
            name: "POP3ProtocolTests", dependencies: ["POP3Protocol", "SMTPProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict),
        .testTarget(
            name: "MailStoreTests", dependencies: ["MailStore", "MailCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "AntiSpamTests", dependencies: ["AntiSpam", "DNS", "MailCore"], swiftSettings: strict),
        .testTarget(
            name: "OperatorTests", dependencies: ["Operator", "Configuration", "AntiSpam", "DNS", "MailCore", "DKIM"],
            swiftSettings: strict),
        .testTarget(
            name: "ConfigurationTests",
            dependencies: [
                "Configuration", "Policy", "MailStore", "MailCore", "AntiSpam", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PolicyTests",
            dependencies: [
                "Policy", "SMTPProtocol", "MailStore", "MailCore", "AntiSpam", "DNS",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Policy", "Configuration", "MailStore", "MailCore", "AntiSpam", "DNS", "SMTPProtocol", "Operator", "SMTPClient", "Queue",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(name: "DKIMTests", dependencies: ["DKIM"], swiftSettings: strict),
        .testTarget(
            name: "ACMETests",
            dependencies: [
                "ACME", .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
