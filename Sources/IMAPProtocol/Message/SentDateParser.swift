/// Reads the day out of an RFC 5322 date (`Mon, 7 Dec 2026 21:00:00 +0100`),
/// tolerating a missing weekday, two-digit years (§ 4.3) and comments.
enum SentDateParser {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func day(_ value: [UInt8]) -> SearchKey.SearchDate? {
        // Words split at blanks, commas and hyphens, keeping the ones that matter.
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        for byte in value.prefix(200) {
            if ByteScan.isBlank(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "-") {
                if !word.isEmpty { words.append(word) }
                word = []
            } else {
                word.append(byte)
            }
        }
        if !word.isEmpty { words.append(word) }
        // Skip a leading day name.
        if let first = words.first, first.first.map({ !(0x30...0x39).contains($0) }) ?? false { words.removeFirst() }
        guard words.count >= 3, let day = number(words[0]), (1...31).contains(day),
            let month = months.firstIndex(of: String(decoding: ByteScan.lowercased(words[1].prefix(3)), as: UTF8.self)),
            words[1].count >= 3, var year = number(words[2])
        else { return nil }
        if words[2].count <= 2 { year += year < 50 ? 2000 : 1900 } else if words[2].count == 3 { year += 1900 }
        return SearchKey.SearchDate(year: year, month: month + 1, day: day)
    }

    private static func number(_ bytes: [UInt8]) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 4, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}

extension SearchKey.SearchDate {
    /// A day from its numbers (the module's own dates: Date: headers, INTERNALDATE).
    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}
