import Foundation
import MailStore
import Testing

@testable import Queue

@Suite("Spool recovery: nothing found on disk is fatal")
struct SpoolQuarantineTests {
    func write(_ text: String, envelope id: String, in spool: Spool, message: Bool = true) {
        _ = FileManager.default.createFile(atPath: spool.envelopePath(id), contents: Data(text.utf8))
        if message { _ = FileManager.default.createFile(atPath: spool.messagePath(id), contents: Data(sampleMessage)) }
    }

    @Test("Unreadable and surprising envelopes are moved to quarantine/ with their messages; good ones stay queued")
    func quarantined() throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        try spool.enqueue(sampleMessage, envelope: envelope("S.GOOD", to: ["bob@remote.test"]))
        write("{ not json", envelope: "S.GARBAGE", in: spool)
        write("\u{0}\u{1b}[31m", envelope: "S.BINARY", in: spool)
        var empty = envelope("S.EMPTY", to: [])
        empty.recipients = []
        write(String(decoding: try Spool.encoder.encode(empty), as: UTF8.self), envelope: "S.EMPTY", in: spool)
        let mismatched = envelope("../../escape", to: ["bob@remote.test"])
        write(String(decoding: try Spool.encoder.encode(mismatched), as: UTF8.self), envelope: "S.MISMATCH", in: spool)
        var noDomain = envelope("S.NODOMAIN", to: ["bob@remote.test"])
        noDomain.recipients[0].address = "bob"
        write(String(decoding: try Spool.encoder.encode(noDomain), as: UTF8.self), envelope: "S.NODOMAIN", in: spool)

        var endless = envelope("S.ENDLESS", to: ["bob@remote.test"])
        endless.attempts = Int.max
        write(String(decoding: try Spool.encoder.encode(endless), as: UTF8.self), envelope: "S.ENDLESS", in: spool)

        let (envelopes, notes) = try spool.recover()
        let problems = notes.map(\.description)
        #expect(envelopes.map(\.id) == ["S.GOOD"])
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: "\(spool.root)/quarantine")
        for id in ["S.GARBAGE", "S.BINARY", "S.EMPTY", "S.MISMATCH", "S.NODOMAIN", "S.ENDLESS"] {
            #expect(quarantined.contains("\(id).json"))
            #expect(quarantined.contains(id), "the message goes with its envelope")
            #expect(problems.contains { $0.hasPrefix("\(id): ") && $0.contains("moved to quarantine/") })
        }
        #expect(!problems.joined().contains("NSCocoaErrorDomain"))
        // A second recovery finds nothing more to do.
        #expect(try spool.recover().problems.isEmpty)
    }

    @Test("An envelope with a recipient twice is merged, and the merge is saved")
    func duplicatesMerged() throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        var twice = envelope("S.TWICE", to: ["bob@remote.test", "bob@remote.test", "carol@remote.test"])
        twice.recipients[1].domain = "remote.test"
        try spool.enqueue(sampleMessage, envelope: twice)
        let (envelopes, notes) = try spool.recover()
        let problems = notes.map(\.description)
        #expect(envelopes.first?.recipients.map(\.address) == ["bob@remote.test", "carol@remote.test"])
        #expect(problems == ["S.TWICE: 1 duplicate recipient(s) merged"])
        #expect(try spool.envelope("S.TWICE").recipients.count == 2)
    }
}
