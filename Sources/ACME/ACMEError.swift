/// Why an issuance failed, in words for the log.
public enum ACMEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with a problem document.
    case problem(ACMEProblem, url: String)
    /// An answer that is not what RFC 8555 says it must be.
    case protocolViolation(String)
    /// An authorization or the order became invalid.
    case authorizationFailed(domain: String, ACMEProblem?)
    case orderFailed(ACMEProblem?)
    /// Polling gave up: the server kept the object in `status` too long.
    case timedOut(what: String, status: String)
    case transport(String)

    public var description: String {
        switch self {
        case .problem(let problem, let url): return "\(problem) (at \(url))"
        case .protocolViolation(let text): return "unexpected answer from the ACME server: \(text)"
        case .authorizationFailed(let domain, let problem):
            return "validation of \(domain) failed\(problem.map { ": \($0)" } ?? "")"
        case .orderFailed(let problem): return "the order became invalid\(problem.map { ": \($0)" } ?? "")"
        case .timedOut(let what, let status): return "gave up waiting for the \(what) (still \(status))"
        case .transport(let text): return "cannot reach the ACME server: \(text)"
        }
    }

    /// The problem's short name, for decisions (badNonce retry, rate limits).
    public var problemName: String? {
        if case .problem(let problem, _) = self { return problem.name }
        return nil
    }
}
