/// Case-insensitive substring search (ASCII folding, bytes otherwise
/// compared as they are, so UTF-8 text matches UTF-8 text). Knuth–Morris–
/// Pratt, so a hostile needle against a large body stays linear.
struct CaseInsensitiveMatcher: Sendable {
    private let needle: [UInt8]
    /// failure[i]: length of the longest proper border of needle[0...i].
    private let failure: [Int]

    init(_ needle: [UInt8]) {
        let folded = needle.map(Self.fold)
        var failure = [Int](repeating: 0, count: folded.count)
        var length = 0
        var index = 1
        while index < folded.count {
            if folded[index] == folded[length] {
                length += 1
                failure[index] = length
                index += 1
            } else if length > 0 {
                length = failure[length - 1]
            } else {
                failure[index] = 0
                index += 1
            }
        }
        self.needle = folded
        self.failure = failure
    }

    private static func fold(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// Whether the needle occurs in `haystack` (an empty needle always does).
    func occurs<C: Collection<UInt8>>(in haystack: C) -> Bool {
        guard !needle.isEmpty else { return true }
        var matched = 0
        for byte in haystack {
            let folded = Self.fold(byte)
            while matched > 0 && needle[matched] != folded { matched = failure[matched - 1] }
            if needle[matched] == folded {
                matched += 1
                if matched == needle.count { return true }
            }
        }
        return false
    }
}
