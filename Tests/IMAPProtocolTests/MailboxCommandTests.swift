import Testing

@testable import IMAPProtocol

/// Commands of the authenticated and selected states, read from real
/// client lines (what Thunderbird, mbsync and iOS Mail send).
@Suite("IMAP mailbox commands")
struct MailboxCommandTests {
    func parse(_ line: String) -> Result<MailboxCommand, IMAPSyntaxError>? {
        var framer = IMAPCommandFramer()
        guard case .command(let text)? = framer.feed(Array((line + "\r\n").utf8)).first,
            let command = try? IMAPCommandParser().parse(text)
        else { return .failure(IMAPSyntaxError(tag: "?", text: "unparsable")) }
        return MailboxCommand.parse(command)
    }

    func command(_ line: String) -> MailboxCommand? {
        if case .success(let command)? = parse(line) { return command }
        return nil
    }

    @Test("SELECT and EXAMINE; INBOX in any case is INBOX")
    func select() {
        #expect(command("a SELECT inbox") == .select(mailbox: "INBOX", readOnly: false))
        #expect(command("a EXAMINE \"Sent Items\"") == .select(mailbox: "Sent Items", readOnly: true))
    }

    @Test("LIST with RFC 5258 selection and return options, LSUB")
    func list() {
        guard
            case .list(let list)? = command(
                "a LIST (SPECIAL-USE) \"\" (\"*\" \"INBOX\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))")
        else {
            Issue.record("not a LIST")
            return
        }
        #expect(list.specialUseOnly && !list.subscribedOnly)
        #expect(list.patterns == ["*", "INBOX"])
        #expect(list.statusItems == [.messages, .unseen])
        guard case .list(let lsub)? = command("a LSUB \"\" %") else {
            Issue.record("not an LSUB")
            return
        }
        #expect(lsub.lsub && lsub.subscribedOnly && lsub.patterns == ["%"])
    }

    @Test("STORE forms, with flags in canonical case")
    func store() {
        guard let set = SequenceSet("1:3") else { return }
        #expect(
            command("a STORE 1:3 +FLAGS.SILENT (\\seen $Forwarded)")
                == .store(set, StoreAction(operation: .add, silent: true, flags: ["\\Seen", "$Forwarded"]), uid: false))
        #expect(
            command("a UID STORE 1:3 -FLAGS \\Deleted")
                == .store(set, StoreAction(operation: .remove, silent: false, flags: ["\\Deleted"]), uid: true))
        #expect(command("a STORE 1 FLAGS (\\Recent)") == nil)
    }

    @Test("APPEND with flags, date and a literal")
    func append() {
        var framer = IMAPCommandFramer()
        let events = framer.feed(Array("a APPEND Drafts (\\Draft) \" 7-Dec-2026 19:48:02 +0100\" {5+}\r\nHello\r\n".utf8))
        guard case .command(let text)? = events.first, let parsed = try? IMAPCommandParser().parse(text),
            case .success(.append(let mailbox, let message))? = MailboxCommand.parse(parsed)
        else {
            Issue.record("not an APPEND: \(events)")
            return
        }
        #expect(mailbox == "Drafts")
        #expect(message.flags == ["\\Draft"])
        #expect(message.bytes == Array("Hello".utf8))
        #expect(message.internalDate == IMAPDateTime.parse("07-Dec-2026 18:48:02 +0000"))
    }

    @Test("UID commands, COPY and MOVE, EXPUNGE with a UID set")
    func uidCommands() {
        guard let set = SequenceSet("4:*") else { return }
        #expect(command("a UID MOVE 4:* Archive") == .copy(set, mailbox: "Archive", uid: true, move: true))
        #expect(command("a COPY 4:* Trash") == .copy(set, mailbox: "Trash", uid: false, move: false))
        #expect(command("a UID EXPUNGE 4:*") == .expunge(uids: set))
        #expect(command("a EXPUNGE") == .expunge(uids: nil))
        if case .failure? = parse("a UID LOGOUT") {} else { Issue.record("UID LOGOUT accepted") }
    }

    @Test("STATUS items; unknown ones and extra arguments are errors")
    func status() {
        #expect(
            command("a STATUS INBOX (MESSAGES UIDNEXT SIZE)") == .status(mailbox: "INBOX", items: [.messages, .uidNext, .size]))
        if case .failure? = parse("a STATUS INBOX (BOGUS)") {} else { Issue.record("bogus STATUS item accepted") }
        if case .failure? = parse("a SELECT INBOX extra") {} else { Issue.record("extra argument accepted") }
        #expect(parse("a FROB INBOX") == nil)
    }

    @Test("APPEND's date-time: zones, a space-padded day, and nonsense")
    func dateTime() {
        #expect(IMAPDateTime.parse("01-Jan-1970 00:00:00 +0000") == 0)
        #expect(IMAPDateTime.parse(" 1-Jan-1970 01:00:00 +0100") == 0)
        #expect(IMAPDateTime.parse("31-Dec-1969 23:00:00 -0100") == 0)
        #expect(IMAPDateTime.parse("32-Jan-1970 00:00:00 +0000") == nil)
        #expect(IMAPDateTime.parse("01-Foo-1970 00:00:00 +0000") == nil)
        #expect(IMAPDateTime.parse("01-Jan-1970 00:00:00") == nil)
    }
}
