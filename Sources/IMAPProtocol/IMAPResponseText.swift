import MailCore

/// How the server writes values into responses (RFC 9051 § 4.3, § 9):
/// strings as quoted strings when they can be, literals when they cannot,
/// NIL for absent ones, and dates in the INTERNALDATE form.
public enum IMAPResponseText {
    /// A string: quoted when every byte may appear between quotes (printable
    /// ASCII; `"` and `\` escaped) and it is short, otherwise a literal
    /// (`{n}` CRLF and the bytes), which carries anything, 8-bit included.
    public static func string(_ bytes: [UInt8]) -> [UInt8] {
        let quotable = bytes.count <= 1024 && bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        guard quotable else { return Array("{\(bytes.count)}\r\n".utf8) + bytes }
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { output.append(UInt8(ascii: "\\")) }
            output.append(byte)
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    public static func string(_ text: String) -> [UInt8] { string(Array(text.utf8)) }

    /// nstring: NIL when absent.
    public static func nstring(_ bytes: [UInt8]?) -> [UInt8] {
        guard let bytes else { return Array("NIL".utf8) }
        return string(bytes)
    }

    /// `(\Seen $Junk)`.
    public static func flagList(_ flags: [String]) -> String {
        "(" + flags.joined(separator: " ") + ")"
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// INTERNALDATE: `"07-Dec-2026 19:48:02 +0000"` for seconds since 1970
    /// (UTC; the server keeps no other zone), quotes included.
    public static func internalDate(secondsSince1970 seconds: Int64) -> String {
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.date(fromDays: Int(days))
        let hour = secondOfDay / 3600
        let minute = (secondOfDay % 3600) / 60
        let second = secondOfDay % 60
        return "\"\(pad(day))-\(months[month - 1])-\(year) \(pad(hour)):\(pad(minute)):\(pad(second)) +0000\""
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
