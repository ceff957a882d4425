import Configuration
import Logging
import NIOConcurrencyHelpers

/// The five levels of the original product. A module set to level N shows
/// events of levels 1…N.
///
/// swift-log's levels map onto them as follows: critical and error → 1
/// (failures), notice and info → 2 (major events), warning → 3 (problems),
/// debug → 4 (low level: the protocol dialogue), trace → 5 (everything).
public enum SIMSLogLevel {
    public static func number(for level: Logger.Level) -> Int {
        switch level {
        case .critical, .error: return 1
        case .notice, .info: return 2
        case .warning: return 3
        case .debug: return 4
        case .trace: return 5
        }
    }

    /// The lowest swift-log level that can pass a threshold, so that the
    /// cheap gate in `Logger` skips building messages we would drop.
    public static func gate(for threshold: Int) -> Logger.Level {
        switch threshold {
        case ...1: return .error
        case 2, 3: return .info
        case 4: return .debug
        default: return .trace
        }
    }
}

/// Connection numbers for log lines (`SUBMIT-7`), one sequence per module
/// for the whole process: two listeners of one module (587 and 465) never
/// hand out the same id, so `sims explain` cannot mix two sessions.
public enum ConnectionNumbers {
    private static let counters = NIOLockedValueBox<[String: Int]>([:])

    /// `MODULE-n` with the next n for `module`.
    public static func next(_ module: String) -> String {
        let number = counters.withLockedValue { counters in
            let next = (counters[module] ?? 0) + 1
            counters[module] = next
            return next
        }
        return "\(module)-\(number)"
    }
}
