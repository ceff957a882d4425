import Foundation
import MailCore
import MailStore

/// The data directory: sims.toml, sims.sqlite, tls/, mail/, log/.
public struct DataDirectory: Sendable {
    public let root: String

    public init(_ root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    public var configurationFile: String { "\(root)/sims.toml" }
    public var exists: Bool { FileManager.default.fileExists(atPath: configurationFile) }

    /// A path from sims.toml, relative to the data directory unless absolute.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : "\(root)/\(path)"
    }

    public func loadConfiguration() throws -> ServerConfiguration {
        try ConfigurationLoader.load(file: configurationFile)
    }

    public func openDirectory(_ configuration: ServerConfiguration) throws -> Directory {
        try Directory(path: resolve(configuration.storage.database))
    }

    /// What `init` made, for the person to read once.
    public struct Created: Sendable {
        public var postmaster: String
        public var password: String
    }

    /// Creates a new data directory with a domain, its postmaster account
    /// (random password, returned so it can be shown once) and a self-signed
    /// certificate. Refuses to touch an existing one.
    public func create(hostname: String, domain: String) throws -> Created {
        guard !exists else { throw SetupError.alreadyExists(root) }
        // Everything that can be checked is checked before anything is made.
        guard Self.isValidHostname(hostname) else { throw SetupError.invalidHostname(hostname) }
        let domain = try Directory.canonicalDomain(domain)
        let files = FileManager.default
        let configuration = ServerConfiguration()
        // What this call made, removed again if a later step fails: a
        // half-made directory would be neither usable nor re-creatable.
        var made: [String] = []
        do {
            if !files.fileExists(atPath: root) {
                try files.createDirectory(atPath: root, withIntermediateDirectories: true)
                made.append(root)
            }
            for sub in ["tls", "mail", "log"] where !files.fileExists(atPath: "\(root)/\(sub)") {
                try files.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
                made.append("\(root)/\(sub)")
            }
            let database = resolve(configuration.storage.database)
            // A database that was already there (sims.toml lost) is never removed.
            if !files.fileExists(atPath: database) { made += [database, "\(database)-wal", "\(database)-shm"] }
            try SelfSignedCertificate.write(
                hostname: hostname, certificatePath: resolve(configuration.tlsCertificate), keyPath: resolve(configuration.tlsKey)
            )
            let directory = try Directory(path: database)
            try directory.addDomain(domain)
            let postmaster = "postmaster@\(domain)"
            let password = PasswordHasher.generatePassword()
            try directory.addAccount(postmaster, passwordHash: try PasswordHasher.hash(password))
            try MaildirWriter(mailRoot: resolve(configuration.storage.mailDirectory), hostname: hostname).createMaildir(
                for: postmaster)
            // Written last: its presence marks the directory as complete.
            try DefaultConfigurationFile.text(hostname: hostname).write(
                toFile: configurationFile, atomically: true, encoding: .utf8)
            return Created(postmaster: postmaster, password: password)
        } catch {
            for path in made.reversed() { try? files.removeItem(atPath: path) }
            throw error
        }
    }

    /// A host name for the greeting, Received headers and the certificate:
    /// RFC 5321 domain syntax, ASCII, with at least one dot (or `localhost`).
    public static func isValidHostname(_ name: String) -> Bool {
        DomainSyntax.isValid(Substring(name), allowUTF8: false) && (name.contains(".") || name == "localhost")
    }
}

public enum SetupError: Error, CustomStringConvertible {
    case alreadyExists(String)
    case missing(String)
    case invalidHostname(String)

    public var description: String {
        switch self {
        case .invalidHostname(let name):
            return "\(name.debugDescription) is not a valid host name (letters, digits, hyphens and dots, "
                + "e.g. mx.example.org)"
        case .alreadyExists(let path): return "\(path) already holds a SIMS data directory (sims.toml exists)"
        case .missing(let path):
            return "\(path) is not a SIMS data directory (no sims.toml); create one with 'sims init --data \(path)'"
        }
    }
}
