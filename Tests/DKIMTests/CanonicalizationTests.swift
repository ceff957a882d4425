import Crypto
import Foundation
import Testing

@testable import DKIM

@Suite("Canonicalization (RFC 6376 § 3.4)")
struct CanonicalizationTests {
    /// RFC 6376 § 3.4.5's example message.
    static let example = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n"

    static func canonicalBody(_ text: some Collection<UInt8>, _ mode: DKIMCanonicalization) -> [UInt8] {
        var body = BodyCanonicalizer(mode)
        body.update(text)
        return body.finish()
    }

    static func sha256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    @Test("§ 3.4.5: relaxed header fields and body")
    func relaxedExample() {
        var reader = DKIMMessageReader(body: .relaxed)
        reader.update(Array(Self.example.utf8))
        let (fields, bodyHash) = reader.finish()
        let headers = fields.flatMap { DKIMCanonicalization.relaxed.canonical($0) }
        #expect(String(decoding: headers, as: UTF8.self) == "a:X\r\nb:Y Z\r\n")
        #expect(bodyHash == Self.sha256(" C\r\nD E\r\n"))
    }

    @Test("§ 3.4.5: simple header fields and body")
    func simpleExample() {
        var reader = DKIMMessageReader(body: .simple)
        reader.update(Array(Self.example.utf8))
        let (fields, bodyHash) = reader.finish()
        let headers = fields.flatMap { DKIMCanonicalization.simple.canonical($0) }
        #expect(String(decoding: headers, as: UTF8.self) == "A: X\r\nB : Y\t\r\n\tZ  \r\n")
        #expect(bodyHash == Self.sha256(" C \r\nD \t E\r\n"))
    }

    @Test("An empty body: nothing when relaxed, one CRLF when simple (§ 3.4.3, § 3.4.4)")
    func emptyBody() {
        #expect(Self.canonicalBody([], .relaxed) == Self.sha256(""))
        #expect(Self.canonicalBody([], .simple) == Self.sha256("\r\n"))
        #expect(Self.canonicalBody(Array("\r\n\r\n  \r\n".utf8), .relaxed) == Self.sha256(""))
        #expect(Self.canonicalBody(Array("\r\n\r\n".utf8), .simple) == Self.sha256("\r\n"))
    }

    @Test("A last line without CRLF gets one; a lone CR is text")
    func lastLine() {
        #expect(Self.canonicalBody(Array("end".utf8), .relaxed) == Self.sha256("end\r\n"))
        #expect(Self.canonicalBody(Array("end  ".utf8), .simple) == Self.sha256("end  \r\n"))
        #expect(Self.canonicalBody(Array("a\rb\r\n".utf8), .simple) == Self.sha256("a\rb\r\n"))
        #expect(Self.canonicalBody(Array("a\r".utf8), .relaxed) == Self.sha256("a\r\r\n"))
    }

    @Test("Bare LF line ends hash like CRLF ones, in the header section and the body")
    func bareLF() {
        let crlfText = "From: a@b.test\r\nSubject:  two  spaces \r\n\r\nline one\r\n\r\n\tline  three \r\n"
        let lfText = crlfText.replacingOccurrences(of: "\r\n", with: "\n")
        for mode in [DKIMCanonicalization.simple, .relaxed] {
            var withCRLF = DKIMMessageReader(body: mode)
            withCRLF.update(Array(crlfText.utf8))
            var withLF = DKIMMessageReader(body: mode)
            withLF.update(Array(lfText.utf8))
            let (crlfFields, crlfHash) = withCRLF.finish()
            let (lfFields, lfHash) = withLF.finish()
            #expect(crlfFields == lfFields)
            #expect(crlfHash == lfHash)
        }
    }

    @Test("A long line, fed in pieces of every size, hashes as when fed at once")
    func longLinesInPieces() {
        let line = String(repeating: "x y\t", count: 40_000)
        let text = Array("Subject: long\r\n\r\n\(line)\r\n\(line)  \r\n\r\n".utf8)
        var whole = DKIMMessageReader(body: .relaxed)
        whole.update(text)
        let expected = whole.finish()
        #expect(
            expected.bodyHash
                == Self.sha256(
                    String(repeating: "x y ", count: 39_999) + "x y\r\n" + String(repeating: "x y ", count: 39_999) + "x y\r\n"))
        for size in [1, 2, 7, 1000, 65_536] {
            var reader = DKIMMessageReader(body: .relaxed)
            var index = 0
            while index < text.count {
                reader.update(text[index..<min(index + size, text.count)])
                index += size
            }
            let got = reader.finish()
            #expect(got.fields == expected.fields)
            #expect(got.bodyHash == expected.bodyHash)
        }
    }

    @Test("A message with no empty line is all header, with an empty body")
    func noBody() {
        var reader = DKIMMessageReader(body: .relaxed)
        reader.update(Array("From: a@b.test\r\nTo: c@d.test\r\n".utf8))
        let (fields, bodyHash) = reader.finish()
        #expect(fields.map(\.name) == ["From", "To"])
        #expect(bodyHash == Self.sha256(""))
    }

    @Test("Folded fields stay one field; a line without a colon is no field")
    func fieldSplitting() {
        let fields = DKIMHeaderField.fields(in: Array("Subject: a\r\n b\r\nnonsense\r\nTo : x\r\n\r\nBody: no\r\n".utf8))
        #expect(fields.map(\.name) == ["Subject", "To"])
        #expect(String(decoding: fields[0].text, as: UTF8.self) == "Subject: a\r\n b\r\n")
    }
}
