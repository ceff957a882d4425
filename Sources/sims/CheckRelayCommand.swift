import ArgumentParser

/// `sims check-relay`: Test an SMTP server for open relay, stopping after RCPT.
struct CheckRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-relay", abstract: "Test an SMTP server for open relay, stopping after RCPT.")

    func run() async throws {
        throw ValidationError("sims check-relay is not built yet")
    }
}
