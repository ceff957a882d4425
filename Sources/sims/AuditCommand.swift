import ArgumentParser

/// `sims audit`: Report from the logs what the server received, delivered, relayed and refused.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Report from the logs what the server received, delivered, relayed and refused.")

    func run() async throws {
        throw ValidationError("sims audit is not built yet")
    }
}
