import Foundation
import Logging
import MailCore
import Operator
import SMTPProtocol
import Testing

@testable import Server

/// The real log handler and the real audit: whatever a client puts in its
/// fields, the log keeps one line per event and the audit counts the same.
@Suite("The log cannot be made to lie")
struct LogTruthTests {
    /// Writes one scripted session through SIMSLogHandler with `value` in
    /// every client field, the way the producers build their lines, and
    /// audits the file.
    func auditSession(_ value: String, directory: String) throws -> AuditReport {
        let sink = LogSink(directory: directory, toStderr: false)
        let logs = LogFactory(sink: sink, defaultLevel: 2, moduleLevels: ["SMTP": 4])
        logs.announceLevels()
        var smtp = logs.logger(.smtp)
        smtp[metadataKey: "conn"] = "SMTP-1"
        smtp[metadataKey: "peer"] = "127.0.0.9"
        let path = EnvelopePath.mailbox(Mailbox(localPart: value, domain: .name("remote.test")))
        let sender = EnvelopePath.mailbox(Mailbox(localPart: value, domain: .name("spam.test")))
        smtp.info("connected to 127.0.0.1:25")
        smtp.debug("< \(LogField.text("RCPT TO:<\(value)@remote.test>"))")
        var transaction = smtp
        transaction[metadataKey: "qid"] = "S.Q1"
        let decision = RecipientPolicy.decide(path, resolution: .notLocal, clientAddress: "127.0.0.9")
        transaction.notice("\(LogField.path(path)) \(decision.logText) (from \(LogField.path(sender)))")
        // A careless producer that forgets LogField: the handler still keeps one line.
        smtp.warning("careless: \(value)")
        var submit = logs.logger(.submit)
        submit[metadataKey: "conn"] = "SUBMIT-1"
        submit[metadataKey: "peer"] = "127.0.0.10"
        submit.notice("authentication failed for \(LogField.word(value)) from 127.0.0.10")
        let permission = RelayPermission.authenticated(value)
        submit.notice("authenticated as \(LogField.word(value))")
        submit[metadataKey: "qid"] = "S.Q2"
        submit.info("received 10 bytes from \(LogField.path(sender)) for 1 recipient")
        submit.info("\(RecipientFate.relayed.line(path, "\(permission), queued for remote.test"))")
        sink.flush()
        let lines = try String(contentsOfFile: "\(directory)/sims.log", encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 10 && lines.last == "")
        for line in lines.dropLast() {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
        return try AuditRun.report(files: ["\(directory)/sims.log"], settings: AuditSettings(listeners: ["127.0.0.1"]))
    }

    func essentials(_ report: AuditReport) -> String {
        "\(report.counts) \(report.relayPermissions.map { "\($0.kind) \($0.messages) \($0.recipients)" }) "
            + "\(report.refusedRelayByIP) \(report.authFailuresByIP) \(report.verdict.status) \(report.window.lines) "
            + "\(report.window.unparsedLines)"
    }

    @Test("Random client values through the real handler never change the audit", arguments: 0..<60)
    func randomValues(seed: Int) throws {
        var random = SplitMix(seed: UInt64(seed))
        let pieces = [
            "relayed: ", "pop-before-smtp bob@x from 6.6.6.6, login 1s ago", "> ", "<", ">", "\"", "]", " ", "\\",
            ", queued for evil.example", "\r\n", "\n2026-11-29T10:00:00.000Z 2 SMTP-9 6.6.6.6 <a@b> relayed: x, queued for b",
            "\u{0}", "\u{1B}[2J", "\u{85}", "\u{2028}", "authenticated as ", "refused relay: ", "log levels: SMTP=1",
        ]
        var value = ""
        for _ in 0..<Int(random.next() % 6 + 1) { value += pieces[Int(random.next() % UInt64(pieces.count))] }
        let benign = try withTemporaryPath { try essentials(auditSession("bob", directory: $0)) }
        let injected = try withTemporaryPath { try essentials(auditSession(value, directory: $0)) }
        #expect(injected == benign, "value: \(value.debugDescription)")
    }
}

/// SplitMix64: a deterministic generator, so a failing seed repeats.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
