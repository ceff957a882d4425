import MailCore

/// Parses a whole path argument, as MAIL/RCPT would after the colon.
func parsePath(
    _ text: String, allowNull: Bool = false, allowUTF8: Bool = false
) -> Result<EnvelopePath, PathSyntaxError> {
    do {
        return .success(try PathParser.parse(Substring(text), allowNull: allowNull, allowUTF8: allowUTF8).path)
    } catch {
        return .failure(error)
    }
}

/// The mailbox a path resolves to, or nil when it is refused or not a mailbox.
func parsedMailbox(_ text: String, allowUTF8: Bool = false) -> Mailbox? {
    guard case .success(let path) = parsePath(text, allowUTF8: allowUTF8) else { return nil }
    return path.mailbox
}

/// The error a path is refused with, or nil when it parses.
func pathError(_ text: String, allowNull: Bool = false, allowUTF8: Bool = false) -> PathSyntaxError? {
    if case .failure(let error) = parsePath(text, allowNull: allowNull, allowUTF8: allowUTF8) { return error }
    return nil
}

/// `count` repetitions of `character`.
func repeated(_ character: Character, _ count: Int) -> String {
    String(repeating: String(character), count: count)
}
