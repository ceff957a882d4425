/// One field of a header section, as offsets into the message bytes so
/// that BODY[HEADER.FIELDS] can return it exactly as it was written.
/// Offsets only, no copies: a hostile message's many fields cost a few
/// words each.
struct MIMEHeaderField: Sendable {
    /// Where the field's first line (and its name) starts.
    var start: Int
    /// Where the name ends (before any blanks and the colon).
    var nameEnd: Int
    /// Just after the colon.
    var valueStart: Int
    /// Just after the line end of its last (folded) line.
    var end: Int
}

/// A header section: where it is, whether a blank line closed it, and its
/// fields (at most `maximumFields` of them are kept; the rest are still
/// part of the section's bytes).
struct MIMEHeader: Sendable {
    var start: Int
    /// Just after the blank line, where the body starts.
    var end: Int
    /// False when the part ended before any blank line (all header, no body).
    var hasBlankLine: Bool
    var fields: [MIMEHeaderField]

    /// Reads the header at the start of `bytes[start..<limit]`. Linear in the
    /// header's length; tolerant of bare LF and of lines without a colon.
    static func parse(_ bytes: [UInt8], start: Int, limit: Int, maximumFields: Int) -> MIMEHeader {
        let maximumFields = max(0, maximumFields)
        var fields: [MIMEHeaderField] = []
        var position = start
        var current: MIMEHeaderField?
        while position < limit {
            let lineEnd = ByteScan.lineEnd(bytes, from: position, limit: limit)
            let contentEnd = ByteScan.trimLineBreak(bytes, start: position, end: lineEnd)
            if contentEnd == position {
                // The blank line: the header ends after it.
                if let field = current { fields.append(field) }
                return MIMEHeader(start: start, end: lineEnd, hasBlankLine: true, fields: fields)
            }
            let first = bytes[position]
            if first == ByteScan.space || first == ByteScan.tab {
                current?.end = lineEnd
            } else {
                if let field = current { fields.append(field) }
                current = nil
                if fields.count < maximumFields,
                    let colon = ByteScan.firstIndex(of: ByteScan.colon, in: bytes, from: position, to: contentEnd)
                {
                    var nameEnd = colon
                    while nameEnd > position, bytes[nameEnd - 1] == ByteScan.space || bytes[nameEnd - 1] == ByteScan.tab {
                        nameEnd -= 1
                    }
                    if nameEnd > position {
                        current = MIMEHeaderField(
                            start: position, nameEnd: nameEnd,
                            valueStart: colon + 1,
                            end: lineEnd)
                    }
                }
            }
            position = lineEnd
        }
        if let field = current { fields.append(field) }
        return MIMEHeader(start: start, end: limit, hasBlankLine: false, fields: fields)
    }

    /// The first field with this (lower-cased) name.
    func first(_ lowercasedName: [UInt8], in bytes: [UInt8]) -> MIMEHeaderField? {
        fields.first { $0.hasName(lowercasedName, in: bytes) }
    }

    /// The last field with this (lower-cased) name.
    func last(_ lowercasedName: [UInt8], in bytes: [UInt8]) -> MIMEHeaderField? {
        fields.last { $0.hasName(lowercasedName, in: bytes) }
    }

    /// The header section as BODY[HEADER] returns it: as it is, blank line
    /// included; a header that ran to the end of its part has none (Dovecot
    /// returns it so too).
    func sectionBytes(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes[start..<end])
    }

    /// Unfolded value of a field: line breaks removed, the blanks after the
    /// colon trimmed (those starting a continuation line stay, as in Dovecot).
    static func value(_ field: MIMEHeaderField, in bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(field.end - field.valueStart)
        var onFirstLine = true
        for byte in bytes[field.valueStart..<field.end] {
            if byte == ByteScan.carriageReturn { continue }
            if byte == ByteScan.lineFeed {
                onFirstLine = false
                continue
            }
            if onFirstLine && output.isEmpty && (byte == ByteScan.space || byte == ByteScan.tab) { continue }
            output.append(byte)
        }
        return output
    }
}

extension MIMEHeaderField {
    /// Whether the field's name is `lowercasedName`, ignoring ASCII case.
    func hasName(_ lowercasedName: [UInt8], in bytes: [UInt8]) -> Bool {
        guard nameEnd - start == lowercasedName.count else { return false }
        var offset = 0
        while offset < lowercasedName.count {
            let byte = bytes[start + offset]
            if (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) != lowercasedName[offset] { return false }
            offset += 1
        }
        return true
    }
}

/// Byte-level helpers shared by the MIME parser, written with plain loops so
/// that every scan is visibly linear and bounds-checked.
enum ByteScan {
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let hyphen = UInt8(ascii: "-")
    static let crlf: [UInt8] = [carriageReturn, lineFeed]

    /// Just after the next LF at or after `from`, or `limit` when there is none.
    static func lineEnd(_ bytes: [UInt8], from: Int, limit: Int) -> Int {
        var index = from
        while index < limit {
            if bytes[index] == lineFeed { return index + 1 }
            index += 1
        }
        return limit
    }

    /// `end` moved back over a trailing LF or CRLF (not before `start`).
    static func trimLineBreak(_ bytes: [UInt8], start: Int, end: Int) -> Int {
        var end = end
        if end > start, bytes[end - 1] == lineFeed { end -= 1 }
        if end > start, bytes[end - 1] == carriageReturn { end -= 1 }
        return end
    }

    static func firstIndex(of byte: UInt8, in bytes: [UInt8], from: Int, to: Int) -> Int? {
        var index = from
        while index < to {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    static func lowercased<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
        bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }

    static func lowercased(_ text: String) -> [UInt8] { lowercased(Array(text.utf8)) }

    static func equalsIgnoringCase(_ bytes: [UInt8], _ lowercasedText: String) -> Bool {
        lowercased(bytes) == Array(lowercasedText.utf8)
    }

    static func isBlank(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == carriageReturn || byte == lineFeed
    }

    /// Number of LFs in a range: the "lines" BODYSTRUCTURE reports.
    static func lineCount(_ bytes: [UInt8], start: Int, end: Int) -> Int {
        var count = 0
        var index = start
        while index < end {
            if bytes[index] == lineFeed { count += 1 }
            index += 1
        }
        return count
    }
}
