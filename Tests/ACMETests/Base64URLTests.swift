import Testing

@testable import ACME

@Suite struct Base64URLTests {
    @Test func encodesWithoutPaddingAndWithURLAlphabet() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("***") == nil)
    }
}
