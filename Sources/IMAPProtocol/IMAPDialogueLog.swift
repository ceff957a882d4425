/// A command as the dialogue log shows it (level 4): passwords masked,
/// literals by their size only (an APPENDed message is not logged whole).
/// The caller escapes the result for the log (`LogField`).
public enum IMAPDialogueLog {
    public static func describe(_ text: IMAPCommandText, session: IMAPSession) -> String {
        if session.awaitingSASLResponse { return "***" }
        var pieces: [String] = []
        for segment in text.segments {
            switch segment {
            case .line(let bytes): pieces.append(String(decoding: bytes, as: UTF8.self))
            case .literal(let bytes, _): pieces.append("{\(bytes.count) bytes}")
            }
        }
        let line = pieces.joined()
        let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard words.count >= 2 else { return line }
        switch words[1].uppercased() {
        case "LOGIN":
            // tag LOGIN user password: the user stays, the password goes.
            return words.count >= 3 ? "\(words[0]) \(words[1]) \(words[2]) ***" : line
        case "AUTHENTICATE":
            // tag AUTHENTICATE PLAIN initial-response.
            return words.count >= 4 ? "\(words[0]) \(words[1]) \(words[2]) ***" : line
        default:
            return line
        }
    }
}
