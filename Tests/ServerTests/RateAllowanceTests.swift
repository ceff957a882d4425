import NIOCore
import Testing

@testable import Server

@Suite("Minimum DATA rate: the time message text earns")
struct RateAllowanceTests {
    @Test("Bytes at the rate earn seconds exactly; fractions in nanoseconds")
    func exact() {
        #expect(LineFrameHandler.rateAllowance(bytes: 2048, rate: 1024) == .seconds(2))
        #expect(LineFrameHandler.rateAllowance(bytes: 1536, rate: 1024) == .milliseconds(1500))
        #expect(LineFrameHandler.rateAllowance(bytes: 0, rate: 1024) == .zero)
    }

    @Test("Twenty gigabytes do not overflow (bytes × 10⁹ would trap past 9.2 GB)")
    func noOverflow() {
        #expect(LineFrameHandler.rateAllowance(bytes: 20_000_000_000, rate: 1) == .seconds(20_000_000_000))
        #expect(LineFrameHandler.rateAllowance(bytes: 20_000_000_000, rate: 1024) > .seconds(19_000_000))
    }
}
