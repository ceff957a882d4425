import Testing

@testable import Operator

@Suite struct OperatorModuleTests {
    @Test func moduleLinks() { #expect(String(describing: Operator.self) == "Operator") }
}
