import Foundation
import Logging
import NIOSSL
import Synchronization

/// The server's TLS context, replaceable while running: a renewed
/// certificate is picked up on SIGHUP or when the files change, without a
/// restart. Connections read `current` when they start TLS, so sessions
/// already encrypted keep their old context.
public final class ServerTLS: Sendable {
    let certificatePath: String
    let keyPath: String
    private let context = Mutex<NIOSSLContext?>(nil)
    private let stamp = Mutex<[Double]>([])

    init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    var current: NIOSSLContext? { context.withLock { $0 } }

    /// Loads the files. On failure the previous context stays in use.
    @discardableResult
    func reload(logger: Logger) -> Bool {
        guard FileManager.default.fileExists(atPath: certificatePath), FileManager.default.fileExists(atPath: keyPath) else {
            logger.error(
                "TLS certificate \(certificatePath) or key \(keyPath) missing\(current == nil ? ": STARTTLS disabled" : "; keeping the previous one")"
            )
            return false
        }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
            configuration.minimumTLSVersion = .tlsv12
            let fresh = try NIOSSLContext(configuration: configuration)
            context.withLock { $0 = fresh }
            stamp.withLock { $0 = fileStamp() }
            return true
        } catch {
            logger.error(
                "TLS certificate \(certificatePath) not loaded (\(error))\(current == nil ? ": STARTTLS disabled" : "; keeping the previous one")"
            )
            return false
        }
    }

    /// True when the files changed since the last successful load.
    var filesChanged: Bool { stamp.withLock { $0 } != fileStamp() }

    private func fileStamp() -> [Double] {
        [certificatePath, keyPath].map { path in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            let size = (attributes?[.size] as? NSNumber)?.doubleValue ?? -1
            return modified * 1e6 + size
        }
    }
}
