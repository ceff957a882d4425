/// A command of the authenticated and selected states (RFC 9051 § 6.3,
/// § 6.4), read from its parsed arguments. The session checks the state;
/// the driver carries the command out against the mail store.
///
/// Mailbox names are kept as the client sent them (UTF-8 bytes decoded, or
/// modified UTF-7 from an IMAP4rev1 client); the driver maps them.
public enum MailboxCommand: Equatable, Sendable {
    case select(mailbox: String, readOnly: Bool)
    case create(mailbox: String)
    case delete(mailbox: String)
    case rename(from: String, to: String)
    case subscribe(mailbox: String, subscribe: Bool)
    case list(ListCommand)
    case namespace
    case status(mailbox: String, items: [StatusItem])
    case append(mailbox: String, message: AppendMessage)
    case idle
    case check
    /// NOOP while a mailbox is selected: report changes.
    case noop
    /// CLOSE expunges (when read-write) and leaves the mailbox; UNSELECT only leaves.
    case close(expunge: Bool)
    /// EXPUNGE, or UID EXPUNGE with its UID set (RFC 4315).
    case expunge(uids: SequenceSet?)
    /// SEARCH's arguments, read by the driver (RETURN options, criteria).
    case search(arguments: [IMAPValue], uid: Bool)
    case fetch(SequenceSet, [FetchAttribute], uid: Bool)
    case store(SequenceSet, StoreAction, uid: Bool)
    case copy(SequenceSet, mailbox: String, uid: Bool, move: Bool)
    /// RFC 9208: GETQUOTAROOT mailbox, GETQUOTA root.
    case getQuotaRoot(mailbox: String)
    case getQuota(root: String)

    /// The command's name, for the log.
    public var name: String {
        switch self {
        case .select(_, let readOnly): return readOnly ? "EXAMINE" : "SELECT"
        case .create: return "CREATE"
        case .delete: return "DELETE"
        case .rename: return "RENAME"
        case .subscribe(_, let on): return on ? "SUBSCRIBE" : "UNSUBSCRIBE"
        case .list(let list): return list.lsub ? "LSUB" : "LIST"
        case .namespace: return "NAMESPACE"
        case .status: return "STATUS"
        case .append: return "APPEND"
        case .idle: return "IDLE"
        case .check: return "CHECK"
        case .noop: return "NOOP"
        case .close(let expunge): return expunge ? "CLOSE" : "UNSELECT"
        case .expunge: return "EXPUNGE"
        case .search: return "SEARCH"
        case .fetch: return "FETCH"
        case .store: return "STORE"
        case .copy(_, _, _, let move): return move ? "MOVE" : "COPY"
        case .getQuotaRoot: return "GETQUOTAROOT"
        case .getQuota: return "GETQUOTA"
        }
    }

    /// Whether the command needs a selected mailbox.
    public var needsSelection: Bool {
        switch self {
        case .check, .close, .expunge, .search, .fetch, .store, .copy: return true
        default: return false
        }
    }
}

public struct ListCommand: Equatable, Sendable {
    public var reference: String
    public var patterns: [String]
    /// LSUB (IMAP4rev1), or LIST (SUBSCRIBED).
    public var subscribedOnly: Bool
    /// RFC 6154 `(SPECIAL-USE)` selection: only special-use folders.
    public var specialUseOnly: Bool
    /// RETURN (STATUS (…)) of RFC 5819.
    public var statusItems: [StatusItem]
    public var lsub: Bool
}

public enum StatusItem: String, Equatable, Sendable {
    case messages = "MESSAGES"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
    case deleted = "DELETED"
    case size = "SIZE"
    case recent = "RECENT"
}

public struct AppendMessage: Equatable, Sendable {
    public var flags: [String]
    /// Seconds since 1970, from the optional date-time argument.
    public var internalDate: Int64?
    public var bytes: [UInt8]
}

public struct StoreAction: Equatable, Sendable {
    public enum Operation: Equatable, Sendable { case add, remove, replace }
    public var operation: Operation
    public var silent: Bool
    public var flags: [String]
}

