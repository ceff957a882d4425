import DNS
import Foundation
import NIOCore
import Testing

@Suite("SystemErrorText: errors in words, without library internals")
struct SystemErrorTextTests {
    @Test("errno errors read as strerror, in lower case")
    func errno() {
        #expect(SystemErrorText.describe(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == "connection refused")
        #expect(SystemErrorText.describe(IOError(errnoCode: EADDRINUSE, reason: "bind")) == "address already in use")
    }

    @Test("Foundation's file errors name the file and the reason")
    func files() {
        let missing = CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "/srv/sims/queue/envelopes/x.json"])
        #expect(SystemErrorText.describe(missing) == "no such file or directory: /srv/sims/queue/envelopes/x.json")
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/sims-test-file"))
            Issue.record("read a file that does not exist")
        } catch {
            let text = SystemErrorText.describe(error)
            #expect(text.contains("/nonexistent/sims-test-file"), "\(text)")
            #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("Code="), "\(text)")
        }
    }

    @Test("Our own errors describe themselves")
    func own() {
        struct Own: Error, CustomStringConvertible { var description: String { "what went wrong" } }
        #expect(SystemErrorText.describe(Own()) == "what went wrong")
    }
}
