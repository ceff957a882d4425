/// The messages of one account as they were when the client logged in.
///
/// RFC 1939 § 8: message numbers are fixed for the whole session, so the
/// driver takes this snapshot once (under the maildrop lock) and the session
/// numbers the messages 1...n in this order.
public struct Maildrop: Sendable, Hashable {
    public struct Message: Sendable, Hashable {
        /// Stable across sessions (for Maildir: the file name up to the ':').
        public var uid: String
        /// The size as the client will receive it: CRLF line ends, before
        /// byte-stuffing (see `POP3MessageWire.wireSize(of:)`).
        public var octets: Int

        public init(uid: String, octets: Int) {
            self.uid = uid
            self.octets = octets
        }
    }

    public var messages: [Message]

    public init(messages: [Message]) {
        self.messages = messages
    }

    /// RFC 1939 § 7 (UIDL): "The unique-id of a message is an arbitrary
    /// server-determined string, consisting of one to 70 characters in the
    /// range 0x21 to 0x7E".
    public static func isValidUID(_ uid: String) -> Bool {
        let bytes = uid.utf8
        return (1...70).contains(bytes.count) && bytes.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// The unique-id shown by UIDL: the uid itself when it is valid, else a
    /// stable 64-bit FNV-1a digest of it ("~" and 16 hex digits), so the
    /// same message keeps the same unique-id in every session.
    public static func wireUID(_ uid: String) -> String {
        if isValidUID(uid) { return uid }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in uid.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "~" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
