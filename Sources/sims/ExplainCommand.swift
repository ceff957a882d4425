import ArgumentParser
import Operator

/// `sims explain`: The life of one message, from connection to final fate.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "The life of one message, from connection to final fate.")

    @Argument(help: "A queue id (S.…) or a Message-ID (<…@…>).")
    var id: String

    @Option(help: "Only lines after this: a duration back from now (24h, 90m, 7d) or a UTC time (2026-11-28T00:00).")
    var since: String?

    @Option(name: .customLong("log"), help: "A log file to read instead of the data directory's (repeatable).")
    var logs: [String] = []

    @OptionGroup var options: DataOption

    func run() throws {
        let since = try OperatorInputs.since(self.since)
        let files = try OperatorInputs(options: options, logs: logs, since: since).files()
        var queueID = id
        if !(id.hasPrefix("S.") && !id.contains("@")) {
            guard let found = try MessageStory.queueID(forMessageID: id, files: files) else {
                throw ValidationError(
                    "no queue id found for Message-ID \(id): the log has no `message-id <…>` line for it "
                        + "(give the queue id, S.…, from the Received header instead)")
            }
            queueID = found
        }
        guard let story = try MessageStory.collect(queueID: queueID, files: files, since: since) else {
            throw ValidationError("no log line names \(queueID) in \(files.joined(separator: ", "))")
        }
        print(ExplainTextRenderer(style: .forStandardOutput()).render(story), terminator: "")
    }
}