extension MailboxCommand {
    /// Reads `command`; nil when the name is not one of these commands,
    /// a syntax error's text when the arguments are wrong.
    static func parse(_ command: IMAPCommand) -> Result<MailboxCommand, IMAPSyntaxError>? {
        var name = command.name
        var arguments = command.arguments
        var uid = false
        if name == "UID" {
            guard case .atom(let sub)? = arguments.first else {
                return .failure(.init(tag: command.tag, text: "UID needs a command"))
            }
            name = sub.uppercased()
            arguments.removeFirst()
            uid = true
            guard ["FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE"].contains(name) else {
                return .failure(.init(tag: command.tag, text: "UID \(name) is not a command"))
            }
        }
        var reader = ArgumentReader(values: arguments)
        do throws(ArgumentError) {
            let parsed: MailboxCommand
            switch name {
            case "SELECT", "EXAMINE":
                parsed = .select(mailbox: try reader.mailbox(), readOnly: name == "EXAMINE")
            // (CONDSTORE) and other select parameters are not supported.
            case "CREATE": parsed = .create(mailbox: try reader.mailbox())
            case "DELETE": parsed = .delete(mailbox: try reader.mailbox())
            case "RENAME": parsed = .rename(from: try reader.mailbox(), to: try reader.mailbox())
            case "SUBSCRIBE", "UNSUBSCRIBE": parsed = .subscribe(mailbox: try reader.mailbox(), subscribe: name == "SUBSCRIBE")
            case "LIST", "LSUB": parsed = .list(try list(&reader, lsub: name == "LSUB"))
            case "NAMESPACE": parsed = .namespace
            case "STATUS":
                let mailbox = try reader.mailbox()
                guard case .list(let items)? = reader.next(), !items.isEmpty else {
                    throw ArgumentError("STATUS needs a list of items")
                }
                parsed = .status(mailbox: mailbox, items: try statusItems(items))
            case "APPEND": parsed = try append(&reader)
            case "IDLE": parsed = .idle
            case "CHECK": parsed = .check
            case "CLOSE": parsed = .close(expunge: true)
            case "UNSELECT": parsed = .close(expunge: false)
            case "EXPUNGE": parsed = .expunge(uids: uid ? try reader.sequenceSet() : nil)
            case "SEARCH":
                parsed = .search(arguments: reader.rest(), uid: uid)
            case "FETCH":
                let set = try reader.sequenceSet()
                guard let value = reader.next(), let attributes = FetchAttribute.parse(value) else {
                    throw ArgumentError("Invalid FETCH attributes")
                }
                parsed = .fetch(set, attributes, uid: uid)
            case "STORE":
                let set = try reader.sequenceSet()
                guard case .atom(let item)? = reader.next() else { throw ArgumentError("STORE needs FLAGS, +FLAGS or -FLAGS") }
                var upper = item.uppercased()
                let silent = upper.hasSuffix(".SILENT")
                if silent { upper.removeLast(".SILENT".count) }
                let operation: StoreAction.Operation
                switch upper {
                case "FLAGS": operation = .replace
                case "+FLAGS": operation = .add
                case "-FLAGS": operation = .remove
                default: throw ArgumentError("STORE needs FLAGS, +FLAGS or -FLAGS")
                }
                parsed = .store(set, StoreAction(operation: operation, silent: silent, flags: try flags(reader.rest())), uid: uid)
            case "COPY", "MOVE":
                parsed = .copy(try reader.sequenceSet(), mailbox: try reader.mailbox(), uid: uid, move: name == "MOVE")
            case "GETQUOTAROOT": parsed = .getQuotaRoot(mailbox: try reader.mailbox())
            case "GETQUOTA": parsed = .getQuota(root: try reader.mailbox())
            default:
                return nil
            }
            switch parsed {
            case .search, .store: break
            default: guard reader.atEnd else { throw ArgumentError("Too many arguments for \(name)") }
            }
            return .success(parsed)
        } catch {
            return .failure(.init(tag: command.tag, text: error.text))
        }
    }

    private static func list(_ reader: inout ArgumentReader, lsub: Bool) throws(ArgumentError) -> ListCommand {
        var command = ListCommand(
            reference: "", patterns: [], subscribedOnly: lsub, specialUseOnly: false, statusItems: [], lsub: lsub)
        if !lsub, case .list(let options)? = reader.peek() {
            reader.advance()
            for option in options {
                guard case .atom(let word) = option else { throw ArgumentError("Invalid LIST selection option") }
                switch word.uppercased() {
                case "SUBSCRIBED": command.subscribedOnly = true
                case "SPECIAL-USE": command.specialUseOnly = true
                case "REMOTE", "RECURSIVEMATCH": break
                default: throw ArgumentError("Unknown LIST selection option \(word)")
                }
            }
        }
        command.reference = try reader.mailbox(allowEmpty: true)
        switch reader.next() {
        case .list(let patterns)?:
            command.patterns = try patterns.map { value throws(ArgumentError) in
                guard let bytes = value.string else { throw ArgumentError("Invalid LIST pattern") }
                return String(decoding: bytes, as: UTF8.self)
            }
        case let value?:
            guard let bytes = value.string else { throw ArgumentError("Invalid LIST pattern") }
            command.patterns = [String(decoding: bytes, as: UTF8.self)]
        case nil:
            throw ArgumentError("LIST needs a reference and a pattern")
        }
        if !lsub, case .atom(let word)? = reader.peek(), word.uppercased() == "RETURN" {
            reader.advance()
            guard case .list(let options)? = reader.next() else { throw ArgumentError("RETURN needs a list") }
            var index = 0
            while index < options.count {
                guard case .atom(let word) = options[index] else { throw ArgumentError("Invalid LIST return option") }
                switch word.uppercased() {
                case "SUBSCRIBED", "CHILDREN", "SPECIAL-USE": break
                case "STATUS":
                    index += 1
                    guard index < options.count, case .list(let items) = options[index], !items.isEmpty else {
                        throw ArgumentError("RETURN (STATUS needs a list of items")
                    }
                    command.statusItems = try statusItems(items)
                default: throw ArgumentError("Unknown LIST return option \(word)")
                }
                index += 1
            }
        }
        return command
    }

