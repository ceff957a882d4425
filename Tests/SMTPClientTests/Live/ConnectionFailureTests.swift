import Foundation
import MailCore
import NIOCore
import SMTPClient
import Testing

@Suite("SMTPClient: connections that fail")
struct ConnectionFailureTests {
    static let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["a@dest.test"])

    @Test("A closed port: connection refused, a temporary failure, at once")
    func refused() async throws {
        let port = try freePort()  // released again: nothing listens there
        let started = ContinuousClock.now
        let outcome = await SMTPClient(configuration: liveConfiguration()).send(
            Array("x\r\n".utf8), envelope: Self.envelope, to: "127.0.0.1", port: port)
        let elapsed = ContinuousClock.now - started
        guard case .failed(let reason, nil, false) = outcome else {
            Issue.record("expected a temporary failure, got \(outcome)")
            return
        }
        #expect(reason.contains("cannot connect"))
        #expect(elapsed < .seconds(15), "refused at once, not after a connect timeout (loose bound for loaded CI machines)")
    }

    @Test("A server that accepts and never greets: timeout within the configured bound")
    func silentServer() async throws {
        let listener = try LoopbackSocket()
        try listener.listen()
        var configuration = liveConfiguration()
        configuration.timeouts.greeting = .milliseconds(700)
        let started = ContinuousClock.now
        let outcome = await SMTPClient(configuration: configuration).send(
            Array("x\r\n".utf8), envelope: Self.envelope, to: "127.0.0.1", port: listener.port)
        let elapsed = ContinuousClock.now - started
        guard case .failed(let reason, nil, false) = outcome else {
            Issue.record("expected a temporary failure, got \(outcome)")
            return
        }
        #expect(reason.contains("timeout") && reason.contains("greeting"))
        #expect(elapsed >= .milliseconds(650))
        #expect(elapsed < .seconds(15), "the configured timeout, not the RFC default of 5 minutes (loose bound for loaded CI machines)")
    }
}
