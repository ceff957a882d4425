/// One check: a pure function from the gathered facts to findings.
public struct DoctorCheck: Sendable {
    public var name: String
    public var run: @Sendable (DoctorFacts) -> [DoctorFinding]

    public init(name: String, run: @escaping @Sendable (DoctorFacts) -> [DoctorFinding]) {
        self.name = name
        self.run = run
    }

    /// Every check, in the order their findings are listed within a severity.
    public static let all: [DoctorCheck] = [
        DoctorCheck(name: "config", run: ConfigurationCheck.findings),
        DoctorCheck(name: "log", run: LogLevelCheck.findings),
        DoctorCheck(name: "tls", run: CertificateCheck.findings),
        DoctorCheck(name: "listeners", run: ListenerCheck.findings),
        DoctorCheck(name: "dns", run: DNSScopeCheck.findings),
        DoctorCheck(name: "hostname", run: HostnameCheck.findings),
        DoctorCheck(name: "domain", run: DomainDNSCheck.findings),
        DoctorCheck(name: "dkim", run: DKIMRecordCheck.findings),
        DoctorCheck(name: "queue", run: QueueCheck.findings),
        DoctorCheck(name: "disk", run: DiskSpaceCheck.findings),
    ]

    /// Runs `checks` over `facts`: the report.
    public static func report(_ facts: DoctorFacts, checks: [DoctorCheck] = all) -> DoctorReport {
        DoctorReport(dataDirectory: facts.dataDirectory, findings: checks.flatMap { $0.run(facts) })
    }
}
