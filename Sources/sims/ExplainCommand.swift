import ArgumentParser

/// `sims explain`: The life of one message, from connection to final fate.
struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "The life of one message, from connection to final fate.")

    func run() async throws {
        throw ValidationError("sims explain is not built yet")
    }
}
