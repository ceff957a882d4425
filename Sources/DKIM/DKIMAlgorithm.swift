/// The signing algorithms SIMS signs with (the `a=` tag).
///
/// RFC 8301 § 3.1 leaves rsa-sha256 as the one RSA algorithm a signer may use
/// (rsa-sha1 is gone), with keys of at least 1024 bits (2048 here); RFC 8463
/// adds ed25519-sha256. Many receivers still verify only RSA, so both are
/// made by default and a message carries one signature of each.
public enum DKIMAlgorithm: String, Sendable, CaseIterable, Comparable {
    case ed25519SHA256 = "ed25519-sha256"
    case rsaSHA256 = "rsa-sha256"

    /// The key type: the `k=` tag of the DNS record, and the file name's middle part.
    public var keyType: String {
        switch self {
        case .ed25519SHA256: return "ed25519"
        case .rsaSHA256: return "rsa"
        }
    }

    public init?(keyType: String) {
        guard let found = Self.allCases.first(where: { $0.keyType == keyType.lowercased() }) else { return nil }
        self = found
    }

    /// Ed25519 first: the order signatures are added and logged in.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}

/// RFC 6376 § 3.4: how the header fields and the body are made canonical
/// before hashing. SIMS signs relaxed/relaxed, which survives the rewrapping
/// and whitespace changes that relays commonly make.
public enum DKIMCanonicalization: String, Sendable {
    case simple, relaxed
}
