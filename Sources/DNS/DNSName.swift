/// A domain name as a sequence of labels, each up to 63 arbitrary octets.
///
/// Labels are kept as octets, not text, because the wire format allows any
/// byte in a label: a label containing a `.` must never be confused with two
/// labels. The text form (`description`) escapes such bytes the way master
/// files do (RFC 1035 § 5.1), and `init(_:)` reads those escapes back.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The labels from the leftmost to the last before the root; empty for the root.
    public let labels: [[UInt8]]

    /// The root name, `.`.
    public static let root = DNSName(validatedLabels: [])

    /// The limits of RFC 1035 § 2.3.4.
    public static let maximumLabelLength = 63
    public static let maximumWireLength = 255

    /// Builds a name from labels, checking the RFC 1035 § 2.3.4 limits.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        var length = 1
        for label in labels {
            if label.isEmpty { throw .emptyLabel }
            if label.count > Self.maximumLabelLength { throw .labelTooLong }
            length += 1 + label.count
        }
        if length > Self.maximumWireLength { throw .nameTooLong }
        self.labels = labels
    }

    /// Reads a name in text form: labels separated by dots, an optional final
    /// dot, and the escapes `\.`, `\\` and `\DDD` (decimal). `""` and `"."`
    /// are the root.
    public init(_ text: String) throws(DNSWireError) {
        let bytes = Array(text.utf8)
        if bytes.isEmpty || bytes == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        var labels: [[UInt8]] = []
        var label: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                if label.isEmpty { throw .emptyLabel }
                labels.append(label)
                label = []
            } else if byte == UInt8(ascii: "\\") {
                guard index < bytes.count else { throw .invalidEscape }
                let next = bytes[index]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) {
                    guard index + 3 <= bytes.count else { throw .invalidEscape }
                    var value = 0
                    for digit in bytes[index..<index + 3] {
                        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { throw .invalidEscape }
                        value = value * 10 + Int(digit - UInt8(ascii: "0"))
                    }
                    guard value <= 255 else { throw .invalidEscape }
                    label.append(UInt8(value))
                    index += 3
                } else {
                    label.append(next)
                    index += 1
                }
            } else {
                label.append(byte)
            }
        }
        // A final dot leaves `label` empty: the name was written fully qualified.
        if !label.isEmpty { labels.append(label) }
        try self.init(labels: labels)
    }

    private init(validatedLabels: [[UInt8]]) {
        labels = validatedLabels
    }

    /// Octets the name takes on the wire without compression.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    public var isRoot: Bool { labels.isEmpty }

    /// The name with ASCII letters lower-cased: DNS compares names without
    /// regard to ASCII case, and only ASCII case (RFC 4343 § 3).
    public var lowercased: DNSName {
        DNSName(
            validatedLabels: labels.map { label in
                label.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
            })
    }

    /// Whether two names are the same name in the DNS (RFC 4343 § 3).
    public func matches(_ other: DNSName) -> Bool {
        labels.count == other.labels.count && lowercased == other.lowercased
    }

    /// The text form without the final dot; the root is `.`.
    public var description: String {
        if labels.isEmpty { return "." }
        var text = ""
        for (position, label) in labels.enumerated() {
            if position > 0 { text += "." }
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E:
                    text += String(UnicodeScalar(byte))
                default:
                    // Spaces, controls and non-ASCII octets: \DDD keeps the
                    // text unambiguous and safe to log.
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
        }
        return text
    }
}
