/// The classic open-relay tests: nmap's smtp-open-relay.nse set (16
/// MAIL/RCPT pairs), the abuse.net relay-test forms, and spelling variants.
///
/// `external` is the relay target: a domain that is not the tested server's
/// (`example.com` by default: it exists, so a server cannot refuse it for
/// being unresolvable). `local` is the tested server's own mail domain,
/// `hostname` the name in its banner, `address` its IP address.
public struct RelayTrickBattery: Sendable, Hashable {
    public var external: String
    public var local: String
    public var hostname: String
    public var address: String
    /// The sender of the ordinary tricks (`relay-check@example.com`).
    public var sender: String
    /// The local part of the recipient and of made-up senders.
    public var user: String

    public init(
        external: String, local: String, hostname: String, address: String, sender: String?, user: String = "relay-check"
    ) {
        self.external = external
        self.local = local
        self.hostname = hostname
        self.address = address
        self.sender = sender ?? "\(user)@\(external)"
        self.user = user
    }

    /// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 § 4.1.3).
    public var literal: String { address.contains(":") ? "[IPv6:\(address)]" : "[\(address)]" }

    public var tricks: [RelayTrick] {
        let (u, e, t, h, l) = (user, external, local, hostname, literal)
        let target = "\(u)@\(e)"
        let atLiteral = "\(u)@\(l)"
        func trick(_ id: String, _ summary: String, _ family: RelayTrick.Family, _ from: String, _ to: String) -> RelayTrick {
            RelayTrick(id: id, summary: summary, family: family, sender: from, recipient: to)
        }
        return [
            // Ordinary remote recipients, with every sender nmap and abuse.net try.
            trick("plain", "remote recipient", .plain, sender, target),
            trick("null-sender", "null sender <>", .plain, "", target),
            trick("spoofed-postmaster", "sender postmaster@ the server's domain", .plain, "postmaster@\(t)", target),
            trick("sender-local-domain", "sender in the server's own domain", .plain, "\(u)@\(t)", target),
            trick("sender-hostname", "sender at the server's host name", .plain, "\(u)@\(h)", target),
            trick("sender-literal", "sender at the server's address literal", .plain, atLiteral, target),
            trick("sender-no-domain", "sender without a domain", .plain, u, target),
            trick("uppercase", "recipient in upper case", .plain, sender, target.uppercased()),
            trick("trailing-dot", "recipient domain with a trailing dot", .plain, sender, target + "."),
            // The percent hack.
            trick("percent-local-domain", "% hack at the server's domain", .percentHack, sender, "\(u)%\(e)@\(t)"),
            trick("percent-hostname", "% hack at the server's host name", .percentHack, atLiteral, "\(u)%\(e)@\(h)"),
            trick("percent-literal", "% hack at the server's address literal", .percentHack, atLiteral, "\(u)%\(e)@\(l)"),
            trick("percent-quoted", "quoted % hack without a domain", .percentHack, atLiteral, "\"\(u)%\(e)\""),
            // Bang paths.
            trick("bang-bare", "bang path without a domain", .bangPath, atLiteral, "\(e)!\(u)"),
            trick("bang-local-domain", "bang path at the server's domain", .bangPath, sender, "\(e)!\(u)@\(t)"),
            trick("bang-hostname", "bang path at the server's host name", .bangPath, atLiteral, "\(e)!\(u)@\(h)"),
            trick("bang-literal", "bang path at the server's address literal", .bangPath, atLiteral, "\(e)!\(u)@\(l)"),
            // Source routes.
            trick("route-local-domain", "source route via the server's domain", .sourceRoute, sender, "@\(t):\(target)"),
            trick("route-hostname", "source route via the server's host name", .sourceRoute, atLiteral, "@\(h):\(target)"),
            trick("route-literal", "source route via the server's address", .sourceRoute, atLiteral, "@\(l):\(target)"),
            trick("route-two-hops", "two-hop source route", .sourceRoute, sender, "@\(t),@\(h):\(target)"),
            // Quoted local parts.
            trick("quoted-bare", "quoted address without a domain", .quoted, atLiteral, "\"\(target)\""),
            trick("quoted-local-domain", "quoted address at the server's domain", .quoted, sender, "\"\(target)\"@\(t)"),
            trick("quoted-literal", "quoted address at the server's address", .quoted, atLiteral, "\"\(target)\"@\(l)"),
            // Two at-signs.
            trick("double-at-local-domain", "two @ with the server's domain", .doubleAt, sender, "\(target)@\(t)"),
            trick("double-at-hostname", "two @ with the server's host name", .doubleAt, atLiteral, "\(target)@\(h)"),
            trick("double-at-literal", "two @ with the server's address", .doubleAt, atLiteral, "\(target)@\(l)"),
            // Address literals as the destination.
            trick("literal-loopback", "recipient at [127.0.0.1]", .addressLiteral, sender, "\(u)@[127.0.0.1]"),
            trick("literal-remote", "recipient at another host's literal", .addressLiteral, sender, "\(u)@[192.0.2.1]"),
        ]
    }
}
