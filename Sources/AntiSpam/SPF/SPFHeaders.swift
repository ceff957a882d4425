extension SPFOutcome {
    /// The Received-SPF header field of RFC 7208 § 9.1, folded, ending in CRLF:
    ///
    ///     Received-SPF: pass (mx.example.test: domain of alice@example.com
    ///             designates 192.0.2.1 as permitted sender)
    ///             client-ip=192.0.2.1; envelope-from="alice@example.com";
    ///             helo=mail.example.com; receiver=mx.example.test;
    ///             identity=mailfrom; mechanism="ip4:192.0.2.0/24"
    ///
    /// `envelopeFrom` is the MAIL FROM as received (empty for a bounce). Text
    /// from the client is quoted and limited to printable ASCII so it cannot
    /// forge other fields.
    public func receivedSPFHeader(clientIP: String, envelopeFrom: String, helo: String, receiver: String) -> String {
        var header = "Received-SPF: \(result) (\(Self.commentSafe(comment(clientIP: clientIP, receiver: receiver))))\r\n"
        var pairs = [
            "client-ip=\(Self.value(clientIP))",
            "envelope-from=\(Self.quoted(envelopeFrom))",
            "helo=\(Self.value(helo))",
            "receiver=\(Self.value(receiver))",
            "identity=\(identity.rawValue)",
        ]
        if let mechanism, mechanism != "default" { pairs.append("mechanism=\(Self.quoted(mechanism))") }
        if let problem, result == .temperror || result == .permerror { pairs.append("problem=\(Self.quoted(problem))") }
        // Fold between pairs so no line grows past the 78 characters RFC 5322 § 2.1.1 recommends.
        var line = "\t"
        for (index, pair) in pairs.enumerated() {
            let piece = pair + (index == pairs.count - 1 ? "" : ";")
            if line.count > 1 && line.count + 1 + piece.count > 78 {
                header += line + "\r\n"
                line = "\t"
            }
            line += (line.count > 1 ? " " : "") + piece
        }
        return header + line + "\r\n"
    }

    /// The SPF method of an RFC 8601 Authentication-Results header, e.g.
    /// `spf=pass smtp.mailfrom=alice@example.com` or, for a HELO check,
    /// `spf=none smtp.helo=mail.example.com`; errors carry their reason as a comment.
    public var authenticationResult: String {
        var text = "spf=\(result)"
        if let problem, result == .temperror || result == .permerror {
            text += " (\(Self.commentSafe(problem)))"
        }
        switch identity {
        case .mailfrom: text += " smtp.mailfrom=\(Self.address(sender))"
        case .helo: text += " smtp.helo=\(Self.value(domain))"
        }
        return text
    }

    /// The same result as a method entry of `AuthenticationResultsHeader`,
    /// carrying the problem of an error result as its comment.
    public var authenticationMethodResult: AuthenticationResultsHeader.MethodResult {
        let comment = result == .temperror || result == .permerror ? problem : nil
        switch identity {
        case .mailfrom: return .spf(result.rawValue, mailFrom: sender, comment: comment)
        case .helo: return .spf(result.rawValue, mailFrom: nil, helo: domain, comment: comment)
        }
    }

    /// The human-readable comment of § 9.1's examples.
    private func comment(clientIP: String, receiver: String) -> String {
        let who = identity == .helo ? "domain of \(domain)" : "domain of \(sender)"
        switch result {
        case .pass: return "\(receiver): \(who) designates \(clientIP) as permitted sender"
        case .fail: return "\(receiver): \(who) does not designate \(clientIP) as permitted sender"
        case .softfail: return "\(receiver): transitioning \(who) does not designate \(clientIP) as permitted sender"
        case .neutral: return "\(receiver): \(clientIP) is neither permitted nor denied by \(who)"
        case .none: return "\(receiver): \(who) does not designate permitted sender hosts"
        case .temperror: return "\(receiver): error in processing during lookup of \(who): \(problem ?? "DNS error")"
        case .permerror: return "\(receiver): permanent error in processing \(who): \(problem ?? "invalid record")"
        }
    }

    /// Printable ASCII only; anything else becomes "?". For header text
    /// (Received-SPF, Authentication-Results), which keeps spaces and has its
    /// own comment and quoting rules below; not the log (`LogField`), nor
    /// reply text (`WireText`).
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(400).map { $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }

    private static func commentSafe(_ text: String) -> String {
        var output = ""
        for character in printable(text) {
            if character == "(" || character == ")" || character == "\\" { output.append("\\") }
            output.append(character)
        }
        return output
    }

    /// RFC 5322 quoted-string.
    private static func quoted(_ text: String) -> String {
        var output = "\""
        for character in printable(text) {
            if character == "\"" || character == "\\" { output.append("\\") }
            output.append(character)
        }
        return output + "\""
    }

    /// RFC 8601 pvalue: local-part@domain as is when both halves are
    /// dot-atoms, otherwise a quoted-string.
    private static func address(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return value(text) }
        let local = String(text[..<at]), domain = String(text[text.index(after: at)...])
        return value(local) == local && value(domain) == domain ? text : quoted(text)
    }

    /// A dot-atom when the text is one, otherwise a quoted-string.
    private static func value(_ text: String) -> String {
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")
        let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
        let isDotAtom = !text.isEmpty && atoms.allSatisfy { !$0.isEmpty && $0.allSatisfy { atext.contains($0) } }
        return isDotAtom ? text : quoted(text)
    }
}
