import DNS
import Testing

@Suite("StubResolver timeouts")
struct TimeoutTests {
    @Test("A server that never answers gives .timeout after attempts × timeout, not much later")
    func silentServer() async throws {
        let silent = try #require(BoundSocket(host: "127.0.0.1", port: 0, datagram: true))
        let resolver = StubResolver(servers: ["127.0.0.1:\(silent.port)"], timeout: .milliseconds(300), attempts: 2)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await resolver.a("example.test")
            Issue.record("a silent server produced an answer")
        } catch {
            guard case .timeout = error else {
                Issue.record("expected .timeout, got \(error)")
                return
            }
            #expect(error.isTemporary)
        }
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(550))
        // Generous: with 900 tests in parallel on a 2-core machine the
        // continuation can wait seconds for a cooperative thread (seen: 11 s).
        // Still catches a resolver that ignores its timeout and waits for ever.
        #expect(elapsed < .seconds(30))
    }

    @Test("Nothing listening on the port: a temporary error, without waiting for the timeout")
    func refused() async throws {
        let port = try #require(LoopbackSockets.freePort())
        let resolver = StubResolver(servers: ["127.0.0.1:\(port)"], timeout: .seconds(60), attempts: 1)
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: DNSError.self) { try await resolver.a("example.test") }
        // Far below the timeout, with room for a starved cooperative pool
        // (many tests in parallel on 2 cores).
        #expect(clock.now - start < .seconds(30), "not the 60 s timeout")
    }

    @Test("No usable server at all is a temporary server failure")
    func noServers() async throws {
        let resolver = StubResolver(servers: ["dns.example.test:53"])
        await #expect(throws: DNSError.serverFailure("no usable DNS server configured")) { try await resolver.a("example.test") }
    }
}
