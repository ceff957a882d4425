import MailCore
import NIOCore

/// A client's address as every per-address table keys it (bans, connection
/// limits, rate limits, the tarpit, POP-before-SMTP, client networks, logs).
///
/// Normalized once, at accept: an IPv4 client reaching a dual-stack `[::]`
/// listener appears as `::ffff:192.0.2.7`, and it must be the same client as
/// `192.0.2.7` on a `0.0.0.0` listener, or it escapes a ban and gets twice
/// `connections_per_ip`. IPv4-mapped IPv6 becomes the dotted quad; other
/// IPv6 addresses take one canonical text form (lower case, zeros
/// compressed, RFC 5952).
enum ClientAddress {
    static func normalized(_ address: SocketAddress?) -> String {
        guard let text = address?.ipAddress else { return "unknown" }
        return normalized(text)
    }

    static func normalized(_ text: String) -> String {
        // Zone indices (fe80::1%eth0) are not part of the address.
        let bare = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        return IPAddress(bare)?.description ?? text
    }
}