    private static func statusItems(_ values: [IMAPValue]) throws(ArgumentError) -> [StatusItem] {
        try values.map { value throws(ArgumentError) in
            guard case .atom(let word) = value, let item = StatusItem(rawValue: word.uppercased()) else {
                throw ArgumentError("Unknown STATUS item")
            }
            return item
        }
    }

    private static func append(_ reader: inout ArgumentReader) throws(ArgumentError) -> MailboxCommand {
        let mailbox = try reader.mailbox()
        var flagList: [String] = []
        if case .list(let values)? = reader.peek() {
            reader.advance()
            flagList = try flags(values)
        }
        var date: Int64?
        if case .quoted(let bytes)? = reader.peek() {
            reader.advance()
            guard let seconds = IMAPDateTime.parse(String(decoding: bytes, as: UTF8.self)) else {
                throw ArgumentError("Invalid APPEND date-time")
            }
            date = seconds
        }
        guard case .literal(let bytes, _)? = reader.next() else { throw ArgumentError("APPEND needs the message as a literal") }
        guard reader.atEnd else { throw ArgumentError("MULTIAPPEND is not supported") }
        return .append(mailbox: mailbox, message: AppendMessage(flags: flagList, internalDate: date, bytes: bytes))
    }

    /// A flag list (or, for STORE, flags without parentheses).
    private static func flags(_ values: [IMAPValue]) throws(ArgumentError) -> [String] {
        let items: [IMAPValue]
        if values.count == 1, case .list(let inner) = values[0] { items = inner } else { items = values }
        var result: [String] = []
        for item in items {
            guard case .atom(let flag) = item, IMAPFlag.isValid(flag) else { throw ArgumentError("Invalid flag") }
            result.append(IMAPFlag.canonical(flag))
        }
        return result
    }
}

/// A parse failure with the text for BAD.
struct ArgumentError: Error {
    var text: String
    init(_ text: String) { self.text = text }
}

/// What mailbox commands read besides what SEARCH's reader has.
extension ArgumentReader {
    mutating func rest() -> [IMAPValue] {
        defer { index = values.count }
        return atEnd ? [] : Array(values[index...])
    }

    /// A mailbox name (astring); INBOX in any case is INBOX.
    mutating func mailbox(allowEmpty: Bool = false) throws(ArgumentError) -> String {
        guard let bytes = next()?.string else { throw ArgumentError("Missing mailbox name") }
        let name = String(decoding: bytes, as: UTF8.self)
        guard allowEmpty || !name.isEmpty else { throw ArgumentError("Empty mailbox name") }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw ArgumentError("Invalid mailbox name") }
        return name.uppercased() == "INBOX" ? "INBOX" : name
    }

    mutating func sequenceSet() throws(ArgumentError) -> SequenceSet {
        guard case .atom(let text)? = next(), let set = SequenceSet(text) else { throw ArgumentError("Invalid sequence set") }
        return set
    }
}

/// Flags as IMAP spells them.
public enum IMAPFlag {
    public static let system = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]

    /// A system flag (case-insensitive) or a keyword atom.
    static func isValid(_ flag: String) -> Bool {
        if flag.hasPrefix("\\") { return system.contains { $0.lowercased() == flag.lowercased() } }
        return !flag.isEmpty && flag.utf8.allSatisfy { IMAPGrammar.isAtomCharacter($0) && $0 != UInt8(ascii: "]") }
    }

    /// System flags in their canonical case; keywords as given.
    static func canonical(_ flag: String) -> String {
        system.first { $0.lowercased() == flag.lowercased() } ?? flag
    }
}
