import Foundation
import MailCore
import NIOCore
import Testing

@testable import SMTPProtocol

@Suite("SMTPSession: large messages go to the driver in chunks")
struct SessionLargeMessageTests {
    /// A header, a blank line, then `bodyLines` numbered lines.
    static func message(bodyLines: Int) -> String {
        var text = "From: bob@remote.test\r\nSubject: big\r\n\r\n"
        for number in 0..<bodyLines { text += "line \(number) of the body, long enough to count\r\n" }
        return text
    }

    @Test("Above the threshold the text leaves in chunks; chunks and rest together are the message, byte for byte")
    func chunksAddUp() {
        var harness = SessionHarness { $0.spillThreshold = 4096 }
        openData(&harness)
        let text = Self.message(bodyLines: 2_000)
        harness.send(text + ".\r\n")
        #expect(harness.lastReply?.status == "250 2.0.0")
        #expect(harness.message() == text)
        let transaction = harness.deliveries[0]
        #expect(transaction.spilledBytes > 0)
        #expect(transaction.messageSize == text.utf8.count)
        // Memory per session stays near the threshold (plus one line).
        #expect(harness.largestSpill < 4096 + 1000)
        #expect(transaction.message.readableBytes < 4096)
    }

    @Test("A message under the threshold is not spilled at all")
    func smallStaysInMemory() {
        var harness = SessionHarness { $0.spillThreshold = 1 << 20 }
        openData(&harness)
        harness.send(Self.message(bodyLines: 100) + ".\r\n")
        #expect(harness.deliveries[0].spilledBytes == 0)
        #expect(harness.largestSpill == 0)
    }

    @Test("A header section larger than the threshold is refused with 552 5.3.4 and nothing is delivered")
    func headerTooLarge() {
        var harness = SessionHarness { $0.spillThreshold = 4096 }
        openData(&harness)
        var text = ""
        for number in 0..<200 { text += "X-Padding-\(number): \(repeated("p", 60))\r\n" }
        harness.send(text + "\r\nbody\r\n.\r\n")
        #expect(harness.lastReply?.status == "552 5.3.4")
        #expect(harness.deliveries.isEmpty)
        // The session goes on: a new transaction works.
        openData(&harness)
        harness.send(crlf("Subject: small", "", "ok", "."))
        #expect(harness.lastReply?.status == "250 2.0.0")
    }

    @Test("A too-large message that was already spilling is refused (552 5.3.4) and its chunks discarded")
    func tooLargeAfterSpilling() {
        var harness = SessionHarness {
            $0.spillThreshold = 4096
            $0.maximumMessageSize = 50_000
        }
        openData(&harness)
        harness.send(Self.message(bodyLines: 3_000) + ".\r\n")
        #expect(harness.lastReply?.status == "552 5.3.4")
        #expect(harness.deliveries.isEmpty)
        #expect(harness.spilled.readableBytes == 0)
    }

    /// The accumulator used to be mutated while the session's state still
    /// held it, so every line copied the whole message (quadratic CPU: 13 s
    /// for 1 MB of one-byte lines). Uniquely held, the buffer moves only when
    /// it grows, a few dozen times; copied per line, it moves on every line.
    @Test("Message text is appended in place: the buffer moves only when it grows, not once per line")
    func appendedInPlace() {
        var session = SMTPSession(configuration: .init(hostname: "mx.example.test"), clientAddress: "192.0.2.1")
        _ = session.greet()
        var framer = LineFramer(maximumLineLength: 998)
        var input = ByteBuffer(
            string: crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA"))
        func feed(_ session: inout SMTPSession, _ input: inout ByteBuffer) {
            while let line = framer.next(from: &input) {
                var action = session.receive(line, newQueueID: { QueueID(rawValue: "S.1") })
                if case .checkRecipient(_, _) = action {
                    action = session.recipientChecked(.accept(.local(accounts: ["alice@example.test"])))
                }
            }
        }
        feed(&session, &input)
        #expect(session.isReadingData)
        var moves = 0
        var previous: UnsafeRawPointer?
        for _ in 0..<5_000 {
            var line = ByteBuffer(string: "x\r\n")
            feed(&session, &line)
            guard case .data(_, let accumulator) = session.state else {
                Issue.record("left DATA")
                return
            }
            let address = accumulator.message.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
            if address != previous { moves += 1 }
            previous = address
        }
        #expect(moves < 50, "the message buffer moved \(moves) times in 5,000 lines")
    }
}
