import MailCore
import Testing

@testable import SMTPClient

@Suite("ClientConnectionLifecycle: one attempt on a connection (timers, TLS, completion)")
struct LifecycleAttemptTests {
    @Test("A whole transaction without reuse: each step arms the timer of its stage; one completion, then close after 221")
    func wholeTransaction() {
        var driver = LifecycleDriver(maximumReuse: 0)
        #expect(driver.feed { $0.connected() } == [.armTimer(.seconds(300), generation: 0)])
        #expect(
            driver.server("220 mx.dest.test ESMTP\r\n") == [
                .write(Array("EHLO client.test\r\n".utf8), carriesCredentials: false), .armTimer(.seconds(300), generation: 0),
            ])
        driver.server(ehlo(["PIPELINING"]))
        let dataStart = driver.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        // RFC 5321 § 4.5.3.2.5: 3 minutes for each block of text.
        #expect(dataStart.suffix(2).first == .armTimer(.seconds(180), generation: 0))
        guard case .writeMessageBlock(let block, 0)? = dataStart.last else {
            Issue.record("no block written: \(dataStart)")
            return
        }
        #expect(String(decoding: block, as: UTF8.self) == "Subject: test\r\n\r\nHello\r\n.\r\n")
        // § 4.5.3.2.6: 10 minutes for the reply to the final dot.
        #expect(driver.feed { $0.messageBlockWritten(generation: 0) } == [.armTimer(.seconds(600), generation: 0)])
        // Without reuse the session QUITs; the attempt completes on the 221.
        #expect(driver.server("250 2.0.0 Ok: queued\r\n").first == .write(Array("QUIT\r\n".utf8), carriesCredentials: false))
        #expect(driver.completions.isEmpty)
        #expect(driver.server("221 2.0.0 Bye\r\n") == [.cancelTimer, .completeAttempt(driver.completions[0]), .close])
        #expect(driver.completions.count == 1 && driver.completions[0].isTransaction)
        #expect(!driver.completions[0].tlsHandshakeFailed && !driver.completions[0].reusedConnectionFailed)
    }

    @Test("A large message goes out in 64 KiB blocks, the block timer re-armed for each; a reply mid-text stops the writing")
    func blocks() {
        var driver = LifecycleDriver(maximumReuse: 0)
        let size = 2 * ClientConnectionLifecycle.blockSize + 100
        let line = String(repeating: "x", count: 998) + "\r\n"
        let text = Array(String(repeating: line, count: size / 1000 + 1).utf8)
        driver.lifecycle = ClientConnectionLifecycle(
            session: SMTPClientSession(
                configuration: driver.configuration, envelope: LifecycleDriver.envelope, message: text, remote: "192.0.2.1:25"),
            maximumReuse: 0, idleTimeout: .seconds(5))
        driver.feed { $0.connected() }
        driver.server("220 mx\r\n")
        driver.server(ehlo(["PIPELINING"]))
        driver.server("250 Ok\r\n250 Ok\r\n354 go\r\n")
        var blocks: [Int] = []
        while case .writeMessageBlock(let block, let generation)? = driver.actions.last {
            blocks.append(block.count)
            driver.feed { $0.messageBlockWritten(generation: generation) }
            if blocks.count == 2 { break }
        }
        #expect(blocks == [ClientConnectionLifecycle.blockSize, ClientConnectionLifecycle.blockSize])
        // The server gives up on the message before its end: QUIT, and the
        // third block, whose predecessor's write completes now, never goes out.
        #expect(driver.server("552 5.3.4 too big\r\n").first == .write(Array("QUIT\r\n".utf8), carriesCredentials: false))
        #expect(driver.feed { $0.messageBlockWritten(generation: 0) } == [])
        #expect(driver.server("221 bye\r\n").contains(.close))
        #expect(driver.completions.count == 1)
    }

    @Test("The reply timer: its expiry completes the attempt as a timeout naming the stage and the limit, and closes")
    func timeout() {
        var driver = LifecycleDriver(maximumReuse: 0) {
            $0.tls = .disabled
            $0.timeouts.greeting = .milliseconds(700)
        }
        #expect(driver.feed { $0.connected() } == [.armTimer(.milliseconds(700), generation: 0)])
        let fired = driver.feed { $0.timerFired(generation: 0) }
        #expect(fired.last == .close)
        #expect(driver.completions.count == 1)
        #expect(driver.completions.first?.failureReason == "timeout: no 220 greeting reply from 192.0.2.1:25 within 700ms")
        #expect(driver.stateName == "closed")
    }

    @Test("A timer of another generation than the running session's does nothing")
    func foreignTimerIgnored() {
        var driver = LifecycleDriver(maximumReuse: 0)
        driver.feed { $0.connected() }
        #expect(driver.feed { $0.timerFired(generation: 1) } == [])
        #expect(driver.feed { $0.messageBlockWritten(generation: 1) } == [])
        #expect(driver.feed { $0.idleTimerFired(generation: 0) } == [])
        #expect(driver.completions.isEmpty && driver.stateName == "active")
    }

    @Test("STARTTLS: the timer is armed before TLS starts; a successful handshake sends EHLO again")
    func tlsSuccess() {
        var driver = LifecycleDriver(maximumReuse: 0) { $0.tls = .opportunistic }
        driver.feed { $0.connected() }
        driver.server("220 mx\r\n")
        driver.server(ehlo(["STARTTLS"]))
        #expect(!driver.lifecycle.awaitsTLSHandshake)
        #expect(driver.server("220 2.0.0 Ready\r\n") == [.armTimer(.seconds(300), generation: 0), .startTLS])
        #expect(driver.lifecycle.awaitsTLSHandshake)
        #expect(
            driver.feed { $0.tlsHandshakeSucceeded("TLSv1.3, test") }.first
                == .write(Array("EHLO client.test\r\n".utf8), carriesCredentials: false))
        #expect(!driver.lifecycle.awaitsTLSHandshake)
    }

    @Test("A failed TLS handshake (an error during it, or a refused certificate) is reported as such, once")
    func tlsFailure() {
        for failure in ["error", "certificate"] {
            var driver = LifecycleDriver(maximumReuse: 0) { $0.tls = .opportunistic }
            driver.feed { $0.connected() }
            driver.server("220 mx\r\n")
            driver.server(ehlo(["STARTTLS"]))
            driver.server("220 2.0.0 Ready\r\n")
            if failure == "error" {
                let actions = driver.feed { $0.connectionError("handshake failure") }
                #expect(actions.first == .log(.warning, "TLS handshake failed: handshake failure"))
            } else {
                driver.feed { $0.tlsHandshakeFailed("the certificate does not name mx.dest.test") }
            }
            #expect(driver.completions.count == 1, "\(failure)")
            #expect(driver.completions.first?.tlsHandshakeFailed == true, "\(failure)")
            #expect(driver.completions.first?.failureReason?.hasPrefix("TLS handshake with 192.0.2.1:25 failed") == true)
            #expect(driver.closed)
            #expect(!driver.everyEvent().contains { if case .completeAttempt = $0 { true } else { false } })
        }
    }

    @Test("An error outside the handshake closes the channel; the closed channel settles the attempt")
    func connectionError() {
        var driver = LifecycleDriver(maximumReuse: 0)
        driver.feed { $0.connected() }
        driver.server("220 mx\r\n")
        let actions = driver.feed { $0.connectionError("reset by peer") }
        #expect(actions == [.log(.warning, "connection error: reset by peer"), .close])
        #expect(driver.completions.isEmpty)
        driver.feed { $0.channelClosed() }
        #expect(driver.completions.count == 1)
        #expect(driver.completions.first?.failureReason == "connection closed by 192.0.2.1:25 while waiting for the EHLO reply")
        #expect(driver.completions.first?.tlsHandshakeFailed == false)
    }

    @Test("Junk instead of a reply ends the attempt as a protocol error")
    func junk() {
        var driver = LifecycleDriver(maximumReuse: 0)
        driver.feed { $0.connected() }
        driver.server("hello there\r\n")
        #expect(driver.completions.count == 1 && driver.closed)
        #expect(driver.completions.first?.failureReason?.hasPrefix("protocol error from 192.0.2.1:25") == true)
    }

    @Test(
        "Completing twice is impossible: after any ending, no event completes the attempt again",
        arguments: ["closed", "timeout", "junk", "refused", "quit", "kept", "cache full", "tls"])
    func completesOnce(ending: String) {
        var driver = LifecycleDriver(maximumReuse: ending == "quit" ? 0 : 100) {
            $0.tls = ending == "tls" ? .opportunistic : .disabled
        }
        driver.cacheAccepts = ending != "cache full"
        driver.feed { $0.connected() }
        switch ending {
        case "closed": driver.feed { $0.channelClosed() }
        case "timeout": driver.feed { $0.timerFired(generation: 0) }
        case "junk": driver.server("junk\r\n")
        case "refused":
            driver.server("554 no\r\n")
            driver.server("221 bye\r\n")
        case "quit":
            driver.firstTransaction()
            driver.server("221 bye\r\n")
        case "kept", "cache full": driver.firstTransaction()
        default:
            driver.server("220 mx\r\n")
            driver.server(ehlo(["STARTTLS"]))
            driver.server("220 go\r\n")
            driver.feed { $0.tlsHandshakeFailed("bad") }
        }
        #expect(driver.completions.count == 1, "\(ending)")
        driver.everyEvent()
        driver.feed { $0.channelClosed() }
        #expect(driver.completions.count == 1, "\(ending): \(driver.completions)")
    }
}
