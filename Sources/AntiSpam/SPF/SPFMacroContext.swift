/// The values the macros of RFC 7208 § 7.2 stand for, except %{d} (the
/// current domain, which changes through include and redirect) and %{p}
/// (which needs DNS and is looked up only when used).
struct SPFMacroContext: Hashable, Sendable {
    var client: SPFClientAddress
    /// %{s}: local-part@domain.
    var sender: String
    /// %{l}
    var localPart: String
    /// %{o}
    var senderDomain: String
    /// %{h}
    var helo: String
    /// %{r}
    var receiver: String
    /// %{t}, seconds since the epoch.
    var timestamp: Int

    /// The value of `letter`, given the current domain and a way to find %{p}.
    func value(_ letter: Character, domain: String, validatedName: () async -> String) async -> String {
        switch letter {
        case "s": return sender
        case "l": return localPart
        case "o": return senderDomain
        case "d": return domain
        case "i": return client.macroForm
        case "p": return await validatedName()
        case "v": return client.isIPv4 ? "in-addr" : "ip6"
        case "h": return helo
        case "c": return client.readableForm
        case "r": return receiver
        case "t": return String(timestamp)
        default: return ""
        }
    }
}
