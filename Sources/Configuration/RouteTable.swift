import Foundation
import MailCore

/// This host's default gateways, read from the kernel's route tables
/// (`/proc/net/route` and `/proc/net/ipv6_route`).
///
/// Why: behind a port forward that masquerades the source address every
/// outside client appears to come from the router, which is the default
/// gateway; a client network covering it would let the internet relay
/// (see `RelayDecision`). Only the default routes' next hops count: they
/// are the one NAT address the host can know of itself. A proxy or load
/// balancer elsewhere in the LAN is not a gateway and is not seen here;
/// `sims config check` warns about private client networks for that case.
///
/// The parsers are pure functions of the files' text; `read(from:)` is the
/// blocking file read, for a thread pool or a one-shot command.
public enum RouteTable {
    /// The environment variable that points the server (and `sims config
    /// check`, `sims doctor`) at another directory holding `route` and
    /// `ipv6_route` files. A test hook: an e2e test on loopback declares
    /// 127.0.0.5 the gateway with it. Unset, the kernel's `/proc/net`.
    public static let directoryVariable = "SIMS_ROUTE_TABLE_DIR"

    /// `$SIMS_ROUTE_TABLE_DIR`, or `/proc/net`.
    public static var directory: String {
        let value = ProcessInfo.processInfo.environment[directoryVariable] ?? ""
        return value.isEmpty ? "/proc/net" : value
    }

    /// The default gateways in `directory`'s `route` and `ipv6_route`; a
    /// missing or unreadable file (no IPv6, not Linux) adds none. Blocks.
    public static func read(from directory: String = RouteTable.directory) -> [IPAddress] {
        func text(_ name: String) -> String {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
        var gateways = ipv4DefaultGateways(text("route"))
        for address in ipv6DefaultGateways(text("ipv6_route")) where !gateways.contains(address) {
            gateways.append(address)
        }
        return gateways
    }

    /// `RTF_UP` and `RTF_GATEWAY` (linux/route.h): a usable route through a next hop.
    static let routeUp: UInt32 = 0x1
    static let routeGateway: UInt32 = 0x2

    /// The gateways of the IPv4 default routes in `/proc/net/route`, in file order.
    ///
    ///     Iface  Destination  Gateway   Flags  RefCnt  Use  Metric  Mask      MTU  Window  IRTT
    ///     eth0   00000000     0101A8C0  0003   0       0    100     00000000  0    0       0
    ///
    /// Addresses are the kernel's 32-bit words printed in hex in the host's
    /// byte order (`0101A8C0` is 192.168.1.1 on a little-endian machine).
    public static func ipv4DefaultGateways(_ text: String) -> [IPAddress] {
        var gateways: [IPAddress] = []
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 8, let destination = UInt32(fields[1], radix: 16),
                let gateway = UInt32(fields[2], radix: 16), let flags = UInt32(fields[3], radix: 16),
                let mask = UInt32(fields[7], radix: 16)
            else { continue }
            guard destination == 0, mask == 0, gateway != 0, flags & (routeUp | routeGateway) == routeUp | routeGateway
            else { continue }
            // The word as the kernel holds it: its bytes in memory order are the address.
            let octets = withUnsafeBytes(of: gateway) { Array($0) }
            if let address = IPAddress(octets: octets), !gateways.contains(address) { gateways.append(address) }
        }
        return gateways
    }

    /// The next hops of the IPv6 default routes (`::/0`) in `/proc/net/ipv6_route`, in file order.
    ///
    ///     destination prefix source prefix next-hop metric refcnt use flags interface
    ///     00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0
    public static func ipv6DefaultGateways(_ text: String) -> [IPAddress] {
        var gateways: [IPAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10, fields[1] == "00", fields[0].allSatisfy({ $0 == "0" }),
                let flags = UInt32(fields[8], radix: 16), flags & (routeUp | routeGateway) == routeUp | routeGateway,
                let nextHop = hexBytes(fields[4]), nextHop.count == 16, nextHop.contains(where: { $0 != 0 }),
                let address = IPAddress(octets: nextHop)
            else { continue }
            if !gateways.contains(address) { gateways.append(address) }
        }
        return gateways
    }

    /// `fe80…01` → its bytes; nil when it is not an even number of hex digits.
    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index + 1 < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension RouteTable {
    /// The start of the server's line naming its gateways (module SYSTEM,
    /// level 2), written at startup and whenever they change; `sims audit`
    /// reads it back with `parseLogLine`.
    public static let logPrefix = "default gateways: "

    /// `default gateways: 192.168.1.1, fd00::1 (relay from them needs a client_networks entry naming them alone)`.
    public static func logLine(_ gateways: [IPAddress]) -> String {
        guard !gateways.isEmpty else { return logPrefix + "none" }
        return logPrefix + gateways.map(\.description).joined(separator: ", ")
            + " (behind a masquerading port forward outside clients appear as these; relay from them needs a "
            + "client_networks entry naming them alone)"
    }

    /// The addresses of a `logLine` text after `logPrefix`.
    public static func parseLogLine(_ rest: some StringProtocol) -> [IPAddress] {
        let text = String(rest)
        let list = text.hasPrefix("(") ? "" : text.split(separator: "(", maxSplits: 1).first ?? ""
        if list.isEmpty { return [] }
        return list.split(separator: ",").compactMap { IPAddress(String($0).trimmingCharacters(in: .whitespaces)) }
    }
}
