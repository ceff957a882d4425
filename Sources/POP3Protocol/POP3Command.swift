/// A command line split into keyword and arguments.
///
/// RFC 1939 § 3: "Commands in the POP3 consist of a case-insensitive
/// keyword, possibly followed by one or more arguments. ... Keywords and
/// arguments are each separated by a single SPACE character." Runs of
/// spaces are tolerated.
struct POP3Command: Sendable, Hashable {
    /// Upper-cased.
    var keyword: String
    var arguments: [String]
    /// Everything after the first space, verbatim. RFC 1939 § 7 (PASS):
    /// "a POP3 server may treat spaces in the argument as part of the
    /// password, instead of as argument separators."
    var rest: String

    init?(parsing line: String) {
        let keyword = line.prefix { $0 != " " }
        guard !keyword.isEmpty else { return nil }
        self.keyword = keyword.uppercased()
        let afterKeyword = line.dropFirst(keyword.count)
        rest = String(afterKeyword.dropFirst())
        arguments = afterKeyword.split(separator: " ").map(String.init)
    }
}
