extension POP3Session {
    /// Whether `line`, about to be fed to `receive`, holds a secret: a SASL
    /// response, the PASS argument, or an AUTH initial response. Ask before
    /// feeding the line (the answer depends on the current state).
    public func lineHoldsSecret(_ line: String) -> Bool {
        maskedForLogging(line) != line
    }

    /// `line` as it may be logged: secrets replaced by `***`. Ask before
    /// feeding the line.
    public func maskedForLogging(_ line: String) -> String {
        if isInSASLExchange { return "***" }
        let keyword = line.prefix { $0 != " " }
        switch keyword.uppercased() {
        case "PASS":
            return line.count > keyword.count ? "\(keyword) ***" : line
        case "AUTH":
            guard let command = POP3Command(parsing: line), command.arguments.count >= 2 else { return line }
            return "\(keyword) \(command.arguments[0]) ***"
        default:
            return line
        }
    }
}
