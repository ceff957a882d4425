/// A part of one log line as raw bytes, valid only while the line is being
/// looked at. The audit reads a day of logs of a busy server: working on
/// UTF-8 bytes keeps that in seconds, and a `String` is made only for the
/// pieces that are kept (addresses, domains, reasons).
public typealias LogBytes = Slice<UnsafeBufferPointer<UInt8>>

extension Slice where Base == UnsafeBufferPointer<UInt8> {
    /// The bytes as text (invalid UTF-8 is repaired, never an error).
    var text: String { String(decoding: UnsafeBufferPointer(rebasing: self), as: UTF8.self) }

    /// The index of the first occurrence of `needle`, if any.
    func find(_ needle: [UInt8], from start: Index? = nil) -> Index? {
        needle.withUnsafeBufferPointer { find($0, from: start) }
    }

    func find(_ needle: StaticString, from start: Index? = nil) -> Index? {
        needle.withUTF8Buffer { find($0, from: start) }
    }

    func find(_ needle: UnsafeBufferPointer<UInt8>, from start: Index? = nil) -> Index? {
        guard let first = needle.first else { return start ?? startIndex }
        var index = start ?? startIndex
        let lastStart = endIndex - needle.count
        while index <= lastStart {
            if self[index] == first {
                var matched = 1
                while matched < needle.count && self[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    /// The index of the last occurrence of `needle`, if any.
    func findLast(_ needle: StaticString) -> Index? {
        needle.withUTF8Buffer { needle in
            guard !needle.isEmpty, count >= needle.count else { return nil }
            var index = endIndex - needle.count
            while index >= startIndex {
                if self[index] == needle[0] && self[index..<index + needle.count].elementsEqual(needle) { return index }
                index -= 1
            }
            return nil
        }
    }

    func hasPrefix(_ prefix: [UInt8]) -> Bool {
        count >= prefix.count && self[startIndex..<startIndex + prefix.count].elementsEqual(prefix)
    }

    func hasSuffix(_ suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(endIndex - suffix.count)...].elementsEqual(suffix)
    }

    func hasSuffix(_ suffix: StaticString) -> Bool {
        suffix.withUTF8Buffer { count >= $0.count && self[(endIndex - $0.count)...].elementsEqual($0) }
    }

    /// The bytes after `prefix`, or nil when the text does not start with it.
    func after(_ prefix: [UInt8]) -> Self? { hasPrefix(prefix) ? self[(startIndex + prefix.count)...] : nil }

    /// Splits at the first `separator`: (before, after), or nil when absent.
    func split(at separator: StaticString) -> (Self, Self)? {
        guard let index = find(separator) else { return nil }
        return (self[..<index], self[(index + separator.utf8CodeUnitCount)...])
    }

    /// Splits at the last `separator`: (before, after), or nil when absent.
    func splitLast(at separator: StaticString) -> (Self, Self)? {
        guard let index = findLast(separator) else { return nil }
        return (self[..<index], self[(index + separator.utf8CodeUnitCount)...])
    }

    /// A leading decimal number (at most 18 digits), or nil.
    var leadingNumber: Int? {
        var value = 0
        var digits = 0
        for byte in self {
            guard byte >= 0x30 && byte <= 0x39, digits < 18 else { break }
            value = value * 10 + Int(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
