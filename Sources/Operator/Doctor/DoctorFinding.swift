/// How much a finding matters. `critical` and `warning` make `sims doctor`
/// exit with status 1; `advice` and `ok` do not.
public enum DoctorSeverity: String, CaseIterable, Comparable, Sendable, Codable {
    case critical, warning, advice, ok

    /// Critical first: the order findings are printed in.
    public static func < (lhs: DoctorSeverity, rhs: DoctorSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Whether the operator must act.
    public var isProblem: Bool { self == .critical || self == .warning }
}

/// One thing `sims doctor` found: what it is about, what was found, and
/// what to do about it.
public struct DoctorFinding: Hashable, Sendable {
    /// The area, for grouping and for scripts: `config`, `tls`, `hostname`,
    /// `domain`, `listeners`, `queue`, `disk`, `log`, `dns`.
    public var check: String
    /// A stable identifier for scripts (`tls.expired`, `domain.spf-missing`).
    public var id: String
    public var severity: DoctorSeverity
    /// What was found, in words an administrator can act on.
    public var found: String
    /// What to do about it; nil when nothing needs doing.
    public var fix: String?

    public init(check: String, id: String, severity: DoctorSeverity, found: String, fix: String? = nil) {
        self.check = check
        self.id = id
        self.severity = severity
        self.found = found
        self.fix = fix
    }
}
