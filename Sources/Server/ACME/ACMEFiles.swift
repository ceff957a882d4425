import ACME
import Foundation

/// The ACME files in the data directory: the account key, the certificate
/// and its key. Called on the storage pool only (they block).
struct ACMEFiles: Sendable {
    let accountKeyPath: String
    let certificatePath: String
    let keyPath: String

    /// The account key, made (P-256, mode 0600) on first use. Losing it
    /// only means a new account at the CA.
    func accountKey() throws -> AccountKey {
        if let pem = try? String(contentsOfFile: accountKeyPath, encoding: .utf8) {
            return try AccountKey(pem: pem)
        }
        let key = AccountKey()
        try Self.makeParent(of: accountKeyPath)
        try Self.writeAtomically(key.pem + "\n", to: accountKeyPath, mode: 0o600)
        return key
    }

    /// The certificate being served, if it can be read.
    func currentCertificate() -> CertificateFacts? {
        guard let pem = try? String(contentsOfFile: certificatePath, encoding: .utf8) else { return nil }
        return CertificateFacts(pemChain: pem)
    }

    /// Installs a new certificate: both files written to temporary names and
    /// synced, then renamed into place, key first, so that a reader sees the
    /// old pair or the new one (the reload right after settles the moment
    /// in between).
    func install(_ issued: IssuedCertificate) throws {
        try Self.makeParent(of: certificatePath)
        try Self.makeParent(of: keyPath)
        let keyTemporary = try Self.writeSynced(issued.keyPEM + "\n", near: keyPath, mode: 0o600)
        let certificateTemporary = try Self.writeSynced(issued.chainPEM, near: certificatePath, mode: 0o644)
        try Self.rename(keyTemporary, keyPath)
        try Self.rename(certificateTemporary, certificatePath)
        Self.syncDirectory(of: keyPath)
        Self.syncDirectory(of: certificatePath)
    }

    static func writeAtomically(_ text: String, to path: String, mode: Int) throws {
        let temporary = try writeSynced(text, near: path, mode: mode)
        try rename(temporary, path)
        syncDirectory(of: path)
    }

    /// Writes `text` to a new file beside `path` and fsyncs it; returns its
    /// name. The file is created with its final mode (open(2) with O_EXCL),
    /// so a private key is never readable by others, not even for a moment.
    private static func writeSynced(_ text: String, near path: String, mode: Int) throws -> String {
        let temporary = "\(path).new-\(getpid())"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else { throw posixError(errno, temporary) }
        var failure: Int32 = 0
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        guard failure == 0 else {
            unlink(temporary)
            throw posixError(failure, temporary)
        }
        return temporary
    }

    private static func posixError(_ code: Int32, _ path: String) -> any Error {
        CocoaError(
            .fileWriteUnknown,
            userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)])
    }

    private static func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else {
            let code = errno
            unlink(from)
            throw posixError(code, to)
        }
    }

    private static func syncDirectory(of path: String) {
        let descriptor = open((path as NSString).deletingLastPathComponent, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func makeParent(of path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        guard !FileManager.default.fileExists(atPath: parent) else { return }
        try FileManager.default.createDirectory(
            atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
