/// Turns header and body text into the UTF-8 that SEARCH compares with:
/// RFC 2047 encoded-words in headers decoded, Latin-1 text converted.
/// Other charsets are compared as their bytes are (no conversion tables).
enum SearchTextDecoding {
    /// Latin-1 and its near relatives, whose bytes are (nearly) their code points.
    private static let latin1Names: Set<[UInt8]> = Set(
        ["iso-8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252", "iso-8859-15"].map { Array($0.utf8) })

    static func isLatin1(_ charset: [UInt8]) -> Bool { latin1Names.contains(ByteScan.lowercased(charset)) }

    static func latin1ToUTF8(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(where: { $0 >= 0x80 }) else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            if byte < 0x80 {
                output.append(byte)
            } else {
                output.append(0xC0 | (byte >> 6))
                output.append(0x80 | (byte & 0x3F))
            }
        }
        return output
    }

    /// Whether a header value has an encoded-word in it at all.
    static func hasEncodedWord(_ value: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < value.count {
            if value[index] == UInt8(ascii: "="), value[index + 1] == UInt8(ascii: "?") { return true }
            index += 1
        }
        return false
    }

    /// `=?charset?B|Q?text?=` decoded (RFC 2047); blanks between two
    /// encoded-words dropped (§ 6.2); anything malformed kept as it is.
    /// Linear: a charset name is looked for only in the next 100 bytes, and
    /// a stretch found to hold no `?=` is not searched again.
    static func decodeEncodedWords(_ value: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(value.count)
        var index = 0
        var pendingBlanks: [UInt8] = []
        var lastWasEncoded = false
        var noEndBefore = 0
        while index < value.count {
            if let (decoded, next) = encodedWord(value, at: index, noEndBefore: &noEndBefore) {
                // Blanks between two encoded-words are not part of the text.
                if !lastWasEncoded { output += pendingBlanks }
                pendingBlanks = []
                output += decoded
                index = next
                lastWasEncoded = true
                continue
            }
            let byte = value[index]
            if byte == ByteScan.space || byte == ByteScan.tab {
                pendingBlanks.append(byte)
            } else {
                output += pendingBlanks
                pendingBlanks = []
                output.append(byte)
                lastWasEncoded = false
            }
            index += 1
        }
        return output + pendingBlanks
    }

    /// The decoded word starting at `start` and the index after it.
    /// `noEndBefore`: no `?=` ends a word that starts before it (learnt from
    /// earlier failed searches), so hostile `=?a?b?x=?a?b?x…` stays linear.
    private static func encodedWord(_ value: [UInt8], at start: Int, noEndBefore: inout Int) -> ([UInt8], Int)? {
        guard start + 1 < value.count, value[start] == UInt8(ascii: "="), value[start + 1] == UInt8(ascii: "?") else {
            return nil
        }
        var index = start + 2
        let charsetStart = index
        while index < value.count, index - charsetStart < 100, value[index] != UInt8(ascii: "?"), !ByteScan.isBlank(value[index])
        {
            index += 1
        }
        guard index + 2 < value.count, index > charsetStart, value[index] == UInt8(ascii: "?"),
            value[index + 2] == UInt8(ascii: "?")
        else { return nil }
        // `charset*language` (RFC 2231 § 5): the language is not needed.
        let charset = value[charsetStart..<index].prefix { $0 != UInt8(ascii: "*") }
        let encoding = value[index + 1] | 0x20
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        let textStart = index + 3
        guard textStart >= noEndBefore else { return nil }
        var end = textStart
        while end + 1 < value.count, !(value[end] == UInt8(ascii: "?") && value[end + 1] == UInt8(ascii: "=")) {
            // Encoded-words hold no blanks: a blank means this is not one.
            if ByteScan.isBlank(value[end]) {
                noEndBefore = end
                return nil
            }
            end += 1
        }
        guard end + 1 < value.count else {
            noEndBefore = value.count
            return nil
        }
        let text = value[textStart..<end]
        var decoded: [UInt8]
        if encoding == UInt8(ascii: "b") {
            decoded = TransferDecoding.base64(text)
        } else {
            decoded = TransferDecoding.quotedPrintable(ArraySlice(text.map { $0 == UInt8(ascii: "_") ? ByteScan.space : $0 }))
        }
        if isLatin1(Array(charset)) { decoded = latin1ToUTF8(decoded) }
        return (decoded, end + 2)
    }
}
