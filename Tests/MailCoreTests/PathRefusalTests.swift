import MailCore
import Testing

/// Relay decisions are made on the domain the parser returns, so anything
/// ambiguous must be a syntax error rather than a guess.
@Suite("PathParser: paths that must be refused")
struct PathRefusalTests {
    @Test("Missing angle brackets", arguments: [
        "user@example.test", "<user@example.test", "user@example.test>", "", " <user@example.test>",
    ])
    func missingBrackets(_ text: String) {
        #expect(pathError(text) == .missingAngleBrackets)
    }

    @Test("A second '@' (user@remote@local) is refused, never read as either domain")
    func doubleAt() {
        #expect(pathError("<user@remote.test@example.test>") == .badDomain)
        #expect(pathError("<user@remote@local>") == .badDomain)
    }

    @Test("A trailing dot on the domain is refused", arguments: ["<user@example.test.>", "<user@remote.test.>"])
    func trailingDot(_ text: String) {
        #expect(pathError(text) == .badDomain)
    }

    @Test("Leading and doubled dots in the domain are refused", arguments: [
        "<user@.example.test>", "<user@example..test>", "<user@.>", "<user@..>",
    ])
    func domainDots(_ text: String) {
        #expect(pathError(text) == .badDomain)
    }

    @Test("Leading, trailing and doubled dots in a dot-string local part are refused", arguments: [
        "<.user@example.test>", "<user.@example.test>", "<us..er@example.test>", "<.@example.test>",
    ])
    func localPartDots(_ text: String) {
        #expect(pathError(text) == .badLocalPart)
    }

    @Test("A bare UUCP path remote!user without '@' has no domain")
    func bangPath() {
        #expect(pathError("<remote!user>") == .missingDomain)
        #expect(pathError("<remote.test!user>") == .missingDomain)
    }

    @Test("A plain local part without a domain is refused")
    func noDomain() {
        #expect(pathError("<user>") == .missingDomain)
        #expect(pathError("<user@>") == .badDomain)
    }

    @Test("An empty local part is refused")
    func emptyLocalPart() {
        #expect(parsePath("<@example.test>").isFailure)
        #expect(pathError("<@example.test>") == .badSourceRoute)
    }

    @Test("The empty path is refused where a mailbox is required")
    func emptyPathNotAllowed() {
        #expect(pathError("<>", allowNull: false) == .emptyPath)
    }

    @Test("A local part longer than 64 octets is refused")
    func localPartTooLong() {
        #expect(pathError("<\(repeated("a", 65))@example.test>") == .localPartTooLong)
        #expect(pathError("<\"\(repeated("a", 65))\"@example.test>") == .localPartTooLong)
    }

    @Test("A path longer than 256 octets is refused")
    func pathTooLong() {
        let domain = "\(repeated("b", 63)).\(repeated("c", 63)).\(repeated("d", 62))"  // 190 octets
        let text = "<\(repeated("a", 64))@\(domain)>"
        #expect(text.utf8.count == 257)
        #expect(pathError(text) == .pathTooLong)
        #expect(pathError("<\(repeated("a", 300))@example.test>") == .pathTooLong)
    }

    @Test("Non-ASCII without SMTPUTF8 is refused as needsSMTPUTF8", arguments: [
        "<jörg@example.test>", "<user@bücher.test>", "<\"jörg\"@example.test>", "<Pöstmaster>",
    ])
    func needsSMTPUTF8(_ text: String) {
        #expect(pathError(text, allowUTF8: false) == .needsSMTPUTF8)
    }

    @Test("Anything but a space right after '>' is garbage", arguments: [
        "<user@example.test>x", "<user@example.test>>", "<user@example.test>,<b@example.test>", "<>x",
    ])
    func trailingGarbage(_ text: String) {
        #expect(pathError(text, allowNull: true) == .trailingGarbage)
    }

    @Test("Malformed source routes are refused", arguments: [
        "<@a.test>", "<@a.test,b.test:user@c.test>", "<@:user@c.test>", "<@a..test:user@c.test>", "<@a.test,:user@c.test>",
    ])
    func badSourceRoute(_ text: String) {
        #expect(pathError(text) == .badSourceRoute)
    }

    @Test("Malformed address literals are refused", arguments: [
        "<user@[192.0.2]>", "<user@[192.0.2.256]>", "<user@[IPv6:2001:db8::g]>", "<user@[]>",
        "<user@[192.0.2.1>", "<user@[192.0.2.1]x>", "<user@[tag:a[b]>",
    ])
    func badAddressLiteral(_ text: String) {
        #expect(pathError(text) == .badAddressLiteral)
    }

    @Test("Characters outside atext, unterminated quotes and bad escapes in the local part are refused", arguments: [
        "<us er@example.test>", "<us(er@example.test>",
        "<\"a\"b@example.test>", "<\"tab\there\"@example.test>", "<\"a\\\u{7F}\"@example.test>",
    ])
    func badLocalPart(_ text: String) {
        #expect(pathError(text) == .badLocalPart)
    }

    @Test("An unterminated quoted local part never finds the closing bracket")
    func unterminatedQuote() {
        #expect(pathError("<\"unterminated@example.test>") == .missingAngleBrackets)
    }

    @Test("Domains with characters outside letters, digits and hyphen are refused", arguments: [
        "<user@exa_mple.test>", "<user@-example.test>", "<user@example-.test>", "<user@exa mple.test>",
        "<user@example.test >",
    ])
    func badDomain(_ text: String) {
        #expect(pathError(text) == .badDomain)
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
