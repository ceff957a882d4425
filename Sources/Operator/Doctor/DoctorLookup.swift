/// The outcome of one DNS question as the doctor sees it. A lookup that
/// failed (timeout, server failure) is "could not check", never a problem of
/// the configuration.
public enum DoctorLookup<Value: Sendable>: Sendable {
    case answer(Value)
    /// NXDOMAIN: the name does not exist at all.
    case noSuchName
    /// No usable answer; the reason, for the "could not check" line.
    case failed(String)

    public func map<Other: Sendable>(_ transform: (Value) -> Other) -> DoctorLookup<Other> {
        switch self {
        case .answer(let value): return .answer(transform(value))
        case .noSuchName: return .noSuchName
        case .failed(let reason): return .failed(reason)
        }
    }
}

extension DoctorLookup: Equatable where Value: Equatable {}
