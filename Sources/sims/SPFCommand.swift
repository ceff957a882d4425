import ArgumentParser

/// `sims spf`: Evaluate SPF (RFC 7208) for a client address and sender.
struct SPFCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spf", abstract: "Evaluate SPF (RFC 7208) for a client address and sender.")

    func run() async throws {
        throw ValidationError("sims spf is not built yet")
    }
}
