import Foundation
import MailStore
import Testing

@Suite("PasswordHasher")
struct PasswordHasherTests {
    /// swift-crypto refuses PBKDF2 with fewer rounds, so tests cannot use a
    /// cheaper work factor; one hash is shared where a test only reads it.
    static let minimumRounds = 210_000
    static let sample = Result { try PasswordHasher.hash("correct horse battery staple") }

    @Test("The right password verifies; a wrong, differently-cased, truncated or empty one does not")
    func verify() throws {
        let stored = try Self.sample.get()
        #expect(PasswordHasher.verify("correct horse battery staple", against: stored))
        #expect(!PasswordHasher.verify("Correct horse battery staple", against: stored))
        #expect(!PasswordHasher.verify("correct horse battery stapl", against: stored))
        #expect(!PasswordHasher.verify("", against: stored))
    }

    @Test("The stored form is $pbkdf2-sha256$<rounds>$<16-byte salt>$<32-byte hash>, at the default rounds")
    func storedFormat() throws {
        let stored = try Self.sample.get()
        #expect(PasswordHasher.defaultRounds >= Self.minimumRounds)
        #expect(stored.hasPrefix("$pbkdf2-sha256$\(PasswordHasher.defaultRounds)$"))
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        try #require(parts.count == 5)
        #expect(parts[0].isEmpty)
        #expect(Data(base64Encoded: String(parts[3]))?.count == 16)
        #expect(Data(base64Encoded: String(parts[4]))?.count == 32)
    }

    @Test("The same password hashed twice gets different salts, and both hashes verify")
    func differentSalts() throws {
        let first = try Self.sample.get()
        let second = try PasswordHasher.hash("correct horse battery staple", rounds: Self.minimumRounds)
        #expect(first != second)
        #expect(first.split(separator: "$")[2] != second.split(separator: "$")[2])
        #expect(PasswordHasher.verify("correct horse battery staple", against: second))
        #expect(second.hasPrefix("$pbkdf2-sha256$\(Self.minimumRounds)$"))
    }

    @Test("The round count is read from the stored string, not assumed")
    func roundsAreStored() throws {
        let stored = try Self.sample.get()
        let parts = stored.split(separator: "$")
        let otherRounds = "$pbkdf2-sha256$\(PasswordHasher.defaultRounds + 1)$\(parts[2])$\(parts[3])"
        #expect(!PasswordHasher.verify("correct horse battery staple", against: otherRounds))
    }

    @Test("A work factor below the PBKDF2 minimum is refused, never silently weakened")
    func tooFewRounds() {
        #expect(throws: (any Error).self) { try PasswordHasher.hash("secret", rounds: 1000) }
    }

    @Test(
        "Malformed stored strings never verify",
        arguments: [
            "", "correct horse battery staple", "$", "$$$$", "$pbkdf2-sha256$", "$pbkdf2-sha256$210000$",
            "$pbkdf2-sha256$210000$c2FsdHNhbHRzYWx0c2FsdA==$",
            "$pbkdf2-sha256$abc$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "$pbkdf2-sha256$-5$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "$pbkdf2-sha256$0$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "$pbkdf2-sha256$210000$!!!not base64!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "$pbkdf2-sha256$210000$c2FsdHNhbHRzYWx0c2FsdA==$!!!not base64!!!",
            "$pbkdf2-sha512$210000$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "$pbkdf2-sha256$210000$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$extra",
        ])
    func malformed(_ stored: String) {
        #expect(!PasswordHasher.verify("correct horse battery staple", against: stored))
        #expect(!PasswordHasher.verify("", against: stored))
    }

    @Test("A damaged hash part (wrong length or changed bytes) does not verify")
    func damagedHash() throws {
        let stored = try Self.sample.get()
        let parts = stored.split(separator: "$").map(String.init)
        var hash = try #require(Data(base64Encoded: parts[3]))
        let shortened = "$\(parts[0])$\(parts[1])$\(parts[2])$\(hash.dropLast().base64EncodedString())"
        hash[hash.startIndex] ^= 1
        let flipped = "$\(parts[0])$\(parts[1])$\(parts[2])$\(hash.base64EncodedString())"
        #expect(!PasswordHasher.verify("correct horse battery staple", against: shortened))
        #expect(!PasswordHasher.verify("correct horse battery staple", against: flipped))
    }

    @Test("A round count too large for PBKDF2 is refused, not a crash")
    func hugeRounds() async {
        await #expect(processExitsWith: .success) {
            let stored = "$pbkdf2-sha256$5000000000$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            if PasswordHasher.verify("x", against: stored) { exit(1) }
        }
    }

    @Test("Generated passwords: 20 characters from an alphabet without look-alikes, different each time")
    func generatePassword() {
        let alphabet = Set("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var seen = Set<String>()
        for _ in 0..<200 {
            let password = PasswordHasher.generatePassword()
            #expect(password.count == 20)
            #expect(password.allSatisfy(alphabet.contains), "\(password)")
            #expect(!password.contains(where: "0O1lI".contains))
            seen.insert(password)
        }
        #expect(seen.count == 200)
    }
}
