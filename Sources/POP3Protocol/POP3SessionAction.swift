/// What the connection driver must do after feeding the session an event.
public enum POP3SessionAction: Sendable, Hashable {
    /// Nothing to send.
    case none
    /// Send this response: complete, CRLF-terminated, possibly multi-line.
    case reply(String)
    /// Send the response, then close the connection.
    case replyAndClose(String)
    /// Send the response unencrypted, start the TLS handshake, and discard
    /// every byte that arrived before it (RFC 2595 § 4). Then call
    /// `tlsEstablished()`.
    case startTLS(String)
    /// Check these credentials, lock the maildrop and snapshot it, then call
    /// `authenticationFinished(_:)`. The password must never be logged.
    case authenticate(username: String, password: String)
    /// Read the message and write `POP3MessageWire.retrResponse` (when
    /// `topLines` is nil) or `topResponse` (TOP). If it cannot be read,
    /// call `sendMessageFailed(uid:)` and send its reply instead.
    case sendMessage(uid: String, topLines: Int?)
    /// The UPDATE state (RFC 1939 § 6): remove the `deleted` messages, mark
    /// the `retrieved` ones as seen (deleted ones are not repeated there),
    /// both in maildrop order; release the lock; then call
    /// `commitFinished(success:)`. A connection that ends any other way
    /// commits nothing.
    case commit(deleted: [String], retrieved: [String])
}

/// The driver's verdict on credentials from `.authenticate`.
public enum POP3AuthenticationOutcome: Sendable, Hashable {
    /// `user` is the canonical account name; `maildrop` its messages, locked.
    case success(user: String, maildrop: Maildrop)
    /// Unknown user or wrong password (the client is not told which).
    case failure
    /// Another session holds the maildrop lock.
    case inUse
    /// The directory or the maildrop could not be read; try again later.
    case temporaryFailure
}
