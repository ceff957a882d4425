import Foundation
import Logging
import MailStore
import Synchronization
import Testing

@testable import Queue

/// A transport whose answers the test scripts, per recipient and attempt.
final class ScriptedTransport: MessageTransport {
    let script: Mutex<[String: [TransportResult]]>
    let calls = Mutex<[(recipients: [String], domain: String, message: [UInt8])]>([])

    init(_ script: [String: [TransportResult]]) { self.script = Mutex(script) }

    func deliver(_ message: [UInt8], reversePath: String, recipients: [String], domain: String) async -> [String: TransportResult] {
        calls.withLock { $0.append((recipients, domain, message)) }
        return script.withLock { script in
            var results: [String: TransportResult] = [:]
            for recipient in recipients {
                var queue = script[recipient] ?? []
                results[recipient] = queue.isEmpty ? .sent(remote: "mx.test", reply: "250 ok") : queue.removeFirst()
                script[recipient] = queue
            }
            return results
        }
    }

    var callCount: Int { calls.withLock { $0.count } }
}

/// Collects bounces instead of sending them.
final class CollectedBounces: BounceSink {
    let bounces = Mutex<[(message: [UInt8], sender: String, queueID: String)]>([])

    func deliverBounce(_ message: [UInt8], to sender: String, about queueID: String) async throws -> String {
        bounces.withLock { $0.append((message, sender, queueID)) }
        return "S.BOUNCE"
    }

    var all: [(message: [UInt8], sender: String, queueID: String)] { bounces.withLock { $0 } }
}

func temporaryDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sims-queue-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func envelope(_ id: String, from sender: String = "alice@example.test", to recipients: [String]) -> QueuedMessage {
    QueuedMessage(
        id: id, reversePath: sender,
        recipients: recipients.map { address in
            QueuedRecipient(address: address, domain: String(address.split(separator: "@").last!), permission: "client network 127.0.0.2")
        },
        created: Date(), receivedFrom: "127.0.0.2")
}

let sampleMessage = Array("Received: from client ([127.0.0.2])\r\nSubject: hello\r\nFrom: alice@example.test\r\n\r\nbody\r\n".utf8)

/// Polls `condition` until it holds or the deadline passes.
func eventually(within seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Runs a queue runner for the duration of `body`, then stops it.
func withRunner(
    spool: Spool, transport: ScriptedTransport, bounces: CollectedBounces,
    schedule: RetrySchedule = RetrySchedule(delays: [0.05], maximumLifetime: 60),
    blocking: any BlockingWorkRunner = RunOnCallingThread(),
    _ body: (QueueRunner) async throws -> Void
) async throws {
    var settings = QueueSettings(hostname: "mx.example.test")
    settings.schedule = schedule
    let runner = QueueRunner(
        spool: spool, blocking: blocking, transport: transport, bounces: bounces, settings: settings,
        logger: Logger(label: "test"))
    try runner.recover()
    let task = Task { try await runner.run() }
    do {
        try await body(runner)
    } catch {
        task.cancel()
        throw error
    }
    task.cancel()
    _ = try? await task.value
}

/// Runs blocking work on the calling thread and counts the calls.
final class CountingRunner: BlockingWorkRunner {
    let calls = Mutex(0)

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        calls.withLock { $0 += 1 }
        return try work()
    }
}
