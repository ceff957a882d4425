import Testing

@testable import AntiSpam

@Suite struct AntiSpamModuleTests {
    @Test func moduleLinks() { #expect(String(describing: AntiSpam.self) == "AntiSpam") }
}
