/// How much a check's verdict matters, and the log level it is written at
/// (the product's levels: 3 problems, 4 low level).
public enum VerdictSeverity: Int, Hashable, Sendable, Comparable {
    /// Verified: nothing to see (level 4).
    case pass
    /// Could not be checked (DNS trouble): fail open, but say so (level 3).
    case undetermined
    /// Suspicious but not refused by default (level 3).
    case suspicious
    /// Wrong beyond doubt: refused by default (level 3, the refusal itself is logged too).
    case failure

    public var logLevel: Int { self == .pass ? 4 : 3 }

    public static func < (lhs: VerdictSeverity, rhs: VerdictSeverity) -> Bool { lhs.rawValue < rhs.rawValue }
}
