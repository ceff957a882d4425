import Foundation
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
        let files = FileManager.default
        try files.createDirectory(atPath: root, withIntermediateDirectories: true)
        for sub in ["tls", "mail", "log"] {
            try files.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        let configuration = ServerConfiguration()
        try SelfSignedCertificate.write(
            hostname: hostname, certificatePath: resolve(configuration.tlsCertificate), keyPath: resolve(configuration.tlsKey))
        let directory = try Directory(path: resolve(configuration.storage.database))
        try directory.addDomain(domain)
        let postmaster = "postmaster@\(domain.lowercased())"
        let password = PasswordHasher.generatePassword()
        try directory.addAccount(postmaster, passwordHash: try PasswordHasher.hash(password))
        try MaildirWriter(mailRoot: resolve(configuration.storage.mailDirectory), hostname: hostname).createMaildir(
            for: postmaster)
        // Written last: its presence marks the directory as complete.
        try DefaultConfigurationFile.text(hostname: hostname).write(toFile: configurationFile, atomically: true, encoding: .utf8)
        return Created(postmaster: postmaster, password: password)
    }
}

public enum SetupError: Error, CustomStringConvertible {
    case alreadyExists(String)
    case missing(String)

    public var description: String {
        switch self {
        case .alreadyExists(let path): return "\(path) already holds a SIMS data directory (sims.toml exists)"
        case .missing(let path):
            return "\(path) is not a SIMS data directory (no sims.toml); create one with 'sims init --data \(path)'"
        }
    }
}
