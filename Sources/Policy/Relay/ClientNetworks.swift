import MailCore
import Synchronization

/// `relay.client_networks` as the server uses it now. Held in one box,
/// shared by the relay decision and the anti-spam exemption, so that a
/// SIGHUP that changes the list (an operator closing the NAT trap, say)
/// takes effect for the next recipient without a restart and without the
/// two users ever disagreeing.
public final class ClientNetworks: Sendable {
    private let ranges: Mutex<[IPAddressRange]>

    public init(_ ranges: [IPAddressRange] = []) {
        self.ranges = Mutex(ranges)
    }

    /// The list now.
    public var current: [IPAddressRange] { ranges.withLock { $0 } }

    /// Replaces the list; true when it changed.
    @discardableResult
    public func replace(with new: [IPAddressRange]) -> Bool {
        ranges.withLock { ranges in
            guard ranges.map(\.description) != new.map(\.description) else { return false }
            ranges = new
            return true
        }
    }
}
