import ArgumentParser

/// `sims doctor`: Check the configuration and the world around it.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "Check the configuration and the world around it.")

    func run() async throws {
        throw ValidationError("sims doctor is not built yet")
    }
}
