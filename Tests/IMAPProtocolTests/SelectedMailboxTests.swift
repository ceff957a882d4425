import Testing

@testable import IMAPProtocol

@Suite("IMAP selected mailbox view")
struct SelectedMailboxTests {
    func view(_ uids: [UInt32]) -> SelectedMailbox {
        SelectedMailbox(
            name: "INBOX", readOnly: false, uidValidity: 7, uidNext: (uids.last ?? 0) + 1,
            messages: uids.map { .init(uid: $0, flags: []) })
    }

    @Test("sequence sets: numbers past the end are an error, UIDs not in use are skipped, * is the last")
    func indices() {
        let mailbox = view([3, 5, 9, 10])
        #expect(mailbox.indices(SequenceSet("2:*")!, uid: false) == [1, 2, 3])
        #expect(mailbox.indices(SequenceSet("5")!, uid: false) == nil)
        #expect(mailbox.indices(SequenceSet("4:9")!, uid: true) == [1, 2])
        #expect(mailbox.indices(SequenceSet("*")!, uid: true) == [3])
        #expect(mailbox.indices(SequenceSet("11:20")!, uid: true) == [])
        #expect(mailbox.indices(SequenceSet("$")!, uid: false, saved: [9, 4]) == [2])
        #expect(mailbox.sequence(of: 9) == 3)
        #expect(mailbox.sequence(of: 4) == nil)
    }

    @Test("two thousand overlapping ranges cost one pass and give each message once")
    func overlappingRanges() throws {
        let mailbox = view(Array(1...10_000))
        let text = Array(repeating: "1:*", count: 2000).joined(separator: ",") + ",5,4294967295:9999"
        let set = try #require(SequenceSet(text))
        #expect(mailbox.indices(set, uid: true) == Array(0..<10_000))
        #expect(mailbox.indices(try #require(SequenceSet("3:2,9999:*,1")), uid: false) == [0, 1, 2, 9998, 9999])
    }

    @Test("expunges are reported highest first, then flag changes and EXISTS")
    func update() {
        var mailbox = view([1, 2, 3, 4])
        let output = mailbox.update(
            to: [.init(uid: 1, flags: ["\\Seen"]), .init(uid: 3, flags: []), .init(uid: 6, flags: [])], uidNext: 7,
            expungesAllowed: true)
        #expect(output == "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Seen))\r\n* 3 EXISTS\r\n")
        #expect(mailbox.messages.map(\.uid) == [1, 3, 6])
        #expect(mailbox.uidNext == 7)
    }

    @Test("during FETCH, STORE and SEARCH expunged messages keep their numbers until they may be reported")
    func heldExpunges() {
        var mailbox = view([1, 2, 3])
        let during = mailbox.update(to: [.init(uid: 1, flags: []), .init(uid: 3, flags: [])], uidNext: 4, expungesAllowed: false)
        #expect(during == "")
        #expect(mailbox.count == 3 && mailbox.vanished == [2])
        let later = mailbox.update(to: [.init(uid: 1, flags: []), .init(uid: 3, flags: [])], uidNext: 4, expungesAllowed: true)
        #expect(later == "* 2 EXPUNGE\r\n")
        #expect(mailbox.vanished.isEmpty && mailbox.count == 2)
    }

    @Test("a UID command's unsolicited FETCH carries the UID")
    func uidInFetch() {
        var mailbox = view([5])
        #expect(
            mailbox.update(to: [.init(uid: 5, flags: ["\\Flagged"])], uidNext: 6, expungesAllowed: false, includeUID: true)
                == "* 1 FETCH (UID 5 FLAGS (\\Flagged))\r\n")
    }
}

@Suite("IMAP selected mailbox: the session's own changes")
struct SelectedMailboxOwnChangeTests {
    @Test("an own APPEND adds one message and says EXISTS; an own EXPUNGE reports held-back ones too")
    func ownChanges() {
        var mailbox = SelectedMailbox(
            name: "INBOX", readOnly: false, uidValidity: 1, uidNext: 4,
            messages: [.init(uid: 1, flags: []), .init(uid: 2, flags: []), .init(uid: 3, flags: [])])
        #expect(mailbox.appendOwn(.init(uid: 7, flags: ["\\Seen"])) == "* 4 EXISTS\r\n")
        #expect(mailbox.uidNext == 8)
        #expect(mailbox.appendOwn(.init(uid: 5, flags: [])) == "")
        _ = mailbox.update(
            to: [.init(uid: 1, flags: []), .init(uid: 3, flags: []), .init(uid: 7, flags: ["\\Seen"])], uidNext: 8,
            expungesAllowed: false)
        #expect(mailbox.removeOwn([3]) == "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n")
        #expect(mailbox.messages.map(\.uid) == [1, 7])
    }
}
