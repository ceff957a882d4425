import ArgumentParser
import Configuration
import Foundation
import MailStore
import Operator
import Server

/// `sims audit`: Report from the logs what the server received, delivered, relayed and refused.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Report from the logs what the server received, delivered, relayed and refused.",
        usage: """
            sims audit [--since <since>] [--log <log> ...] [--format <format>]
                 [--data <data>]
            """,
        discussion: """
            Reads DIR/log/sims.log and the rotated sims-YYYY-MM-DD.log files (or the --log files) \
            line by line and ends with a one-line verdict: was the server an open relay?
            """)

    @Option(help: "Only lines after this: a duration back from now (24h, 90m, 7d) or a UTC time (2026-11-28T00:00).")
    var since: String = "24h"

    @Option(name: .customLong("log"), help: "A log file to read instead of the data directory's (repeatable).")
    var logs: [String] = []

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    @OptionGroup var options: DataOption

    func run() throws {
        let since = try OperatorInputs.since(self.since)
        var settings = AuditSettings(since: since)
        let inputs = OperatorInputs(options: options, logs: logs, since: since)
        settings.listeners = inputs.configuration.map { configuration in
            (configuration.smtpListeners + configuration.submissionListeners + configuration.submissionImplicitTLSListeners)
                .map(\.description)
        }
        settings.logLevel = inputs.configuration?.log.level
        settings.moduleLevels = inputs.configuration?.log.modules ?? [:]
        settings.localDomains = inputs.localDomains()
        let report = try AuditRun.report(
            files: inputs.logs.isEmpty ? inputs.filesInDirectory() : inputs.logs, settings: settings,
            noLog: inputs.logDirectory + "/sims.log")
        switch format {
        case .json: print(try AuditRun.json(report), terminator: "")
        case .text: print(AuditTextRenderer(style: .forStandardOutput()).render(report), terminator: "")
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The log files and configuration that `audit` and `explain` read.
struct OperatorInputs {
    let options: DataOption
    let logs: [String]
    let since: Int64?
    let configuration: ServerConfiguration?

    init(options: DataOption, logs: [String], since: Int64?) {
        self.options = options
        self.logs = logs
        self.since = since
        let dataDirectory = DataDirectory(options.data)
        configuration = dataDirectory.exists ? try? dataDirectory.loadConfiguration() : nil
    }

    static func since(_ text: String?) throws -> Int64? {
        guard let text else { return nil }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard let value = AuditRun.since(text, now: now) else {
            throw ValidationError("--since \(text): expected a duration (24h, 90m, 7d) or a UTC time (2026-11-28T00:00)")
        }
        return value
    }

    func files() throws -> [String] {
        if !logs.isEmpty { return logs }
        let files = filesInDirectory()
        guard !files.isEmpty else { throw ValidationError("no log files in \(logDirectory) (use --log FILE or --data DIR)") }
        return files
    }

    /// Where the server writes its log.
    var logDirectory: String { DataDirectory(options.data).resolve(configuration?.log.directory ?? "log") }

    /// The log files in the data directory that can hold lines after `since`.
    func filesInDirectory() -> [String] { LogFiles.inDirectory(logDirectory, since: since) }

    /// The local domains from the directory, or none when it cannot be opened.
    func localDomains() -> Set<String> {
        guard let configuration, let directory = try? DataDirectory(options.data).openDirectory(configuration),
            let rows = try? directory.domains()
        else { return [] }
        return Set(rows.map { $0.name.lowercased() })
    }
}
