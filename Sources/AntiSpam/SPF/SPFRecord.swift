/// A parsed SPF record (RFC 7208 § 4.6): its directives in order and the two
/// modifiers the RFC defines. Unknown modifiers are checked and dropped (§ 6).
struct SPFRecord: Hashable, Sendable {
    enum Qualifier: Character, Hashable, Sendable {
        case pass = "+", fail = "-", softfail = "~", neutral = "?"

        var result: SPFResult {
            switch self {
            case .pass: return .pass
            case .fail: return .fail
            case .softfail: return .softfail
            case .neutral: return .neutral
            }
        }
    }

    /// Prefix lengths of a/mx (`dual-cidr-length`, § 5.6), defaults /32 and /128.
    struct CIDR: Hashable, Sendable {
        var ipv4 = 32
        var ipv6 = 128
    }

    enum Mechanism: Hashable, Sendable {
        case all
        case include(SPFMacroString)
        case a(SPFMacroString?, CIDR)
        case mx(SPFMacroString?, CIDR)
        case ptr(SPFMacroString?)
        /// Network octets (4 or 16) and prefix length.
        case ip4([UInt8], Int)
        case ip6([UInt8], Int)
        case exists(SPFMacroString)

        /// Whether evaluating it costs one of the 10 DNS-querying terms (§ 4.6.4).
        var queriesDNS: Bool {
            switch self {
            case .include, .a, .mx, .ptr, .exists: return true
            case .all, .ip4, .ip6: return false
            }
        }
    }

    struct Directive: Hashable, Sendable {
        var qualifier: Qualifier
        var mechanism: Mechanism
        /// The term as written, for Received-SPF's mechanism= and the log.
        var text: String
    }

    var directives: [Directive] = []
    var redirect: SPFMacroString?
    var explanation: SPFMacroString?
}
