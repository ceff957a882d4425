import Foundation
import Configuration
import Testing

@Suite("SIGHUP: which sims.toml changes apply live")
struct LiveReloadTests {
    let old = """
        hostname = "mx.example.test"
        [relay]
        client_networks = ["192.168.1.0/24"]
        [log]
        level = 2
        [limits]
        connections = 100
        """

    @Test("a changed client network list and log level apply; a changed limit waits for the restart")
    func partition() throws {
        let new = old.replacingOccurrences(of: "192.168.1.0/24", with: "192.168.1.20")
            .replacingOccurrences(of: "level = 2", with: "level = 4\n[log.modules]\nSMTP = 5")
            .replacingOccurrences(of: "connections = 100", with: "connections = 200")
        let running = try #require(LiveReload.flatten(old))
        let plan = LiveReload.plan(running: running, file: try #require(LiveReload.flatten(new)))
        #expect(plan.applied == ["log.level", "log.modules.SMTP", "relay.client_networks"])
        #expect(plan.waiting == ["limits.connections"])
        // The waiting change stays pending: the next reload names it again.
        #expect(plan.baseline["limits.connections"] == running["limits.connections"])
        #expect(LiveReload.plan(running: plan.baseline, file: try #require(LiveReload.flatten(new))).waiting == ["limits.connections"])
        #expect(LiveReload.plan(running: plan.baseline, file: try #require(LiveReload.flatten(new))).applied.isEmpty)
    }

    @Test("a removed key is a change; an unchanged file changes nothing")
    func removedAndUnchanged() throws {
        let running = try #require(LiveReload.flatten(old))
        #expect(LiveReload.plan(running: running, file: running).applied.isEmpty)
        #expect(LiveReload.plan(running: running, file: running).waiting.isEmpty)
        let without = try #require(LiveReload.flatten(old.replacingOccurrences(of: "hostname = \"mx.example.test\"", with: "")))
        #expect(LiveReload.plan(running: running, file: without).waiting == ["hostname"])
    }

    @Test("a file that is not TOML has no keys")
    func invalid() {
        #expect(LiveReload.flatten("[relay\nclient_networks = ") == nil)
    }

    @Test("listeners are not live, however they are spelt")
    func notLive() {
        #expect(!LiveReload.isLive("smtp.listen"))
        #expect(!LiveReload.isLive("log.directory"))
        #expect(LiveReload.isLive("log.modules"))
        #expect(LiveReload.isLive("relay.client_networks"))
        #expect(!LiveReload.isLive("relay.pop_before_smtp"))
    }
}
