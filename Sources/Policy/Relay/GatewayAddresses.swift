import MailCore
import Synchronization

/// This host's default gateways as last read from the route table, held in
/// memory for the per-recipient relay decision and the per-connection
/// anti-spam exemption. A background task refreshes it (the route table is
/// a file; reading it never happens on an event loop); until the first
/// read it is empty, which trusts exactly what the configuration says.
public final class GatewayAddresses: Sendable {
    private let addresses: Mutex<Set<IPAddress>>

    public init(_ addresses: Set<IPAddress> = []) {
        self.addresses = Mutex(addresses)
    }

    /// The gateways now.
    public var current: Set<IPAddress> { addresses.withLock { $0 } }

    /// Replaces the set; true when it changed (the server logs it then).
    @discardableResult
    public func replace(with new: Set<IPAddress>) -> Bool {
        addresses.withLock { addresses in
            guard addresses != new else { return false }
            addresses = new
            return true
        }
    }
}
