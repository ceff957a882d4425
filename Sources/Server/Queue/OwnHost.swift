import Configuration
import MailCore
import NIOCore

/// Whether a delivery target is this server itself (RFC 5321 § 5.1: mail
/// for a domain that is not ours must never be handed back to us).
///
/// A target is ourself when its name is our host name, or when one of our
/// SMTP listeners accepts connections at its address and port. A listener on
/// a specific address matches that address only. A wildcard listener
/// (`0.0.0.0:25`, `[::]:25`, the production setting) accepts connections to
/// every address *of this machine*, so it matches only those: loopback, the
/// unspecified address, and the addresses of the machine's interfaces —
/// never every MX on port 25, which would bounce all outbound mail.
struct OwnHost: Sendable {
    var hostname: String
    var listeners: [ListenAddress]
    /// The machine's interface addresses, asked at each decision (they can
    /// change while the server runs); loopback is always included.
    var interfaceAddresses: @Sendable () -> Set<IPAddress>

    init(
        hostname: String, listeners: [ListenAddress],
        interfaceAddresses: @escaping @Sendable () -> Set<IPAddress> = { OwnHost.machineAddresses() }
    ) {
        self.hostname = hostname
        self.listeners = listeners
        self.interfaceAddresses = interfaceAddresses
    }

    /// Decides for a batch of targets, reading the interfaces once.
    func ourselves(_ targets: [MXTransport.Target]) -> [Bool] {
        var local: Set<IPAddress>?
        return targets.map { target in
            if Self.sameName(target.host, hostname) { return true }
            guard let address = IPAddress(ClientAddress.normalized(target.address)) else { return false }
            return listeners.contains { listener in
                guard listener.port == target.port else { return false }
                if listener.host == "0.0.0.0" || listener.host == "::" {
                    // A dual-stack "::" also takes IPv4; "0.0.0.0" only IPv4.
                    if listener.host == "0.0.0.0" && !address.isIPv4 { return false }
                    if Self.isLoopbackOrUnspecified(address) { return true }
                    if local == nil { local = interfaceAddresses() }
                    return local?.contains(address) ?? false
                }
                return IPAddress(listener.host) == address
            }
        }
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        func bare(_ name: String) -> String {
            let lower = name.lowercased()
            return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
        }
        return bare(a) == bare(b)
    }

    static let loopback = ["127.0.0.0/8", "::1", "0.0.0.0", "::"].compactMap(IPAddressRange.init)

    static func isLoopbackOrUnspecified(_ address: IPAddress) -> Bool {
        loopback.contains { $0.contains(address) }
    }

    /// Every address of the machine's network interfaces (getifaddrs).
    static func machineAddresses() -> Set<IPAddress> {
        guard let devices = try? System.enumerateDevices() else { return [] }
        return Set(devices.compactMap { device in device.address?.ipAddress.flatMap { IPAddress(ClientAddress.normalized($0)) } })
    }
}
