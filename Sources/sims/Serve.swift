import ArgumentParser
import Configuration
import Foundation
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the mail server. Creates a demo data directory on first run.")

    @OptionGroup var options: DataOption

    func run() async throws {
        // SIGHUP means "reload" to a running server (HangupReloader traps it
        // before "ready"); until then it must not end the process, as its
        // default action would (systemd may send it as soon as we exec).
        signal(SIGHUP, SIG_IGN)
        let dataDirectory = DataDirectory(options.data)
        // Before anything else: a second server on the same directory must
        // not touch its log, spool or database.
        let lock = try DataDirectoryLock.acquire(dataDirectory)
        if !dataDirectory.exists {
            let created = try dataDirectory.create(hostname: "mail.example.test", domain: "example.test")
            print(
                """
                Created a new data directory in \(dataDirectory.root)
                  domain:      example.test
                  account:     \(created.postmaster)
                  password:    \(created.password)   (shown only this once;
                               change it with 'sims account passwd')
                """)
        }
        let configuration = try dataDirectory.loadConfiguration()
        try await MailServer(dataDirectory: dataDirectory, configuration: configuration).run { localDomains in
            Self.printBanner(configuration, dataDirectory, firstDomain: localDomains.sorted().first)
        }
        withExtendedLifetime(lock) {}
    }

    /// What listens where, printed once every listener is bound.
    private static func printBanner(
        _ configuration: ServerConfiguration, _ dataDirectory: DataDirectory, firstDomain: String?
    ) {
        print("SIMS \(SIMSVersion.current) as \(configuration.hostname), data in \(dataDirectory.root)")
        for address in configuration.smtpListeners { print("  SMTP        \(address)") }
        for address in configuration.submissionListeners { print("  submission  \(address)   STARTTLS, then AUTH") }
        for address in configuration.submissionImplicitTLSListeners {
            print("  submission  \(address)   implicit TLS, then AUTH")
        }
        for address in configuration.pop3Listeners { print("  POP3        \(address)   STLS, then USER/PASS") }
        for address in configuration.pop3ImplicitTLSListeners { print("  POP3        \(address)   implicit TLS") }
        for address in configuration.imap.listeners { print("  IMAP        \(address)   STARTTLS") }
        for address in configuration.imap.implicitTLSListeners { print("  IMAP        \(address)   implicit TLS") }
        print("  logs        \(dataDirectory.resolve(configuration.log.directory))/sims.log")
        if let listener = configuration.smtpListeners.first, let firstDomain {
            print("Try it: swaks --server \(listener.connectable) --to postmaster@\(firstDomain) --tls")
        }
        print("Stop with Ctrl-C (SIGINT) or SIGTERM.")
        fflush(nil)  // all C streams: stdout may be a pipe
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a data directory with a domain, its postmaster and a self-signed certificate.")

    @OptionGroup var options: DataOption
    @Option(help: "The server's host name (greeting, Received headers, certificate).")
    var hostname: String = "mail.example.test"
    @Option(help: "The first local domain.")
    var domain: String = "example.test"

    func run() throws {
        let dataDirectory = DataDirectory(options.data)
        let created = try dataDirectory.create(hostname: hostname, domain: domain)
        print(
            """
            Created \(dataDirectory.root)
              domain:    \(domain.lowercased())
              account:   \(created.postmaster)
              password:  \(created.password)   (shown only this once)
            Start it with: sims serve --data \(options.data)
            """)
    }
}
