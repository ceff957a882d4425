import POP3Protocol
import Testing

@Suite("POP3Session: CAPA (RFC 2449)")
struct CapabilityTests {
    static func capa(_ lines: [String]) -> String {
        "+OK Capability list follows\r\n" + lines.map { $0 + "\r\n" }.joined() + ".\r\n"
    }

    @Test("Before TLS: STLS offered, USER and SASL not (plaintext login refused)")
    func beforeTLS() {
        var harness = POP3Harness { $0.stlsAvailable = true }
        #expect(
            harness.command("CAPA")
                == Self.capa([
                    "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "EXPIRE NEVER", "LOGIN-DELAY 0",
                    "IMPLEMENTATION SIMS",
                ]))
    }

    @Test("After TLS: USER and SASL PLAIN, no STLS")
    func afterTLS() {
        var harness = POP3Harness { $0.stlsAvailable = true }
        harness.command("STLS")
        #expect(
            harness.command("capa")
                == Self.capa([
                    "TOP", "UIDL", "USER", "SASL PLAIN", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER",
                    "LOGIN-DELAY 0", "IMPLEMENTATION SIMS",
                ]))
    }

    @Test("Plaintext login allowed, no certificate: USER and SASL, no STLS")
    func plaintextAllowed() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        let response = harness.command("CAPA")
        #expect(response.contains("\r\nUSER\r\nSASL PLAIN\r\n"))
        #expect(!response.contains("STLS"))
    }

    @Test("After login: neither USER, SASL nor STLS; configured LOGIN-DELAY")
    func afterLogin() {
        var harness = POP3Harness.loggedIn {
            $0.stlsAvailable = true
            $0.loginDelay = 900
        }
        #expect(
            harness.command("CAPA")
                == Self.capa([
                    "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "LOGIN-DELAY 900",
                    "IMPLEMENTATION SIMS",
                ]))
    }
}
