/// What the port-80 responder answers (RFC 8555 § 8.3): the key
/// authorization for `GET /.well-known/acme-challenge/TOKEN` of a token
/// being validated, 404 for anything else. Only base64url tokens are
/// looked up, so no dots, slashes or percent-escapes ever reach the board,
/// and nothing on this port names a file.
public struct HTTP01Answer: Sendable, Equatable {
    public var status: Int
    public var body: String

    public static let prefix = "/.well-known/acme-challenge/"

    public init(method: String, target: String, board: ChallengeBoard) {
        guard method == "GET" || method == "HEAD", target.hasPrefix(Self.prefix) else {
            self = .notFound
            return
        }
        let token = target.dropFirst(Self.prefix.count)
        guard !token.isEmpty, token.count <= 256, token.allSatisfy(\.isBase64URL),
            let keyAuthorization = board.keyAuthorization(for: String(token))
        else {
            self = .notFound
            return
        }
        status = 200
        body = keyAuthorization
    }

    init(status: Int, body: String) {
        self.status = status
        self.body = body
    }

    static let notFound = HTTP01Answer(status: 404, body: "not found\n")

    /// The token asked for, when the target names one (for the log).
    public static func token(in target: String) -> String? {
        target.hasPrefix(prefix) ? String(target.dropFirst(prefix.count)) : nil
    }
}
