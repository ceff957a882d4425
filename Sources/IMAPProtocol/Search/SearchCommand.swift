/// A SEARCH command's arguments with RFC 4731/9051 RETURN options:
/// `RETURN (MIN MAX COUNT ALL SAVE)` before the criteria.
public struct SearchCommand: Sendable, Equatable {
    public enum ReturnOption: String, Sendable {
        case min = "MIN"
        case max = "MAX"
        case count = "COUNT"
        case all = "ALL"
        case save = "SAVE"
    }

    /// nil: no RETURN given (IMAP4rev1 style `* SEARCH 1 2 3`). Empty: `RETURN ()`, which means ALL.
    public var returnOptions: [ReturnOption]?
    public var key: SearchKey

    public init(returnOptions: [ReturnOption]?, key: SearchKey) {
        self.returnOptions = returnOptions
        self.key = key
    }

    public static func parse(_ arguments: [IMAPValue]) throws(SearchKey.Invalid) -> SearchCommand {
        guard case .atom(let word)? = arguments.first, word.uppercased() == "RETURN" else {
            return SearchCommand(returnOptions: nil, key: try SearchKey.parse(arguments))
        }
        guard arguments.count >= 2, case .list(let items) = arguments[1] else {
            throw SearchKey.Invalid(reason: "RETURN needs a list of options")
        }
        var options: [ReturnOption] = []
        for item in items {
            guard case .atom(let name) = item, let option = ReturnOption(rawValue: name.uppercased()) else {
                throw SearchKey.Invalid(reason: "Unknown RETURN option")
            }
            if !options.contains(option) { options.append(option) }
        }
        return SearchCommand(returnOptions: options, key: try SearchKey.parse(Array(arguments.dropFirst(2))))
    }
}

/// The untagged responses a SEARCH answers with.
public enum SearchResponse {
    /// `* SEARCH 2 5 7\r\n` (IMAP4rev1, when no RETURN was given and the
    /// client did not ENABLE IMAP4rev2) or `* ESEARCH (TAG "A1") UID MIN 2
    /// MAX 7 ALL 2,5,7 COUNT 3\r\n` (RFC 9051 § 7.3.4). An empty result
    /// carries only COUNT 0, if asked. `RETURN ()` means ALL; `RETURN
    /// (SAVE)` alone produces no response at all (RFC 5182 § 2.1), so the
    /// result is then "".
    public static func lines(
        tag: String, uid: Bool, matches: [UInt32], options: [SearchCommand.ReturnOption]?, esearch: Bool
    ) -> String {
        let sorted = Array(Set(matches)).sorted()
        guard options != nil || esearch else {
            return "* SEARCH" + sorted.map { " \($0)" }.joined() + "\r\n"
        }
        var requested = options ?? [.all]
        if requested.isEmpty { requested = [.all] }
        if requested == [.save] { return "" }
        var line = "* ESEARCH (TAG " + String(decoding: IMAPResponseText.string(tag), as: UTF8.self) + ")"
        if uid { line += " UID" }
        if let first = sorted.first, let last = sorted.last {
            if requested.contains(.min) { line += " MIN \(first)" }
            if requested.contains(.max) { line += " MAX \(last)" }
        }
        // Dovecot's order (MIN MAX ALL COUNT), so replies compare equal.
        if requested.contains(.all), !sorted.isEmpty { line += " ALL " + compactSet(sorted) }
        if requested.contains(.count) { line += " COUNT \(sorted.count)" }
        return line + "\r\n"
    }

    /// `2:4,7` for sorted, distinct numbers.
    static func compactSet(_ sorted: [UInt32]) -> String {
        var pieces: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] - sorted[end] == 1 { end += 1 }
            pieces.append(end == index ? "\(sorted[index])" : "\(sorted[index]):\(sorted[end])")
            index = end + 1
        }
        return pieces.joined(separator: ",")
    }
}
