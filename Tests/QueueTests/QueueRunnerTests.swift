import Foundation
import MailStore
import Testing

@testable import Queue

@Suite("Queue runner: attempts, retries, bounces")
struct QueueRunnerTests {
    @Test("A queued message is delivered at once and removed from the spool", arguments: [SyncMode.fsync, .group])
    func deliveredAndRemoved(_ sync: SyncMode) async throws {
        let spool = try Spool(root: temporaryDirectory(), sync: sync)
        let transport = ScriptedTransport([:])
        let bounces = CollectedBounces()
        try await withRunner(spool: spool, transport: transport, bounces: bounces) { runner in
            let message = envelope("S.1", to: ["bob@remote.test", "carol@other.test"])
            try spool.enqueue(sampleMessage, envelope: message)
            runner.submit(message)
            #expect(await eventually { runner.count == 0 })
        }
        #expect(transport.callCount == 2)  // one call per destination domain
        #expect(transport.calls.withLock { $0.allSatisfy { $0.message == sampleMessage } })
        #expect(try spool.listing().isEmpty)
        #expect(bounces.all.isEmpty)
    }

    @Test("A deferred recipient is retried on the schedule and then delivered")
    func retried() async throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        let transport = ScriptedTransport(["bob@remote.test": [.deferred(reason: "451 4.3.0 try later", remote: "mx.remote.test")]])
        let bounces = CollectedBounces()
        try await withRunner(spool: spool, transport: transport, bounces: bounces) { runner in
            let message = envelope("S.2", to: ["bob@remote.test"])
            try spool.enqueue(sampleMessage, envelope: message)
            runner.submit(message)
            #expect(await eventually { runner.count == 0 })
        }
        #expect(transport.callCount == 2)
        #expect(bounces.all.isEmpty)
    }

    @Test("A permanent failure bounces to the sender with an RFC 3464 report")
    func bounced() async throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        let transport = ScriptedTransport([
            "nobody@remote.test": [.failed(status: "5.1.1", reason: "550 5.1.1 no such user", remote: "mx.remote.test")]
        ])
        let bounces = CollectedBounces()
        try await withRunner(spool: spool, transport: transport, bounces: bounces) { runner in
            let message = envelope("S.3", to: ["nobody@remote.test", "bob@remote.test"])
            try spool.enqueue(sampleMessage, envelope: message)
            runner.submit(message)
            #expect(await eventually { runner.count == 0 })
        }
        let bounce = try #require(bounces.all.first)
        #expect(bounces.all.count == 1)
        #expect(bounce.sender == "alice@example.test")
        let text = String(decoding: bounce.message, as: UTF8.self)
        #expect(text.contains("Content-Type: multipart/report; report-type=delivery-status;"))
        #expect(text.contains("Reporting-MTA: dns; mx.example.test\r\n"))
        #expect(text.contains("Final-Recipient: rfc822; nobody@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.remote.test\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n"))
        #expect(!text.contains("Final-Recipient: rfc822; bob@remote.test"), "only the failed recipient is reported")
        #expect(text.contains("Subject: hello\r\n"), "the original headers are quoted")
        #expect(!text.contains("\r\nbody\r\n"), "the original body is not")
    }

    @Test("A bounce that fails is never bounced (null sender)")
    func neverBounceABounce() async throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        let transport = ScriptedTransport([
            "alice@remote.test": [.failed(status: "5.1.1", reason: "550 5.1.1 gone", remote: "mx.remote.test")]
        ])
        let bounces = CollectedBounces()
        try await withRunner(spool: spool, transport: transport, bounces: bounces) { runner in
            let message = envelope("S.4", from: "", to: ["alice@remote.test"])
            try spool.enqueue(sampleMessage, envelope: message)
            runner.submit(message)
            #expect(await eventually { runner.count == 0 })
        }
        #expect(transport.callCount == 1)
        #expect(bounces.all.isEmpty)
    }

    @Test("After the maximum lifetime, pending recipients bounce with 4.4.7")
    func expired() async throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        let transport = ScriptedTransport(["bob@remote.test": Array(repeating: .deferred(reason: "connection refused", remote: nil), count: 100)])
        let bounces = CollectedBounces()
        let schedule = RetrySchedule(delays: [0.05], maximumLifetime: 0.3)
        try await withRunner(spool: spool, transport: transport, bounces: bounces, schedule: schedule) { runner in
            let message = envelope("S.5", to: ["bob@remote.test"])
            try spool.enqueue(sampleMessage, envelope: message)
            runner.submit(message)
            #expect(await eventually { runner.count == 0 })
        }
        #expect(transport.callCount >= 1)
        let text = String(decoding: try #require(bounces.all.first).message, as: UTF8.self)
        #expect(text.contains("Status: 4.4.7\r\n"))
        #expect(text.contains("connection refused"))
    }

    @Test("Queued messages survive a restart: a new runner on the same spool delivers them")
    func survivesRestart() async throws {
        let root = temporaryDirectory()
        let spool = try Spool(root: root, sync: .fsync)
        try spool.enqueue(sampleMessage, envelope: envelope("S.6", to: ["bob@remote.test"]))
        try spool.enqueue(sampleMessage, envelope: envelope("S.7", to: ["carol@remote.test"]))
        // What a crash can leave behind: a message without envelope and a half-written temp file.
        #expect(FileManager.default.createFile(atPath: "\(root)/messages/S.orphan", contents: Data("x".utf8)))
        #expect(FileManager.default.createFile(atPath: "\(root)/tmp/S.8.msg", contents: Data("partial".utf8)))
        let transport = ScriptedTransport([:])
        let bounces = CollectedBounces()
        try await withRunner(spool: try Spool(root: root, sync: .fsync), transport: transport, bounces: bounces) { runner in
            #expect(await eventually { transport.callCount == 2 && runner.count == 0 })
        }
        #expect(!FileManager.default.fileExists(atPath: "\(root)/messages/S.orphan"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/tmp").isEmpty)
    }

    @Test("sims queue requests: retry brings an attempt forward, bounce and delete end the message")
    func controlRequests() async throws {
        let spool = try Spool(root: temporaryDirectory(), sync: .fsync)
        let transport = ScriptedTransport([
            "bob@remote.test": Array(repeating: .deferred(reason: "451 later", remote: nil), count: 100),
            "carol@remote.test": Array(repeating: .deferred(reason: "451 later", remote: nil), count: 100),
        ])
        let bounces = CollectedBounces()
        let slow = RetrySchedule(delays: [3600], maximumLifetime: 86_400)
        try await withRunner(spool: spool, transport: transport, bounces: bounces, schedule: slow) { runner in
            let first = envelope("S.9", to: ["bob@remote.test"])
            let second = envelope("S.10", to: ["carol@remote.test"])
            for message in [first, second] {
                try spool.enqueue(sampleMessage, envelope: message)
                runner.submit(message)
            }
            #expect(await eventually { transport.callCount == 2 })
            try spool.request(.retry(nil))
            #expect(await eventually { transport.callCount == 4 })
            try spool.request(.bounce("S.9"))
            #expect(await eventually { bounces.all.count == 1 })
            try spool.request(.delete("S.10"))
            #expect(await eventually { runner.count == 0 })
        }
        #expect(String(decoding: bounces.all[0].message, as: UTF8.self).contains("Status: 5.0.0"))
        #expect(try spool.listing().isEmpty)
    }
}

@Suite("Retry schedule")
struct RetryScheduleTests {
    @Test("Delays follow the list, the last repeats, and nothing is scheduled past the lifetime")
    func schedule() {
        let schedule = RetrySchedule(delays: [300, 600], maximumLifetime: 3600)
        let created = Date(timeIntervalSince1970: 0)
        #expect(schedule.nextAttempt(after: 1, created: created, now: created) == Date(timeIntervalSince1970: 300))
        #expect(schedule.nextAttempt(after: 2, created: created, now: Date(timeIntervalSince1970: 300)) == Date(timeIntervalSince1970: 900))
        #expect(schedule.nextAttempt(after: 5, created: created, now: Date(timeIntervalSince1970: 1000)) == Date(timeIntervalSince1970: 1600))
        #expect(schedule.nextAttempt(after: 9, created: created, now: Date(timeIntervalSince1970: 3500)) == Date(timeIntervalSince1970: 3600))
        #expect(schedule.nextAttempt(after: 10, created: created, now: Date(timeIntervalSince1970: 3600)) == nil)
    }
}
