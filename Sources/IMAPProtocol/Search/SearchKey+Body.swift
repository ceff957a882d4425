extension SearchKey {
    /// Whether matching needs the message's body (BODY, TEXT), not only its
    /// header section: a search by SUBJECT or FROM then reads each file
    /// only up to its blank line.
    public var needsBody: Bool {
        switch self {
        case .body, .text: return true
        case .not(let key): return key.needsBody
        case .or(let a, let b): return a.needsBody || b.needsBody
        case .and(let keys): return keys.contains { $0.needsBody }
        default: return false
        }
    }
}
