import MailCore
import NIOCore

/// The name servers a stub resolver asks, written as `address:port`.
public enum DNSServerList {
    /// RFC 1035 § 4.2: "The Internet supports name server access using TCP
    /// ... on server port 53 (decimal) as well as datagram access using UDP
    /// ... on UDP port 53 (decimal)."
    public static let defaultPort = 53

    /// The `nameserver` lines of a resolv.conf(5) text, as `address:port`
    /// strings (`192.0.2.53:53`, `[2001:db8::53]:53`), in file order.
    ///
    /// Entries that are not plain IP addresses (an IPv6 zone index such as
    /// `fe80::1%eth0`, say) are left out: the resolver could not use them.
    /// Like the C library, a file without any `nameserver` means the local
    /// host (`127.0.0.1:53`).
    public static func parseResolvConf(_ text: String) -> [String] {
        var servers: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            guard let address = IPAddress(String(fields[1])) else { continue }
            servers.append(address.isIPv4 ? "\(address):\(defaultPort)" : "[\(address)]:\(defaultPort)")
        }
        return servers.isEmpty ? ["127.0.0.1:\(defaultPort)"] : servers
    }

    /// Reads `address:port`, `[ipv6]:port`, or a bare address (port 53).
    /// Only IP addresses: looking a server's name up would need a resolver.
    public static func socketAddress(_ text: String) -> SocketAddress? {
        var host = Substring(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else { return nil }
                port = value
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]) else { return nil }
            port = value
            host = host[..<colon]
        }
        guard (1...65535).contains(port), let address = IPAddress(String(host)) else { return nil }
        return try? SocketAddress(ipAddress: address.description, port: port)
    }
}
