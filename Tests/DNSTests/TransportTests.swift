import DNS
import Testing

@Suite("NIO transport: which replies are accepted")
struct TransportTests {
    @Test("A datagram with another ID is ignored, and the real reply after it is used")
    func forgedIDIgnored() async throws {
        let server = try #require(
            ScriptedUDPServer { query in
                [
                    ScriptedUDPServer.reply(
                        to: query, id: query.id ^ 0x5A5A, answers: [ScriptedUDPServer.a(query, "192.0.2.66")]),
                    ScriptedUDPServer.reply(to: query, answers: [ScriptedUDPServer.a(query, "192.0.2.1")]),
                ]
            })
        defer { server.stop() }
        let resolver = StubResolver(servers: [server.server], timeout: .seconds(2), attempts: 1)
        #expect(try await resolver.a("forged.test") == ["192.0.2.1"])
    }

    @Test("A forged reply alone is not taken: the lookup times out")
    func onlyForged() async throws {
        let server = try #require(
            ScriptedUDPServer { query in
                [ScriptedUDPServer.reply(to: query, id: query.id &+ 1, answers: [ScriptedUDPServer.a(query, "192.0.2.66")])]
            })
        defer { server.stop() }
        let resolver = StubResolver(servers: [server.server], timeout: .milliseconds(300), attempts: 1)
        await #expect(throws: DNSError.self) { try await resolver.a("forged.test") }
        do {
            _ = try await resolver.a("forged.test")
        } catch {
            guard case .timeout = error else {
                Issue.record("expected .timeout, got \(error)")
                return
            }
        }
    }

    @Test("Garbage with the right ID is a malformed response, reported without waiting for the timeout")
    func garbled() async throws {
        let server = try #require(
            ScriptedUDPServer { query in [[UInt8(query.id >> 8), UInt8(query.id & 0xFF), 0x81, 0x80, 0, 1, 0, 1]] })
        defer { server.stop() }
        // A long timeout and a loose bound: the point is "not the timeout",
        // and a loaded CI machine must not make this flaky.
        let resolver = StubResolver(servers: [server.server], timeout: .seconds(30), attempts: 1)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await resolver.a("garbled.test")
            Issue.record("garbage produced an answer")
        } catch {
            guard case .malformedResponse = error else {
                Issue.record("expected .malformedResponse, got \(error)")
                return
            }
        }
        #expect(clock.now - start < .seconds(15))
    }

    @Test("A reply to another question is malformed")
    func otherQuestion() async throws {
        let server = try #require(
            ScriptedUDPServer { query in
                var other = query
                other.questions = [DNSQuestion(name: try! DNSName("elsewhere.test"), type: .a)]
                return [ScriptedUDPServer.reply(to: other, answers: [ScriptedUDPServer.a(other, "192.0.2.66")])]
            })
        defer { server.stop() }
        let resolver = StubResolver(servers: [server.server], timeout: .seconds(5), attempts: 1)
        do {
            _ = try await resolver.a("asked.test")
            Issue.record("a reply to another question was accepted")
        } catch {
            guard case .malformedResponse = error else {
                Issue.record("expected .malformedResponse, got \(error)")
                return
            }
        }
    }

    @Test("SERVFAIL from the first server: the second is asked; from all of them: serverFailure")
    func serverFailureRotation() async throws {
        let failing = try #require(ScriptedUDPServer { [ScriptedUDPServer.reply(to: $0, code: .serverFailure)] })
        defer { failing.stop() }
        let working = try #require(
            ScriptedUDPServer { [ScriptedUDPServer.reply(to: $0, answers: [ScriptedUDPServer.a($0, "192.0.2.1")])] })
        defer { working.stop() }

        let resolver = StubResolver(servers: [failing.server, working.server], timeout: .seconds(2), attempts: 2)
        #expect(try await resolver.a("rotate.test") == ["192.0.2.1"])
        #expect(failing.queryCount == 1)

        let hopeless = StubResolver(servers: [failing.server], timeout: .seconds(2), attempts: 2)
        await #expect(throws: DNSError.serverFailure("127.0.0.1:\(failing.port) answered SERVFAIL for rotate.test A")) {
            try await hopeless.a("rotate.test")
        }
        #expect(failing.queryCount == 3)  // one more per attempt
    }
}
