import MailCore

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
    return WireText.singleLine(text, maximumLength: maximumLength)
}
