import Foundation
import Testing

@testable import Operator

@Suite("Doctor: queue, disk and the report")
struct DoctorReportTests {
    let now = DoctorFixture.now

    @Test("More than 1000 messages, or one older than a day, is a growing queue")
    func queue() {
        func ids(_ count: Int, age: TimeInterval?) -> [String] {
            QueueCheck.findings(
                DoctorFixture.facts { $0.queue = QueueFacts(count: count, oldest: age.map { now - $0 }) }
            ).map(\.id)
        }
        #expect(ids(0, age: nil) == ["queue.ok"])
        #expect(ids(3, age: 600) == ["queue.ok"])
        #expect(ids(1001, age: 600) == ["queue.growing"])
        #expect(ids(2, age: 2 * DoctorFixture.day) == ["queue.growing"])
        let growing = QueueCheck.findings(
            DoctorFixture.facts { $0.queue = QueueFacts(count: 2, oldest: now - 3 * DoctorFixture.day) })
        #expect(growing[0].found.contains("2 messages queued, the oldest for 3 days"))
    }

    @Test("Disk: critical below 2 %, warning below 10 % or 1 GiB")
    func disk() {
        func severity(total: UInt64, free: UInt64) -> DoctorSeverity? {
            DiskSpaceCheck.findings(
                DoctorFixture.facts { $0.disk = DiskFacts(path: "/srv/sims", totalBytes: total, availableBytes: free) }
            ).first?.severity
        }
        let gib: UInt64 = 1 << 30
        #expect(severity(total: 100 * gib, free: 1 * gib) == .critical)
        #expect(severity(total: 100 * gib, free: 9 * gib) == .warning)
        #expect(severity(total: 4 * gib, free: gib / 2) == .warning, "under 1 GiB even at 12 %")
        #expect(severity(total: 100 * gib, free: 50 * gib) == .ok)
        #expect(DiskSpaceCheck.size(63 * gib + gib / 5) == "63.2 GiB")
        #expect(DiskSpaceCheck.size(512 << 20) == "512 MiB")
    }

    @Test("Critical first, then warnings, advice, ok; exit status 1 with any warning")
    func ordering() {
        let report = DoctorReport(
            dataDirectory: "/d",
            findings: [
                DoctorFinding(check: "a", id: "a.ok", severity: .ok, found: "fine"),
                DoctorFinding(check: "b", id: "b.advice", severity: .advice, found: "hint"),
                DoctorFinding(check: "c", id: "c.warning", severity: .warning, found: "hmm"),
                DoctorFinding(check: "d", id: "d.critical", severity: .critical, found: "bad"),
                DoctorFinding(check: "e", id: "e.warning", severity: .warning, found: "hmm too"),
            ])
        #expect(report.ordered.map(\.id) == ["d.critical", "c.warning", "e.warning", "b.advice", "a.ok"])
        #expect(report.exitStatus == 1)
        #expect(report.summary.hasPrefix("1 critical, 2 warnings, 1 advice, 1 ok"))
        let calm = DoctorReport(
            dataDirectory: "/d", findings: [DoctorFinding(check: "b", id: "b.advice", severity: .advice, found: "x")])
        #expect(calm.exitStatus == 0)
    }

    @Test("JSON: stable keys, fix null when there is nothing to do, findings in severity order")
    func json() throws {
        let facts = DoctorFixture.facts {
            $0.dns?.domains[0].txt = .answer([])
            $0.configuration?.log.level = 1
        }
        let text = DoctorFixture.report(facts).json()
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(document.keys) == ["data_directory", "exit_status", "counts", "findings", "summary"])
        #expect(document["exit_status"] as? Int == 1)
        // The advice: example.org has no DKIM key (dkim.no-key).
        #expect(document["counts"] as? [String: Int] == ["critical": 0, "warning": 2, "advice": 1, "ok": 8])
        let findings = try #require(document["findings"] as? [[String: Any]])
        #expect(findings.allSatisfy { Set($0.keys) == ["check", "id", "severity", "found", "fix"] })
        #expect(findings.first?["severity"] as? String == "warning")
        let ok = try #require(findings.first { $0["id"] as? String == "disk.ok" })
        #expect(ok["fix"] is NSNull)
        #expect(text.contains("\"fix\" : null"))
    }

    @Test("Text fits 80 columns, has no colour unless asked, and colours severities when asked")
    func text() {
        let facts = DoctorFixture.facts {
            $0.configuration?.clientNetworks = [.init("10.0.0.0/8")!]
            $0.configuration?.popBeforeSMTP = true
            $0.dns?.hostname?.reverse = ["192.0.2.25": .answer(["a-very-long-provider-generated-name.dynamic.example.net."])]
        }
        let report = DoctorFixture.report(facts)
        let plain = report.text(colour: false)
        for line in plain.split(separator: "\n") {
            #expect(line.count <= 80, "too wide: \(line)")
        }
        #expect(!plain.contains("\u{1B}["))
        #expect(plain.contains("warning   config     "))
        #expect(plain.contains("fix: Prefer SMTP AUTH"))
        #expect(plain.hasSuffix("fix the problems above.\n"))
        let coloured = report.text(colour: true)
        #expect(coloured.contains("\u{1B}[33mwarning"))
        #expect(coloured.contains("\u{1B}[32mok"))
    }
}
