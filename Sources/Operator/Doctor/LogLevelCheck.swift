import MailCore

/// The log level: every recipient's fate (`delivered:`, `relayed:`,
/// `refused relay:`, and the queue's `sent:` / `bounced:`) and every POP3
/// login are logged at level 2. Below that, the logs cannot answer "was I an
/// open relay, and for whom?".
enum LogLevelCheck {
    /// The modules whose level-2 lines `sims audit` and `sims explain` read,
    /// and the level: the rule `sims audit` applies too (`AuditedLogLevels`).
    static let auditedModules = AuditedLogLevels.modules
    static let neededLevel = AuditedLogLevels.needed

    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let log = facts.configuration?.log else { return [] }
        let low = AuditedLogLevels.tooLow(levels: log.modules, defaultLevel: log.level).map(\.module)
        guard low.isEmpty else {
            let names = low.joined(separator: ", ")
            let keys = low.filter { log.modules[$0] != nil }.map { "[log.modules] \($0)" }
            let settings = (log.level < neededLevel ? ["[log] level"] : []) + keys
            return [
                DoctorFinding(
                    check: "log", id: "log.level-too-low", severity: .warning,
                    found: "Log level below \(neededLevel) for \(names): the lines that say what became of each "
                        + "recipient (delivered, relayed and why, refused relay, sent, bounced) are not written, so "
                        + "'sims audit' cannot tell whether this server relayed mail, or for whom. The original "
                        + "product's operators logged only \"Problems\" and could not tell.",
                    fix: "Set \(settings.joined(separator: " and ")) to \(neededLevel) or more in sims.toml.")
            ]
        }
        return [
            DoctorFinding(
                check: "log", id: "log.ok", severity: .ok,
                found: "Log level \(neededLevel)+ for \(auditedModules.joined(separator: ", ")): "
                    + "every recipient's fate is logged, so 'sims audit' can answer.")
        ]
    }
}
