import ArgumentParser
import Configuration
import Foundation
import Queue
import Server

/// `sims queue`: look into the outbound queue and act on it, while the
/// server runs. Reading is done on the spool files; actions are requests the
/// running server carries out within a second.
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Inspect and act on the outbound queue (works while the server runs).",
        subcommands: [List.self, Show.self, Retry.self, Delete.self, Bounce.self])

    static func openSpool(_ options: DataOption) throws -> Spool {
        let dataDirectory = DataDirectory(options.data)
        guard dataDirectory.exists else { throw SetupError.missing(dataDirectory.root) }
        let configuration = try dataDirectory.loadConfiguration()
        return try Spool(root: dataDirectory.resolve(configuration.storage.queueDirectory), sync: configuration.storage.sync)
    }

    static func describe(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// The id as the spool names it, once it is known to be queued: a
    /// mistyped or already delivered id is an error here, not a request the
    /// server would only log as "no such queued message".
    static func queuedID(_ text: String, in spool: Spool) throws -> String {
        let id = text.uppercased()
        let digits = id.dropFirst(2)
        guard id.hasPrefix("S."), (1...40).contains(digits.count),
            digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) })
        else {
            throw CommandFailure(
                "\(text.debugDescription) is not a queue id: they look like S.HOLLKDDR52P0U ('sims queue list' shows them)")
        }
        guard (try? spool.envelope(id)) != nil else {
            throw CommandFailure(
                "no message \(id) in the queue: it was delivered, bounced or removed, or never queued ('sims queue list' shows what is)"
            )
        }
        return id
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per queued message.")
        @OptionGroup var options: DataOption
        func run() throws {
            let envelopes = try QueueCommand.openSpool(options).listing()
            if envelopes.isEmpty { print("the queue is empty") }
            for envelope in envelopes { print(QueueListing.lines(for: envelope).joined(separator: "\n")) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything about one queued message.")
        @Argument var id: String
        @OptionGroup var options: DataOption
        func run() throws {
            let spool = try QueueCommand.openSpool(options)
            let envelope = try spool.envelope(try QueueCommand.queuedID(id, in: spool))
            print("queue id:      \(envelope.id)")
            print("sender:        <\(envelope.reversePath)>")
            print("received from: \(envelope.receivedFrom)")
            print("queued at:     \(QueueCommand.describe(envelope.created))")
            print("attempts:      \(envelope.attempts), next at \(QueueCommand.describe(envelope.nextAttempt))")
            print("size:          \((try? spool.message(id).count) ?? 0) bytes")
            for recipient in envelope.recipients {
                var line = "  <\(recipient.address)> \(recipient.state.rawValue) (\(recipient.permission))"
                if let result = recipient.lastResult { line += ": \(recipient.remoteHost.map { "\($0): " } ?? "")\(result)" }
                print(line)
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Try a message (or all with --all) now.")
        @Argument var id: String?
        @Flag(help: "Retry every queued message.") var all = false
        @OptionGroup var options: DataOption
        func validate() throws {
            if all == (id != nil) { throw ValidationError("give a queue id or --all") }
        }
        func run() throws {
            let spool = try QueueCommand.openSpool(options)
            let id = try self.id.map { try QueueCommand.queuedID($0, in: spool) }
            try spool.request(.retry(id))
            print("asked the server to retry \(id ?? "every message")")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a message without telling the sender.")
        @Argument var id: String
        @OptionGroup var options: DataOption
        func run() throws {
            let spool = try QueueCommand.openSpool(options)
            let id = try QueueCommand.queuedID(self.id, in: spool)
            try spool.request(.delete(id))
            print("asked the server to delete \(id)")
        }
    }

    struct Bounce: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give up on a message now and send the sender a bounce.")
        @Argument var id: String
        @OptionGroup var options: DataOption
        func run() throws {
            let spool = try QueueCommand.openSpool(options)
            let id = try QueueCommand.queuedID(self.id, in: spool)
            try spool.request(.bounce(id))
            print("asked the server to bounce \(id)")
        }
    }
}
