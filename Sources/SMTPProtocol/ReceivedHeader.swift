import Foundation
import MailCore

/// The trace header RFC 5321 § 4.4 requires an SMTP server to prepend.
///
///     Received: from client.example (client.example [192.0.2.1])
///             by mx.example.test (SIMS) with ESMTPS id S.1A2B3C
///             (using TLSv1.3)
///             for <alice@example.test>; Sun, 29 Nov 2026 22:08:06 +0000
///
/// The `from` clause shows the HELO name and, in parentheses, the address the
/// connection really came from, so a forged HELO is visible to the reader.
/// For authenticated submissions the operator may hide the address (a user's
/// home IP is personal data): pass `hideClientAddress`.
public enum ReceivedHeader {
    public static func make(
        helloName: String?, verifiedName: String? = nil, clientAddress: String, hostname: String, protocolName: String,
        id: QueueID, tls: TLSInfo?, recipients: [EnvelopePath], date: Date, hideClientAddress: Bool = false
    ) -> String {
        // RFC 5321 § 4.1.3: an IPv6 address literal is written [IPv6:…].
        let literal = clientAddress.contains(":") ? "IPv6:\(clientAddress)" : clientAddress
        // The HELO name is client-controlled: `WireText.word` keeps it from
        // forging structure (comments, quoted strings) inside the header.
        // A forward-confirmed HELO name (RFC 5321 § 4.4 "TCP-info") is shown
        // next to the address; an unverified one stands alone, visibly claimed.
        let verified = verifiedName.map { "\(WireText.word($0)) " } ?? ""
        let origin = hideClientAddress ? "(authenticated sender, address not shown)" : "(\(verified)[\(literal)])"
        var header = "Received: from \(WireText.word(helloName ?? "unknown")) \(origin)\r\n"
        header += "\tby \(hostname) (SIMS) with \(protocolName) id \(id)"
        if let tls {
            header += "\r\n\t(using \(tls))"
        }
        // RFC 5321 § 4.4: "for" names the recipient only when there is one;
        // naming several would disclose Bcc recipients to each other.
        if recipients.count == 1, let only = recipients.first {
            header += "\r\n\tfor \(only)"
        }
        header += "; \(RFC5322Date.format(date))\r\n"
        return header
    }
}
