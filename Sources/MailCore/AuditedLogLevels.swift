/// Which log levels `sims audit` needs, shared by the audit (which says
/// "cannot tell" below them), `sims doctor` (which warns) and the server
/// (which writes its effective levels at startup so the audit can see them).
///
/// Every recipient's fate and every POP3 login are logged at level 2 by the
/// modules below; with any of them lower, the log cannot answer "was I an
/// open relay, and for whom?".
public enum AuditedLogLevels {
    /// The modules whose level-2 lines the audit reads.
    public static let modules = ["SMTP", "SUBMIT", "POP3", "QUEUE"]
    /// The level each of them needs.
    public static let needed = 2

    /// The audited modules below `needed`, in `modules` order, with their level.
    public static func tooLow(levels: [String: Int], defaultLevel: Int) -> [(module: String, level: Int)] {
        modules.compactMap { module in
            let level = levels[module] ?? defaultLevel
            return level < needed ? (module, level) : nil
        }
    }

    /// The line the server writes at startup (module SYSTEM), whatever its
    /// own level: `log levels: SMTP=2 SUBMIT=2 POP3=2 QUEUE=2 …`.
    public static let startupPrefix = "log levels: "

    public static func startupLine(levels: [(module: String, level: Int)]) -> String {
        startupPrefix + levels.map { "\($0.module)=\($0.level)" }.joined(separator: " ")
    }

    /// Reads the text after `startupPrefix` back: module → level.
    public static func parseStartupLine(_ rest: some StringProtocol) -> [String: Int] {
        var levels: [String: Int] = [:]
        for pair in rest.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let level = Int(parts[1]), levels[String(parts[0])] == nil else { continue }
            levels[String(parts[0])] = level
        }
        return levels
    }
}
