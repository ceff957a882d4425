import MailCore
import NIOCore
import SMTPClient

/// Plays the server and the driver for an `SMTPClientSession`: server text
/// goes through an `SMTPReplyDecoder`, each reply into the session, and every
/// action comes back as readable text:
///
/// - the bytes of `.send` as they would go on the wire;
/// - `"MESSAGE:"` + the bytes of `.sendMessage` (then the write is reported done);
/// - `"STARTTLS!"` for `.startTLS` (buffered bytes dropped, as the driver does);
/// - `"CLOSE"` for `.close` (the outcome is kept in `outcome`);
/// - `"KEEP"` for `.keepOpen` (likewise);
/// - nothing for `.wait`.
struct ClientHarness {
    static let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["rcpt@dest.test"])
    static let message = Array("Subject: test\r\n\r\nHello\r\n".utf8)

    var session: SMTPClientSession
    var decoder = SMTPReplyDecoder()
    private(set) var outcome: AttemptOutcome?
    /// Everything the client wrote, in order, one entry per write.
    private(set) var writes: [String] = []

    init(
        envelope: OutboundEnvelope = ClientHarness.envelope, message: [UInt8] = ClientHarness.message,
        configure: (inout SMTPClientConfiguration) -> Void = { _ in }
    ) {
        var configuration = SMTPClientConfiguration(heloName: "client.test")
        configure(&configuration)
        session = SMTPClientSession(configuration: configuration, envelope: envelope, message: message, remote: "192.0.2.1:25")
    }

    /// A session on a connection that an earlier one left open.
    init(
        resuming connection: EstablishedConnection, envelope: OutboundEnvelope = ClientHarness.envelope,
        message: [UInt8] = ClientHarness.message, configure: (inout SMTPClientConfiguration) -> Void = { _ in }
    ) {
        var configuration = SMTPClientConfiguration(heloName: "client.test")
        configure(&configuration)
        session = SMTPClientSession(configuration: configuration, envelope: envelope, message: message, resuming: connection)
    }

    /// Starts a session on a reused connection; returns what the client wrote.
    @discardableResult
    mutating func resume() -> [String] {
        perform(session.resume()).map { [$0] } ?? []
    }

    /// Feeds the server's `text` in one read; returns what the client did.
    @discardableResult
    mutating func server(_ text: String) -> [String] {
        decoder.feed(Array(text.utf8))
        var steps: [String] = []
        while outcome == nil, let reply = try? decoder.next() {
            let step = perform(session.receive(reply))
            if let step { steps.append(step) }
            if step == "STARTTLS!" { decoder.reset() }
        }
        return steps
    }

    /// Reports a finished handshake; returns what the client did.
    mutating func tlsUp() -> [String] {
        perform(session.tlsEstablished("TLSv1.3, test")).map { [$0] } ?? []
    }

    private mutating func perform(_ action: ClientAction) -> String? {
        switch action {
        case .wait:
            return nil
        case .send(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            writes.append(text)
            return text
        case .sendMessage(let bytes):
            let text = "MESSAGE:" + String(decoding: bytes, as: UTF8.self)
            writes.append(text)
            session.messageWritten()
            return text
        case .startTLS:
            return "STARTTLS!"
        case .close(let outcome):
            self.outcome = outcome
            return "CLOSE"
        case .keepOpen(let outcome):
            self.outcome = outcome
            return "KEEP"
        }
    }

    // MARK: Conveniences

    /// Greeting and an EHLO reply announcing `extensions`.
    mutating func greetAndEHLO(_ extensions: [String]) {
        server("220 mx.dest.test ESMTP\r\n")
        server(ehlo(extensions))
    }

    var allWritten: String { writes.joined() }

    var recipientReplies: [String: SMTPReply]? {
        if case .transaction(let replies, _) = outcome { return replies }
        return nil
    }

    /// (isPermanent, reply) of a `.failed` outcome.
    var failure: (reason: String, reply: SMTPReply?, isPermanent: Bool)? {
        if case .failed(let reason, let reply, let isPermanent) = outcome { return (reason, reply, isPermanent) }
        return nil
    }
}

/// An EHLO reply with these extension lines.
func ehlo(_ extensions: [String]) -> String {
    let lines = ["mx.dest.test greets client.test"] + extensions
    return SMTPReply(250, nil, lines).wireText
}

extension SMTPReply {
    /// The code and enhanced code, e.g. "550 5.1.1", for compact assertions.
    var status: String { enhanced.map { "\(code) \($0)" } ?? "\(code)" }
}
