/// One ENVELOPE address (RFC 9051 § 7.5.2): `(name adl mailbox host)`. A
/// group is written as a start `(NIL NIL "name" NIL)` and an end
/// `(NIL NIL NIL NIL)` around its members.
struct EnvelopeAddress: Equatable, Sendable {
    var name: [UInt8]?
    var route: [UInt8]?
    var mailbox: [UInt8]?
    var host: [UInt8]?

    static let groupEnd = EnvelopeAddress(name: nil, route: nil, mailbox: nil, host: nil)

    /// A mailbox (not a group marker): what is missing is filled in the way
    /// Dovecot does, so clients always get a mailbox and a host.
    static func mailbox(name: [UInt8]?, route: [UInt8]?, mailbox: [UInt8]?, host: [UInt8]?) -> EnvelopeAddress {
        EnvelopeAddress(
            name: name, route: route, mailbox: mailbox.flatMap { $0.isEmpty ? nil : $0 } ?? Array("MISSING_MAILBOX".utf8),
            host: host.flatMap { $0.isEmpty ? nil : $0 } ?? Array("MISSING_DOMAIN".utf8))
    }

    /// A subject or display name written as Dovecot's "string for humans":
    /// tabs and line breaks become spaces, runs of blanks one space, none
    /// at either end, NUL becomes 0x80; the result is a literal whenever
    /// anything was changed or needs escaping (a quote, a backslash, 8-bit),
    /// otherwise quoted as it is.
    static func humanString(_ text: [UInt8]) -> [UInt8] {
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(text.count)
        var changed = false
        var lastBlank = true
        for byte in text {
            switch byte {
            case ByteScan.space, ByteScan.tab, ByteScan.carriageReturn, ByteScan.lineFeed:
                if byte != ByteScan.space { changed = true }
                if lastBlank {
                    changed = true
                    continue
                }
                cleaned.append(ByteScan.space)
                lastBlank = true
            case 0:
                cleaned.append(0x80)
                changed = true
                lastBlank = false
            default:
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte >= 0x80 { changed = true }
                cleaned.append(byte)
                lastBlank = false
            }
        }
        if lastBlank, !cleaned.isEmpty {
            cleaned.removeLast()
            changed = true
        }
        if !changed { return [UInt8(ascii: "\"")] + text + [UInt8(ascii: "\"")] }
        if cleaned.isEmpty { return Array("\"\"".utf8) }
        return Array("{\(cleaned.count)}\r\n".utf8) + cleaned
    }

    func write(into output: inout [UInt8]) {
        output.append(UInt8(ascii: "("))
        output += name.map(Self.humanString) ?? Array("NIL".utf8)
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(route)
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(mailbox)
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(host)
        output.append(UInt8(ascii: ")"))
    }
}

/// Reads RFC 5322 address lists (§ 3.4) including groups, obsolete routes,
/// and what real mail gets wrong (bare names, unbalanced brackets).
/// Encoded-words are left as they are, as Dovecot does.
enum AddressListParser {
    enum Token: Equatable {
        case word([UInt8], quoted: Bool)
        case special(UInt8)
        case comment([UInt8])
    }

