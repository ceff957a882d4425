import Foundation
import MailStore
import Testing

@testable import Queue

@Suite("Queue runner: spool I/O through the injected blocking-work runner")
struct QueueBlockingWorkTests {
    @Test("Reading the message, scanning control requests and removing the message all go through the runner")
    func spoolWorkGoesThroughTheRunner() async throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        let transport = ScriptedTransport([:])
        let counting = CountingRunner()
        try await withRunner(spool: spool, transport: transport, bounces: CollectedBounces(), blocking: counting) { runner in
            let before = counting.calls.withLock { $0 }
            let message = envelope("S.B1", to: ["bob@remote.test"])
            try spool.enqueue(sampleMessage, envelope: message)
            runner.submit(message)
            #expect(await eventually { runner.count == 0 })
            // At least the message read and the removal, besides the scans.
            #expect(counting.calls.withLock { $0 } >= before + 2)
            try spool.request(.retry(nil))
            #expect(await eventually { (try? FileManager.default.contentsOfDirectory(atPath: spool.controlDirectory))?.isEmpty == true })
        }
        #expect(!FileManager.default.fileExists(atPath: spool.messagePath("S.B1")))
        #expect(transport.callCount == 1)
    }
}
