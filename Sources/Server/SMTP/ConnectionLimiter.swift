import NIOConcurrencyHelpers

/// Counts open connections, in total and per client address, so that one
/// client (or a flood) cannot take every session slot.
final class ConnectionLimiter: Sendable {
    enum Admission: Equatable {
        case admitted
        case tooManyInTotal
        case tooManyFromAddress
    }

    private struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    private let maximumTotal: Int
    private let maximumPerAddress: Int
    private let counts = NIOLockedValueBox(Counts())

    init(maximumTotal: Int, maximumPerAddress: Int) {
        self.maximumTotal = maximumTotal
        self.maximumPerAddress = maximumPerAddress
    }

    /// Admits a connection and counts it; every `.admitted` must be paired
    /// with one `release`.
    func admit(_ address: String) -> Admission {
        counts.withLockedValue { counts in
            if counts.total >= maximumTotal { return .tooManyInTotal }
            let current = counts.perAddress[address, default: 0]
            if current >= maximumPerAddress { return .tooManyFromAddress }
            counts.total += 1
            counts.perAddress[address] = current + 1
            return .admitted
        }
    }

    func release(_ address: String) {
        counts.withLockedValue { counts in
            counts.total -= 1
            let remaining = counts.perAddress[address, default: 1] - 1
            counts.perAddress[address] = remaining > 0 ? remaining : nil
        }
    }

    var openConnections: Int { counts.withLockedValue { $0.total } }
}
