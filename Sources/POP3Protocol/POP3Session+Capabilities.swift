extension POP3Session {
    /// RFC 2449 § 5: the CAPA response, for the current state.
    func capabilities() -> String {
        let inAuthorization: Bool
        if case .authorization = state { inAuthorization = true } else { inAuthorization = false }
        var lines = ["TOP", "UIDL"]
        // RFC 2449 § 6.2, 6.3: USER and SASL only where they can be used now.
        if inAuthorization && authenticationPermitted {
            lines += ["USER", "SASL PLAIN"]
        }
        lines += ["RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        // RFC 2595 § 4: STLS is only permitted in AUTHORIZATION, without TLS.
        if inAuthorization && configuration.stlsAvailable && !tlsActive {
            lines.append("STLS")
        }
        lines += ["EXPIRE NEVER", "LOGIN-DELAY \(configuration.loginDelay)", "IMPLEMENTATION SIMS"]
        return POP3Responses.multiline("Capability list follows", lines)
    }
}
