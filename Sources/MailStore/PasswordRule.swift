/// What `sims account add` and `sims account passwd` accept as a new
/// password (documented in docs/operations.md). Deliberately short: length
/// is what resists guessing, and the few passwords every attacker tries
/// first for an account (its own name) are refused.
public enum PasswordRule {
    public static let minimumLength = 10

    /// Why `password` is refused for the account `address`, or nil.
    public static func problem(with password: String, for address: String) -> String? {
        if password.count < minimumLength {
            return "the password is too short: use at least \(minimumLength) characters (a few words are easy to type)"
        }
        let folded = password.lowercased()
        let address = address.lowercased()
        let at = address.lastIndex(of: "@")
        let localPart = at.map { String(address[..<$0]) } ?? address
        let domain = at.map { String(address[address.index(after: $0)...]) } ?? ""
        if [address, localPart, domain].contains(folded) {
            return "the password must not be the account's name or domain"
        }
        if Set(password).count == 1 {
            return "the password must not be one character repeated"
        }
        return nil
    }
}