    static func tokens(_ value: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        // Never past the end, however a closing quote or escape is missing.
        var index = 0 {
            didSet { if index > value.count { index = value.count } }
        }
        let specials = Array("<>:;,@".utf8)
        while index < value.count {
            let byte = value[index]
            if ByteScan.isBlank(byte) {
                index += 1
            } else if byte == UInt8(ascii: "(") {
                var depth = 0
                var text: [UInt8] = []
                while index < value.count {
                    let current = value[index]
                    if current == UInt8(ascii: "\\"), index + 1 < value.count {
                        text.append(value[index + 1])
                        index += 2
                        continue
                    }
                    if current == UInt8(ascii: "(") {
                        depth += 1
                        if depth > 1 { text.append(current) }
                    } else if current == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            break
                        }
                        text.append(current)
                    } else {
                        text.append(current)
                    }
                    index += 1
                }
                tokens.append(.comment(text))
            } else if byte == UInt8(ascii: "\"") {
                var text: [UInt8] = []
                index += 1
                while index < value.count, value[index] != UInt8(ascii: "\"") {
                    if value[index] == UInt8(ascii: "\\"), index + 1 < value.count { index += 1 }
                    text.append(value[index])
                    index += 1
                }
                index += 1
                tokens.append(.word(text, quoted: true))
            } else if specials.contains(byte) {
                tokens.append(.special(byte))
                index += 1
            } else {
                let start = index
                if byte == UInt8(ascii: "[") {
                    // A domain literal, kept with its brackets.
                    while index < value.count, value[index] != UInt8(ascii: "]") { index += 1 }
                    index = min(index + 1, value.count)
                } else {
                    while index < value.count, !ByteScan.isBlank(value[index]), !specials.contains(value[index]),
                        value[index] != UInt8(ascii: "("), value[index] != UInt8(ascii: "\"")
                    {
                        index += 1
                    }
                }
                tokens.append(.word(Array(value[start..<index]), quoted: false))
            }
        }
        return tokens
    }

    static func parse(_ value: [UInt8]) -> [EnvelopeAddress] {
        let tokens = tokens(value)
        var addresses: [EnvelopeAddress] = []
        var index = 0 {
            didSet { if index > tokens.count { index = tokens.count } }
        }
        var inGroup = false
        while index < tokens.count {
            switch tokens[index] {
            case .special(UInt8(ascii: ";")):
                if inGroup {
                    addresses.append(.groupEnd)
                    inGroup = false
                }
                index += 1
                continue
            case .special(let byte) where byte != UInt8(ascii: "<") && byte != UInt8(ascii: "@"):
                // Commas between addresses, stray brackets and colons.
                index += 1
                continue
            case .comment:
                index += 1
                continue
            default:
                break
            }
            // A phrase: the display name, a group name, or a local part.
            var phrase: [Token] = []
            while index < tokens.count {
                if case .word = tokens[index] {
                    phrase.append(tokens[index])
                } else if case .comment = tokens[index] {
                    // Comments inside a phrase are not part of it.
                } else {
                    break
                }
                index += 1
            }
            let next: UInt8? = index < tokens.count ? { if case .special(let byte) = tokens[index] { byte } else { nil } }() : nil
            switch next {
            case UInt8(ascii: "<"):
                index += 1
                var inside: [Token] = []
                while index < tokens.count, tokens[index] != .special(UInt8(ascii: ">")) {
                    inside.append(tokens[index])
                    index += 1
                }
                index += 1
                var address = angleAddress(inside)
                // `"" <a@b>` has no name, as `<a@b>` has none.
                let name = joined(phrase, separator: [ByteScan.space])
                address.name = name.isEmpty ? nil : name
                addresses.append(address)
            case UInt8(ascii: ":") where !inGroup:
                index += 1
                addresses.append(
                    EnvelopeAddress(
                        name: nil, route: nil, mailbox: joined(phrase, separator: [ByteScan.space]), host: nil))
                inGroup = true
            case UInt8(ascii: "@"):
                index += 1
                var domain: [Token] = []
                var comment: [UInt8]?
                while index < tokens.count {
                    if case .word = tokens[index] {
                        domain.append(tokens[index])
                    } else if case .comment(let text) = tokens[index] {
                        comment = text
                    } else {
                        break
                    }
                    index += 1
                }
                addresses.append(
                    .mailbox(
                        name: comment, route: nil, mailbox: joined(phrase, separator: []),
                        host: joined(domain, separator: [])))
            default:
                // A bare word ("undisclosed-recipients"): a mailbox without a host.
                if !phrase.isEmpty {
                    addresses.append(
                        .mailbox(name: nil, route: nil, mailbox: joined(phrase, separator: []), host: nil))
                }
                if next != nil { index += 1 }
            }
        }
        if inGroup { addresses.append(.groupEnd) }
        return addresses
    }

    /// The inside of `<…>`: an optional obsolete route `@a,@b:` then `local@domain`.
    private static func angleAddress(_ tokens: [Token]) -> EnvelopeAddress {
        var tokens = tokens.filter { if case .comment = $0 { false } else { true } }
        var route: [UInt8]?
        if tokens.first == .special(UInt8(ascii: "@")), let colon = tokens.firstIndex(of: .special(UInt8(ascii: ":"))) {
            var text: [UInt8] = []
            for token in tokens[..<colon] {
                switch token {
                case .word(let bytes, _): text += bytes
                case .special(let byte): text.append(byte)
                case .comment: break
                }
            }
            route = text
            tokens.removeFirst(colon + 1)
        }
        guard let at = tokens.firstIndex(of: .special(UInt8(ascii: "@"))) else {
            return .mailbox(name: nil, route: route, mailbox: joined(tokens, separator: []), host: nil)
        }
        return .mailbox(
            name: nil, route: route, mailbox: joined(Array(tokens[..<at]), separator: []),
            host: joined(Array(tokens[(at + 1)...]), separator: []))
    }

    /// Words joined (quoted ones without their quotes, as Dovecot does).
    private static func joined(_ tokens: [Token], separator: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var first = true
        for token in tokens {
            guard case .word(let bytes, _) = token else { continue }
            if !first { output += separator }
            first = false
            output += bytes
        }
        return output
    }
}
