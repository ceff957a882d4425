import Foundation
import NIOCore
import POP3Protocol
import SMTPProtocol

/// A fake driver: feeds chunks through `LineFramer` as POP3Connection does
/// (same limit, same answer to an overlong line), carries out every
/// action the way the real driver must (credentials, message bytes, commit,
/// TLS), and records everything the client would see.
struct POP3Harness {
    static let hostname = "pop.example.test"

    var session: POP3Session
    /// POP3Listener's limit.
    var framer = LineFramer(maximumLineLength: 1000)
    /// Bytes received and not yet framed into lines.
    var pending = ByteBuffer()
    /// Every byte sent to the client, decoded.
    var transcript = ""
    /// What the last `send` produced.
    var last = ""
    var accounts: [String: (password: String, maildrop: Maildrop)] = [:]
    var bodies: [String: [UInt8]] = [:]
    var credentialsChecked: [String] = []
    var commits: [POP3SessionAction] = []
    var sentMessages: [POP3SessionAction] = []
    /// Replaces the credential check's verdict when set.
    var outcome: POP3AuthenticationOutcome?
    var commitSucceeds = true
    var tlsHandshakes = 0
    var closed = false

    init(greet: Bool = true, configure: (inout POP3SessionConfiguration) -> Void = { _ in }) {
        var configuration = POP3SessionConfiguration(hostname: Self.hostname)
        configure(&configuration)
        session = POP3Session(configuration: configuration)
        accounts = ["alice@example.test": ("s3cret", Self.maildrop(Self.aliceBodies))]
        bodies = Dictionary(uniqueKeysWithValues: Self.aliceBodies.map { ($0.uid, Array($0.text.utf8)) })
        if greet { perform(session.greet()) }
    }

    static let aliceBodies: [(uid: String, text: String)] = [
        ("u1", "Subject: one\r\n\r\nHello\r\n"),
        ("u2", "Subject: two\n\nLine 1\n.dot line\nLine 3\n"),
        ("u3", "Subject: three\r\nX: y\r\n\r\nA\r\nB\r\nC\r\n"),
    ]

    static func maildrop(_ bodies: [(uid: String, text: String)]) -> Maildrop {
        Maildrop(messages: bodies.map { .init(uid: $0.uid, octets: POP3MessageWire.wireSize(of: Array($0.text.utf8))) })
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A session already logged in as alice (plaintext allowed).
    static func loggedIn(configure: (inout POP3SessionConfiguration) -> Void = { _ in }) -> POP3Harness {
        var harness = POP3Harness {
            $0.plaintextAuthenticationAllowed = true
            configure(&$0)
        }
        harness.send("USER alice@example.test\r\nPASS s3cret\r\n")
        precondition(harness.session.isInTransaction)
        return harness
    }

    /// Sends raw bytes as one chunk; returns what the server answered.
    @discardableResult
    mutating func send(_ chunk: String) -> String {
        let before = transcript.count
        pending.writeString(chunk)
        while !closed, let line = framer.next(from: &pending) {
            guard !line.overlong else {
                transcript += "-ERR Line too long\r\n"
                continue
            }
            let text = String(decoding: line.bytes.readableBytesView, as: UTF8.self)
            if perform(session.receive(text, cleanEnding: line.isClean)) {
                // STLS: plaintext read ahead of the handshake is discarded.
                pending.clear()
                session.tlsEstablished()
            }
        }
        last = String(transcript.dropFirst(before))
        return last
    }

    /// One command line, CRLF added.
    @discardableResult
    mutating func command(_ line: String) -> String { send(line + "\r\n") }

    /// Returns true when TLS must start.
    @discardableResult
    mutating func perform(_ action: POP3SessionAction) -> Bool {
        switch action {
        case .none:
            break
        case .reply(let text):
            transcript += text
        case .replyAndClose(let text):
            transcript += text
            closed = true
        case .startTLS(let text):
            transcript += text
            tlsHandshakes += 1
            return true
        case .authenticate(let username, let password):
            credentialsChecked.append(username)
            let verdict: POP3AuthenticationOutcome
            if let outcome {
                verdict = outcome
            } else if let account = accounts[username], account.password == password {
                verdict = .success(user: username, maildrop: account.maildrop)
            } else {
                verdict = .failure
            }
            perform(session.authenticationFinished(verdict))
        case .sendMessage(let uid, let topLines):
            sentMessages.append(action)
            let bytes = bodies[uid]!
            let wire =
                topLines.map { POP3MessageWire.topResponse(bytes, lines: $0) }
                ?? POP3MessageWire.retrResponse(bytes, octets: POP3MessageWire.wireSize(of: bytes))
            transcript += String(decoding: wire, as: UTF8.self)
        case .commit:
            commits.append(action)
            perform(session.commitFinished(success: commitSucceeds))
        }
        return false
    }
}
