import Foundation

/// The signing keys in the data directory: `dkim/DOMAIN/SELECTOR.TYPE.pem`
/// (TYPE is `ed25519` or `rsa`). The directories are 0700 and the files
/// 0600: a key that others can read lets them sign as the domain.
public struct DKIMKeyStore: Sendable {
    /// The `dkim` directory.
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// The store of a data directory: its `dkim` directory.
    public init(dataDirectory: String) {
        self.init(root: "\(dataDirectory)/dkim")
    }

    /// One key file, as found on disk.
    public struct Entry: Sendable, Equatable, Comparable {
        public var domain: String
        public var selector: String
        public var algorithm: DKIMAlgorithm
        public var path: String

        public static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.domain, lhs.selector, lhs.algorithm) < (rhs.domain, rhs.selector, rhs.algorithm)
        }
    }

    public func path(domain: String, selector: String, algorithm: DKIMAlgorithm) -> String {
        "\(root)/\(domain.lowercased())/\(selector).\(algorithm.keyType).pem"
    }

    /// Every key file, sorted by domain, selector, algorithm. Names that do
    /// not fit the pattern are skipped (an editor's backup, a README).
    public func entries() throws -> [Entry] {
        let files = FileManager.default
        guard files.fileExists(atPath: root) else { return [] }
        var found: [Entry] = []
        for domain in try files.contentsOfDirectory(atPath: root).sorted() where !domain.hasPrefix(".") {
            let directory = "\(root)/\(domain)"
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for name in try files.contentsOfDirectory(atPath: directory) {
                let parts = name.split(separator: ".")
                guard parts.count == 3, parts[2] == "pem", let algorithm = DKIMAlgorithm(keyType: String(parts[1])),
                    Self.isValidSelector(String(parts[0]))
                else { continue }
                found.append(
                    Entry(
                        domain: domain.lowercased(), selector: String(parts[0]), algorithm: algorithm,
                        path: "\(directory)/\(name)"))
            }
        }
        return found.sorted()
    }

    public func load(_ entry: Entry) throws -> DKIMPrivateKey {
        let text: String
        do {
            text = try String(contentsOfFile: entry.path, encoding: .utf8)
        } catch {
            throw DKIMKeyError.unreadable("cannot read \(entry.path): \(error.localizedDescription)")
        }
        return try DKIMPrivateKey(pem: text, algorithm: entry.algorithm)
    }

    /// Writes a new key; refuses to replace one (a published record would
    /// stop matching). The file is created 0600 before any key byte is in it.
    public func store(_ key: DKIMPrivateKey, domain: String, selector: String) throws -> Entry {
        let directory = "\(root)/\(domain.lowercased())"
        for path in [root, directory] {
            if !FileManager.default.fileExists(atPath: path) {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        }
        let path = self.path(domain: domain, selector: selector, algorithm: key.algorithm)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw DKIMKeyError.unreadable("\(path) already exists; choose another selector") }
            throw DKIMKeyError.unreadable("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(key.pemRepresentation.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw DKIMKeyError.unreadable("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return Entry(domain: domain.lowercased(), selector: selector, algorithm: key.algorithm, path: path)
    }

    /// RFC 6376 § 3.1: a selector is one or more DNS labels; SIMS takes one
    /// label of letters, digits and hyphens (it is also a file name).
    public static func isValidSelector(_ selector: String) -> Bool {
        !selector.isEmpty && selector.utf8.count <= 63 && !selector.hasPrefix("-") && !selector.hasSuffix("-")
            && selector.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
            }
    }
}
