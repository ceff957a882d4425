import Foundation
import IMAPProtocol
import Testing

@Suite("How the server writes strings and dates")
struct ResponseTextTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("quoted when it can be, escaped; a literal for line ends, 8-bit and long strings; NIL for none")
    func strings() {
        #expect(text(IMAPResponseText.string("Re: \"hi\" \\o/")) == "\"Re: \\\"hi\\\" \\\\o/\"")
        #expect(text(IMAPResponseText.string("Grüße")) == "{7}\r\nGrüße")
        #expect(text(IMAPResponseText.string("a\r\nb")) == "{4}\r\na\r\nb")
        #expect(IMAPResponseText.string(String(repeating: "x", count: 2000)).starts(with: Array("{2000}\r\n".utf8)))
        #expect(text(IMAPResponseText.nstring(nil)) == "NIL")
        #expect(text(IMAPResponseText.string("")) == "\"\"")
        #expect(IMAPResponseText.flagList(["\\Seen", "$Junk"]) == "(\\Seen $Junk)")
    }

    @Test("INTERNALDATE matches Foundation's calendar for dates across four centuries")
    func internalDates() {
        #expect(IMAPResponseText.internalDate(secondsSince1970: 0) == "\"01-Jan-1970 00:00:00 +0000\"")
        #expect(IMAPResponseText.internalDate(secondsSince1970: 1_796_672_882) == "\"07-Dec-2026 19:48:02 +0000\"")
        #expect(IMAPResponseText.internalDate(secondsSince1970: 951_782_400) == "\"29-Feb-2000 00:00:00 +0000\"")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for _ in 0..<500 {
            let seconds = Int64.random(in: -2_000_000_000...10_000_000_000)
            let parts = calendar.dateComponents([.year, .month, .day, .hour], from: Date(timeIntervalSince1970: Double(seconds)))
            let rendered = IMAPResponseText.internalDate(secondsSince1970: seconds)
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            let expected = String(format: "\"%02d-%@-%d %02d:", parts.day!, months[parts.month! - 1], parts.year!, parts.hour!)
            #expect(rendered.hasPrefix(expected), "\(seconds): \(rendered) vs \(expected)")
        }
    }
}
