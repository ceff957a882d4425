import Foundation
import MailCore
import SMTPClient
import Testing

@Suite("SMTPClient against aiosmtpd: per-recipient replies, MAIL refusal, STARTTLS, AUTH", .enabled(if: LiveTools.hasAiosmtpd))
struct AiosmtpdTests {
    static let message = Array("Subject: aiosmtpd test\r\n\r\n.dot first\r\nbody line\r\n".utf8)

    @Test("550 for one recipient and 250 for another: each keeps its own reply; only the accepted one gets the message")
    func mixedRecipients() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await AiosmtpdServer(directory: directory)
        defer { server.stop() }

        let client = SMTPClient(configuration: liveConfiguration(tls: .disabled))
        let envelope = OutboundEnvelope(
            reversePath: "sender@origin.test", recipients: ["reject-me@dest.test", "good@dest.test"])
        let outcome = await client.send(Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .transaction(let replies, _) = outcome else {
            Issue.record("expected a transaction, got \(outcome): \(server.process.output)")
            return
        }
        #expect(replies["reject-me@dest.test"]?.status == "550 5.1.1")
        #expect(replies["good@dest.test"]?.status == "250 2.0.0")
        let messages = try server.messages()
        #expect(messages.count == 1)
        #expect(
            messages.first.map { String(decoding: $0.content, as: UTF8.self) } == String(decoding: Self.message, as: UTF8.self))
        #expect(messages.first?.meta["to"] as? [String] == ["good@dest.test"])
    }

    @Test("451 at MAIL: the attempt fails temporarily with the server's reply, and nothing is delivered")
    func mailTemporarilyRefused() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await AiosmtpdServer(directory: directory)
        defer { server.stop() }

        let client = SMTPClient(configuration: liveConfiguration(tls: .disabled))
        let envelope = OutboundEnvelope(reversePath: "tempfail@origin.test", recipients: ["good@dest.test"])
        let outcome = await client.send(Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .failed(_, let reply, let isPermanent) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(!isPermanent)
        #expect(reply?.status == "451 4.3.0")
        #expect(try server.messages().isEmpty)
    }

    @Test(
        "Opportunistic STARTTLS with a self-signed certificate: TLS is used and the message arrives",
        .enabled(if: LiveTools.hasOpenSSL))
    func opportunisticTLS() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try makeSelfSignedCertificate(in: directory)
        let server = try await AiosmtpdServer(directory: directory, certificate: certificate)
        defer { server.stop() }

        let client = SMTPClient(configuration: liveConfiguration(tls: .opportunistic))
        let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["good@dest.test"])
        let outcome = await client.send(Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .transaction(let replies, let remote) = outcome else {
            Issue.record("expected a transaction, got \(outcome): \(server.process.output)")
            return
        }
        #expect(replies["good@dest.test"]?.code == 250)
        #expect(remote.contains("TLSv1.") && remote.contains("not verified"))
        let messages = try server.messages()
        #expect(
            messages.first.map { String(decoding: $0.content, as: UTF8.self) } == String(decoding: Self.message, as: UTF8.self))
        #expect(messages.first?.meta["tls"] as? Bool == true)
    }

    @Test("Required TLS: the certificate must chain to a trusted root and name the server", .enabled(if: LiveTools.hasOpenSSL))
    func requiredTLS() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try makeSelfSignedCertificate(in: directory)
        let server = try await AiosmtpdServer(directory: directory, certificate: certificate)
        defer { server.stop() }
        let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["good@dest.test"])

        // Trusted (the test's own certificate as the root) and the right name.
        var trusting = liveConfiguration(tls: .required(serverName: "localhost"))
        trusting.trustedCertificatesFile = certificate.cert
        let verified = await SMTPClient(configuration: trusting).send(
            Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .transaction(_, let remote) = verified else {
            Issue.record("expected a transaction, got \(verified): \(server.process.output)")
            return
        }
        #expect(remote.contains("certificate verified for localhost"))

        // Trusted, but not the name the certificate carries.
        var wrongName = liveConfiguration(tls: .required(serverName: "mx.elsewhere.test"))
        wrongName.trustedCertificatesFile = certificate.cert
        let misnamed = await SMTPClient(configuration: wrongName).send(
            Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .failed(let reason, _, false) = misnamed else {
            Issue.record("a certificate for another name was accepted: \(misnamed)")
            return
        }
        #expect(reason.contains("TLS"))

        // The system's roots do not know a self-signed certificate; no plaintext fallback.
        let untrusted = await SMTPClient(configuration: liveConfiguration(tls: .required(serverName: "localhost"))).send(
            Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .failed(_, _, false) = untrusted else {
            Issue.record("an untrusted certificate was accepted: \(untrusted)")
            return
        }
        #expect(try server.messages().count == 1)
    }

    @Test("Opportunistic TLS whose handshake fails is retried once in plaintext", .enabled(if: LiveTools.hasOpenSSL))
    func handshakeFailureFallsBack() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try makeSelfSignedCertificate(in: directory)
        // The server demands a client certificate the client does not have.
        let server = try await AiosmtpdServer(directory: directory, certificate: certificate, clientCA: certificate.cert)
        defer { server.stop() }

        let client = SMTPClient(configuration: liveConfiguration(tls: .opportunistic))
        let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["good@dest.test"])
        let outcome = await client.send(Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .transaction(let replies, let remote) = outcome else {
            Issue.record("expected a plaintext transaction after the failed handshake, got \(outcome)")
            return
        }
        #expect(replies["good@dest.test"]?.code == 250)
        #expect(remote.contains("no TLS"))
        #expect(try server.messages().first?.meta["tls"] as? Bool == false)
    }

    @Test("AUTH PLAIN after STARTTLS at a server that requires authentication", .enabled(if: LiveTools.hasOpenSSL))
    func authenticated() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try makeSelfSignedCertificate(in: directory)
        let server = try await AiosmtpdServer(
            directory: directory, certificate: certificate, credentials: ("smarthost-user", "s3cret pass"))
        defer { server.stop() }
        let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["good@dest.test"])

        var configuration = liveConfiguration(tls: .opportunistic)
        configuration.credentials = Credentials(username: "smarthost-user", password: "s3cret pass")
        let outcome = await SMTPClient(configuration: configuration).send(
            Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .transaction(let replies, _) = outcome else {
            Issue.record("expected a transaction, got \(outcome): \(server.process.output)")
            return
        }
        #expect(replies["good@dest.test"]?.code == 250)
        let meta = try server.messages().first?.meta
        #expect(meta?["authenticated"] as? Bool == true)
        #expect(meta?["login"] as? String == "smarthost-user")

        configuration.credentials = Credentials(username: "smarthost-user", password: "wrong")
        let refused = await SMTPClient(configuration: configuration).send(
            Self.message, envelope: envelope, to: "127.0.0.1", port: server.port)
        guard case .failed(_, let reply?, false) = refused else {
            Issue.record("expected a temporary failure, got \(refused)")
            return
        }
        #expect(reply.code == 535)
        #expect(try server.messages().count == 1)
    }
}
