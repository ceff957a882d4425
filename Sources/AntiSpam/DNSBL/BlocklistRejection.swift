/// The text of the 554 5.7.1 reply for a listing:
/// `Client address 127.0.0.2 is listed in bl.example: Listed for spam, see …`.
///
/// The reason is the list's TXT record, which is data from a third party
/// going into our reply: RFC 5321 § 4.1.1 allows only printable US-ASCII in
/// reply text, and § 4.5.3.1.5 limits a reply line to 512 octets, so control
/// characters and non-ASCII become `?`, runs of spaces one space, and the
/// whole text is cut to `maximumLength` characters.
public func rejectionText(for verdict: BlocklistVerdict, maximumLength: Int = 300) -> String {
    let what = verdict.list.kind == .ip ? "Client address" : "Domain"
    var text = "\(what) \(verdict.subject) is listed in \(verdict.list.zone)"
    if let reason = verdict.reason, !reason.isEmpty { text += ": " + reason }
    return printableSingleLine(text, maximumLength: maximumLength)
}

/// `text` as one line of printable ASCII, at most `maximumLength` characters
/// (the last three `...` when it was cut).
public func printableSingleLine(_ text: String, maximumLength: Int) -> String {
    var result = ""
    var lastWasSpace = false
    for scalar in text.unicodeScalars {
        let isSpace = scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n"
        if isSpace {
            if !lastWasSpace && !result.isEmpty { result.append(" ") }
            lastWasSpace = true
            continue
        }
        lastWasSpace = false
        result.unicodeScalars.append((0x21...0x7E).contains(scalar.value) ? scalar : "?")
    }
    while result.hasSuffix(" ") { result.removeLast() }
    guard result.count > maximumLength else { return result }
    return String(result.prefix(max(0, maximumLength - 3))) + "..."
}
