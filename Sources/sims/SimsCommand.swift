import ArgumentParser
import Server

/// `sims`: the one binary. Each subcommand is a thin layer over the Server
/// and MailStore modules, so tests can exercise the same code directly.
struct SimsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sims",
        abstract: "SIMS, the Swift Internet Mail Server.",
        version: SIMSVersion.current,
        subcommands: [Serve.self, Init.self, AccountCommand.self, DomainCommand.self, AliasCommand.self, ConfigCommand.self,
            QueueCommand.self, AuditCommand.self, ExplainCommand.self, CheckRelayCommand.self, DNSBLCommand.self,
            SPFCommand.self, DoctorCommand.self, DKIMCommand.self, DNSRecordsCommand.self,
        ]
    )
}

/// `--data DIR`, shared by every subcommand.
struct DataOption: ParsableArguments {
    @Option(name: .long, help: "The data directory (sims.toml, sims.sqlite, mail, logs).")
    var data: String = "sims-data"
}
