extension DKIMCanonicalization {
    /// RFC 6376 § 3.4.1 and § 3.4.2: one header field made canonical, with
    /// its CRLF.
    ///
    /// simple: the field unchanged. relaxed: the name in lower case,
    /// unfolded, runs of spaces and tabs made one space, white space at the
    /// end of the value and around the colon removed.
    public func canonical(_ field: DKIMHeaderField) -> [UInt8] {
        switch self {
        case .simple:
            return field.text
        case .relaxed:
            var out = Array(field.name.lowercased().utf8)
            out.append(UInt8(ascii: ":"))
            var pendingSpace = false
            var started = false
            for byte in field.value where byte != 0x0D && byte != 0x0A {
                if byte == 0x20 || byte == 0x09 {
                    pendingSpace = true
                    continue
                }
                if pendingSpace && started { out.append(0x20) }
                pendingSpace = false
                started = true
                out.append(byte)
            }
            out += crlf
            return out
        }
    }
}
