import ArgumentParser

/// `sims dnsbl`: Look an address or domain up in DNS blocklists.
struct DNSBLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dnsbl", abstract: "Look an address or domain up in DNS blocklists.")

    func run() async throws {
        throw ValidationError("sims dnsbl is not built yet")
    }
}
