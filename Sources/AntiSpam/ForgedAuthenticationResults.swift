/// RFC 8601 § 5: a border MTA removes `Authentication-Results` fields that
/// claim its own authserv-id before adding its own, or a sender could forge
/// "spf=pass" in our name and the recipient's mail program would believe it.
public enum ForgedAuthenticationResults {
    /// `message` without the header fields (folded lines included) that carry
    /// `authservID`; the same bytes when there are none, and nil in that case
    /// so the caller can keep its buffer.
    /// Only the header section is scanned; the message is copied only when
    /// something must go.
    public static func removing<Bytes: RandomAccessCollection<UInt8>>(
        from bytes: Bytes, authservID: String
    ) -> [UInt8]? where Bytes.Index == Int {
        var fields: [Range<Int>] = []  // each header field with its folded lines
        var start = bytes.startIndex
        while start < bytes.endIndex {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            let line = bytes[start..<newline]
            if line.isEmpty || (line.count == 1 && line.first == UInt8(ascii: "\r")) { break }  // end of the header section
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t"), let last = fields.popLast() {
                fields.append(last.lowerBound..<(newline + 1))
            } else {
                fields.append(start..<(newline + 1))
            }
            start = newline + 1
        }
        let forged = fields.filter { range in
            guard isAuthenticationResults(bytes[range]) else { return false }
            let text = String(decoding: bytes[range], as: UTF8.self)
            return AuthenticationResultsHeader.carriesAuthservID(text, authservID: authservID)
        }
        guard !forged.isEmpty else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var position = bytes.startIndex
        for range in forged {
            result += bytes[position..<range.lowerBound]
            position = range.upperBound
        }
        result += bytes[position...]
        return result
    }

    /// The field name `Authentication-Results` in any case, with optional
    /// white space before the colon (RFC 5322 § 4.5.3 obsolete syntax, which
    /// mail programs still read).
    static func isAuthenticationResults(_ field: some Collection<UInt8>) -> Bool {
        let name = "authentication-results".utf8
        guard field.count > name.count, field.prefix(name.count).map({ $0 | 0x20 }).elementsEqual(name) else {
            return false
        }
        let rest = field.dropFirst(name.count).drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        return rest.first == UInt8(ascii: ":")
    }
}
