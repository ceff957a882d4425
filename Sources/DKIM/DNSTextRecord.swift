/// A TXT record's text in zone-file form: `"…"` strings of at most 255
/// bytes each (RFC 1035 § 3.3.14: a character-string is at most 255
/// octets; a 2048-bit DKIM key needs two). Receivers join them without
/// a separator (RFC 6376 § 3.6.2.2).
public enum DNSTextRecord {
    public static func zoneText(_ text: String) -> String {
        var escaped: [UInt8] = []
        var strings: [String] = []
        var count = 0
        for byte in text.utf8 {
            if count == 255 {
                strings.append("\"" + String(decoding: escaped, as: UTF8.self) + "\"")
                escaped = []
                count = 0
            }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { escaped.append(UInt8(ascii: "\\")) }
            escaped.append(byte)
            count += 1
        }
        strings.append("\"" + String(decoding: escaped, as: UTF8.self) + "\"")
        return strings.joined(separator: " ")
    }
}
