/// The resources of RFC 8555 § 7.1 that this client reads. Unknown members
/// are ignored; missing optional ones are nil, so a server's additions never
/// break the flow.

/// § 7.1.1
public struct ACMEDirectory: Decodable, Sendable, Equatable {
    public var newNonce: String
    public var newAccount: String
    public var newOrder: String
    public var meta: Meta?

    public struct Meta: Decodable, Sendable, Equatable {
        public var termsOfService: String?
    }
}

/// § 7.1.3. `status` is one of pending, ready, processing, valid, invalid.
public struct ACMEOrder: Decodable, Sendable, Equatable {
    public var status: String
    public var expires: String?
    public var identifiers: [ACMEIdentifier]
    public var authorizations: [String]
    public var finalize: String
    public var certificate: String?
    public var error: ACMEProblem?
}

public struct ACMEIdentifier: Codable, Sendable, Equatable {
    public var type: String
    public var value: String

    public static func dns(_ name: String) -> ACMEIdentifier { ACMEIdentifier(type: "dns", value: name) }
}

/// § 7.1.4
public struct ACMEAuthorization: Decodable, Sendable, Equatable {
    public var identifier: ACMEIdentifier
    public var status: String
    public var challenges: [ACMEChallenge]
    public var wildcard: Bool?
}

/// § 7.1.5 and § 8.3 (http-01).
public struct ACMEChallenge: Decodable, Sendable, Equatable {
    public var type: String
    public var url: String
    public var status: String
    public var token: String?
    public var error: ACMEProblem?
}
