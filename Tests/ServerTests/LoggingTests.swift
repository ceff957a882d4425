import Foundation
import Logging
import Synchronization
import Testing

@testable import Operator
@testable import Server

@Suite("Logging")
struct LoggingTests {
    @Test(
        "swift-log levels map onto the five SIMS levels",
        arguments: [
            (Logger.Level.critical, 1), (.error, 1), (.notice, 2), (.info, 2), (.warning, 3), (.debug, 4), (.trace, 5),
        ])
    func levelNumbers(_ level: Logger.Level, expected: Int) {
        #expect(SIMSLogLevel.number(for: level) == expected)
    }

    @Test("The cheap gate never drops an event its threshold would show", arguments: 1...5)
    func gate(_ threshold: Int) {
        let gate = SIMSLogLevel.gate(for: threshold)
        for level in Logger.Level.allCases where SIMSLogLevel.number(for: level) <= threshold {
            #expect(level >= gate, "\(level) at threshold \(threshold)")
        }
    }

    /// The sinks this test made: `written(_:)` waits for their writer threads.
    let sinks = SinkList()

    /// A factory that writes to `directory/sims.log` only.
    func factory(_ directory: String, defaultLevel: Int = 2, modules: [String: Int] = [:]) -> LogFactory {
        let sink = LogSink(directory: directory, toStderr: false)
        sinks.list.withLock { $0.append(sink) }
        return LogFactory(sink: sink, defaultLevel: defaultLevel, moduleLevels: modules)
    }

    /// The lines of a log file once every line handed to a sink is written.
    func written(_ path: String) throws -> [String] {
        for sink in sinks.list.withLock({ $0 }) { sink.flush() }
        return try lines(ofFile: path)
    }

    @Test("Per-module levels: SMTP at 4 logs its dialogue, SYSTEM at the default 2 logs neither debug nor warnings")
    func moduleLevels() throws {
        try withTemporaryPath { directory throws in
            let logs = factory(directory, defaultLevel: 2, modules: ["SMTP": 4])
            let smtp = logs.logger(.smtp)
            let system = logs.logger(.system)
            smtp.debug("smtp-debug")
            smtp.trace("smtp-trace")
            smtp.warning("smtp-warning")
            system.debug("system-debug")
            system.warning("system-warning")
            system.info("system-info")
            system.notice("system-notice")
            system.error("system-error")
            system.critical("system-critical")
            let messages = try written("\(directory)/sims.log").map { $0.split(separator: " ").last.map(String.init) ?? "" }
            #expect(
                messages == ["smtp-debug", "smtp-warning", "system-info", "system-notice", "system-error", "system-critical"])
        }
    }

    @Test("Level 1 keeps only failures; level 5 keeps everything")
    func extremeLevels() throws {
        try withTemporaryPath { directory throws in
            let logs = factory(directory, defaultLevel: 1, modules: ["DNS": 5])
            logs.logger(.queue).info("queue-info")
            logs.logger(.queue).error("queue-error")
            logs.logger(.dns).trace("dns-trace")
            let messages = try written("\(directory)/sims.log").map { $0.split(separator: " ").last.map(String.init) ?? "" }
            #expect(messages == ["queue-error", "dns-trace"])
        }
    }

    @Test("Line format: time, level, connection id, [queue id], peer, text, then other metadata as key=value")
    func lineFormat() throws {
        try withTemporaryPath { directory throws in
            var logger = factory(directory).logger(.smtp)
            logger[metadataKey: "conn"] = "SMTP-17"
            logger[metadataKey: "peer"] = "203.0.113.5"
            logger.info("received 1093 bytes", metadata: ["qid": "S.1A2B3C", "size": "1093", "bdat": "no"])
            let line = try #require(try written("\(directory)/sims.log").first)
            let match = try #require(line.wholeMatch(of: /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)/))
            #expect(match.output.2 == "2 SMTP-17 [S.1A2B3C] 203.0.113.5 received 1093 bytes bdat=no size=1093")
        }
    }

    @Test("Without a connection the module name is shown; without a queue id there are no brackets")
    func lineFormatWithoutConnection() throws {
        try withTemporaryPath { directory throws in
            let logger = factory(directory).logger(.system)
            logger.error("cannot open tls/key.pem")
            logger.warning("dropped")
            logger.info("listening", metadata: ["peer": "0.0.0.0:25"])
            let found = try written("\(directory)/sims.log").map {
                $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
            }
            #expect(found == ["1 SYSTEM cannot open tls/key.pem", "2 SYSTEM 0.0.0.0:25 listening"])
        }
    }

    @Test("The timestamp is the current UTC time")
    func timestampIsUTC() throws {
        try withTemporaryPath { directory throws in
            factory(directory).logger(.system).info("now")
            let line = try #require(try written("\(directory)/sims.log").first)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let stamp = try #require(formatter.date(from: String(line.prefix(24))))
            #expect(abs(stamp.timeIntervalSinceNow) < 60)
        }
    }

    @Test("A log file left from an earlier day is renamed after that day before today's lines are written")
    func rotation() throws {
        try withTemporaryPath { directory throws in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let old = "\(directory)/sims.log"
            try "old line\n".write(toFile: old, atomically: true, encoding: .utf8)
            let day = Date(timeIntervalSince1970: 1_577_966_400)  // 2020-01-02T12:00:00Z
            try FileManager.default.setAttributes([.modificationDate: day], ofItemAtPath: old)
            factory(directory).logger(.system).info("new line")
            #expect(try written("\(directory)/sims-2020-01-02.log") == ["old line"])
            let current = try written(old)
            #expect(current.count == 1)
            #expect(current.first?.hasSuffix("2 SYSTEM new line") == true)
        }
    }

    @Test("Lines from many threads are never interleaved")
    func concurrentLines() async throws {
        try await withTemporaryPathAsync { directory in
            let logger = factory(directory).logger(.smtp)
            await withTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for index in 0..<50 { logger.info("task \(task) line \(index) \(String(repeating: "x", count: 200))") }
                    }
                }
            }
            let found = try written("\(directory)/sims.log")
            #expect(found.count == 400)
            #expect(found.allSatisfy { $0.wholeMatch(of: /\S+ 2 SMTP task \d line \d+ x{200}/) != nil })
        }
    }
}

func withTemporaryPathAsync(_ body: (String) async throws -> Void) async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sims-server-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try await body(path)
}

@Suite("The audited lines and doctor's log-level check agree")
struct AuditedLineLevelTests {
    @Test("The level that the audited lines are logged at is what the check demands")
    func auditedLinesLevel() {
        // "relayed:", "delivered:" are logger.info and "refused relay" logger.notice: both level 2.
        #expect(SIMSLogLevel.number(for: .info) == LogLevelCheck.neededLevel)
        #expect(SIMSLogLevel.number(for: .notice) == LogLevelCheck.neededLevel)
    }
}

/// The log sinks one test made.
final class SinkList: Sendable {
    let list = Mutex<[LogSink]>([])
}
