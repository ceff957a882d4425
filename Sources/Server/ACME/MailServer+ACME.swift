import ACME
import Configuration
import Foundation
import Logging
import MailStore
import NIOCore

extension MailServer {
    /// The ACME service when `[tls.acme]` is set, nil otherwise: its
    /// port-80 responder is bound with the other listeners.
    func makeACMEService(tls: ServerTLS, storage: any BlockingWorkRunner, logger: Logger) -> ACMEService? {
        guard let options = configuration.acme else { return nil }
        let board = ChallengeBoard()
        return ACMEService(
            options: options,
            domains: options.names(hostname: configuration.hostname),
            files: ACMEFiles(
                accountKeyPath: dataDirectory.resolve(ACMEOptions.accountKeyPath),
                certificatePath: dataDirectory.resolve(configuration.tlsCertificate),
                keyPath: dataDirectory.resolve(configuration.tlsKey)),
            caCertificatePath: options.caCertificate.map(dataDirectory.resolve),
            tls: tls,
            board: board,
            responder: HTTP01Responder(address: options.httpListen, board: board, logger: logger),
            storage: storage,
            logger: logger)
    }
}

extension MailServer {
    /// With ACME on and no certificate in its files yet, a self-signed one
    /// stands in, so STARTTLS works from the first second; the ACME service
    /// replaces it (`RenewalSchedule` orders at once for a self-signed one).
    /// Called on the storage pool, before the first TLS load.
    static func placeACMEStandIn(_ configuration: ServerConfiguration, _ dataDirectory: DataDirectory) throws {
        guard configuration.acme != nil else { return }
        let certificate = dataDirectory.resolve(configuration.tlsCertificate)
        let key = dataDirectory.resolve(configuration.tlsKey)
        let files = FileManager.default
        guard !files.fileExists(atPath: certificate) || !files.fileExists(atPath: key) else { return }
        for parent in Set([certificate, key].map { ($0 as NSString).deletingLastPathComponent })
        where !files.fileExists(atPath: parent) {
            try files.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try SelfSignedCertificate.write(hostname: configuration.hostname, certificatePath: certificate, keyPath: key)
    }
}
