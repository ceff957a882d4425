import MailCore
import Testing

@testable import SMTPClient

@Suite("ClientConnectionLifecycle: reuse (cache, idle, resume, QUIT)")
struct LifecycleReuseTests {
    static let quit = ClientConnectionAction.write(Array("QUIT\r\n".utf8), carriesCredentials: false)

    /// A first transaction kept in the cache.
    static func idleConnection(maximumReuse: Int = 100) -> LifecycleDriver {
        var driver = LifecycleDriver(maximumReuse: maximumReuse)
        driver.firstTransaction()
        return driver
    }

    @Test("A clean transaction is offered to the cache; the attempt completes after the cache has it, and the idle timer starts")
    func keptIdle() {
        var driver = LifecycleDriver(maximumReuse: 100, idleTimeout: .seconds(5))
        driver.feed { $0.connected() }
        driver.server("220 mx\r\n")
        driver.server(ehlo(["PIPELINING"]))
        driver.server("250 Ok\r\n250 Ok\r\n354 go\r\n")
        driver.writeMessage()
        let end = driver.server("250 2.0.0 Ok: queued\r\n")
        guard case .offerToCache(let established)? = end.dropFirst().first else {
            Issue.record("not offered: \(end)")
            return
        }
        #expect(established.capabilities.pipelining)
        #expect(end.first == .cancelTimer)
        #expect(end.suffix(2).first == .armIdleTimer(.seconds(5), generation: 0))
        #expect(end.last.map { if case .completeAttempt = $0 { true } else { false } } == true)
        #expect(!driver.written.contains("QUIT\r\n"))
        #expect(driver.completions.count == 1 && driver.completions[0].isTransaction)
        #expect(driver.stateName == "idle" && !driver.closed)
    }

    @Test("The cache refuses the connection (full or shut down): QUIT, the attempt completes, any reply closes")
    func cacheFull() {
        var driver = LifecycleDriver()
        driver.cacheAccepts = false
        driver.firstTransaction()
        #expect(driver.written.last == "QUIT\r\n")
        #expect(driver.completions.count == 1 && driver.completions[0].isTransaction)
        #expect(driver.stateName == "quitting")
        #expect(driver.server("221 2.0.0 Bye\r\n") == [.cancelIdleTimer, .close])
        #expect(driver.completions.count == 1)
    }

    @Test("A resumed connection starts with RSET under a new generation and runs the next transaction")
    func resume() {
        var driver = Self.idleConnection()
        guard case .resumed(let start) = driver.resume() else {
            Issue.record("refused")
            return
        }
        #expect(start.first == .cancelIdleTimer)
        #expect(start.contains(.write(Array("RSET\r\n".utf8), carriesCredentials: false)))
        #expect(start.last == .armTimer(.seconds(300), generation: 1))
        driver.resumedTransaction()
        #expect(driver.completions.count == 2 && driver.completions.allSatisfy(\.isTransaction))
        #expect(driver.lifecycle.transactions == 2)
        #expect(driver.stateName == "idle")
    }

    @Test("Reuse limit reached: the last transaction the limit allows ends in QUIT, and the connection closes")
    func reuseLimit() {
        var driver = Self.idleConnection(maximumReuse: 2)
        #expect(driver.stateName == "idle")
        _ = driver.resume()
        driver.resumedTransaction()
        // The second transaction is the last: QUIT instead of the cache.
        #expect(driver.written.last == "QUIT\r\n")
        #expect(driver.actions.filter { if case .offerToCache = $0 { true } else { false } }.count == 1)
        #expect(driver.completions.count == 1)
        #expect(driver.server("221 2.0.0 Bye\r\n").last == .close)
        #expect(driver.completions.count == 2 && driver.completions[1].isTransaction)
        if case .resumed = driver.resume() { Issue.record("a closed connection was resumed") }
    }

    @Test("A late timer, write completion or idle timer from an earlier generation does nothing")
    func lateTimers() {
        var driver = Self.idleConnection()
        _ = driver.resume()
        #expect(driver.feed { $0.timerFired(generation: 0) } == [])
        #expect(driver.feed { $0.idleTimerFired(generation: 0) } == [])
        #expect(driver.feed { $0.messageBlockWritten(generation: 0) } == [])
        #expect(driver.stateName == "active" && driver.completions.count == 1)
        // Idle again (generation 1); the first idle timer still does nothing.
        driver.resumedTransaction()
        #expect(driver.stateName == "idle")
        #expect(driver.feed { $0.idleTimerFired(generation: 0) } == [])
        #expect(driver.stateName == "idle")
        // The current generation's timer does.
        #expect(driver.feed { $0.idleTimerFired(generation: 1) }.contains(Self.quit))
    }

    @Test("Idle timeout: out of the cache, QUIT, and any reply to it closes; so does no reply within the short wait")
    func idleTimeout() {
        for reply in ["221 2.0.0 Bye\r\n", "500 what\r\n", nil] {
            var driver = Self.idleConnection()
            let fired = driver.feed { $0.idleTimerFired(generation: 0) }
            #expect(fired.first == .withdrawFromCache)
            #expect(fired.contains(.log(.debug, "idle connection unused for 5s; closing it")))
            #expect(fired.contains(Self.quit))
            #expect(fired.last == .armIdleTimer(.seconds(5), generation: 0))
            #expect(driver.stateName == "quitting" && !driver.closed)
            if let reply {
                #expect(driver.server(reply) == [.cancelIdleTimer, .close])
            } else {
                #expect(driver.feed { $0.idleTimerFired(generation: 0) } == [.close])
            }
            #expect(driver.stateName == "closed" && driver.completions.count == 1)
        }
    }

    @Test("Idle timeout that loses the race with a send taking the connection: nothing happens, and the resume runs")
    func idleTimeoutLostRace() {
        var driver = Self.idleConnection()
        driver.cacheStillHolds = false
        #expect(driver.feed { $0.idleTimerFired(generation: 0) } == [.withdrawFromCache])
        #expect(driver.stateName == "idle")
        guard case .resumed = driver.resume() else {
            Issue.record("refused")
            return
        }
    }

    @Test("The channel closes while idle: out of the cache, nothing completed a second time, a later resume refused")
    func closedWhileIdle() {
        var driver = Self.idleConnection()
        #expect(
            driver.feed { $0.channelClosed() } == [
                .log(.debug, "idle connection closed by the server"), .cancelIdleTimer, .leaveCache,
            ])
        #expect(driver.feed { $0.channelClosed() } == [])
        #expect(driver.completions.count == 1)
        guard case .refused(let result) = driver.resume() else {
            Issue.record("resumed on a closed connection")
            return
        }
        #expect(result.reusedConnectionFailed)
        #expect(result.failureReason == "the cached connection to 192.0.2.1:25 was closed")
    }

    @Test("The server speaks on an idle connection (a 421 before it closes): out of the cache and closed, nothing completed")
    func spokeWhileIdle() {
        var driver = Self.idleConnection()
        let actions = driver.server("421 4.4.2 idle too long\r\n")
        #expect(actions.contains(.leaveCache) && actions.last == .close)
        #expect(driver.completions.count == 1 && driver.stateName == "closed")
    }

    @Test(
        "A reused connection that dies before anything is committed reports reusedConnectionFailed; after the text went out it does not",
        arguments: ["at RSET", "RSET refused", "after MAIL", "421 to MAIL", "timeout", "after the text"])
    func reusedConnectionDies(when: String) {
        var driver = Self.idleConnection()
        _ = driver.resume()
        switch when {
        case "at RSET":
            driver.feed { $0.channelClosed() }
        case "RSET refused":
            driver.server("421 4.4.2 closing\r\n")
        case "after MAIL":
            driver.server("250 Ok\r\n")
            driver.feed { $0.channelClosed() }
        case "421 to MAIL":
            driver.server("250 Ok\r\n")
            driver.server("421 4.4.2 closing\r\n")
        case "timeout":
            driver.feed { $0.timerFired(generation: 1) }
        default:
            driver.server("250 Ok\r\n")
            driver.server("250 Ok\r\n250 Ok\r\n354 go\r\n")
            driver.writeMessage()
            driver.feed { $0.channelClosed() }
        }
        if driver.completions.count == 1 { driver.feed { $0.channelClosed() } }
        #expect(driver.completions.count == 2, "\(when)")
        #expect(driver.completions.last?.reusedConnectionFailed == (when != "after the text"), "\(when)")
    }

    @Test("Shutdown QUITs an idle connection; a session that runs is not interrupted")
    func shutdown() {
        var idle = Self.idleConnection()
        let actions = idle.feed { $0.shutDown() }
        #expect(actions.contains(Self.quit) && actions.last == .armIdleTimer(.seconds(5), generation: 0))
        #expect(idle.stateName == "quitting")
        var active = LifecycleDriver()
        active.feed { $0.connected() }
        #expect(active.feed { $0.shutDown() } == [])
    }
}

@Suite("ClientConnectionLifecycle: the channel closing, in each state")
struct LifecycleChannelClosedTests {
    @Test(
        "Only a running session's attempt is completed; only an idle connection leaves the cache; a second close does nothing",
        arguments: ["active", "idle", "quitting", "closed"])
    func channelClosed(in state: String) {
        var driver = LifecycleDriver()
        driver.feed { $0.connected() }
        switch state {
        case "active": break
        case "idle": driver.firstTransaction()
        case "quitting":
            driver.firstTransaction()
            driver.feed { $0.shutDown() }
        default:
            driver.feed { $0.timerFired(generation: 0) }
        }
        #expect(driver.stateName == state)
        let before = driver.completions.count
        let actions = driver.feed { $0.channelClosed() }
        #expect(driver.completions.count == (state == "active" ? 1 : before), "\(state)")
        #expect(actions.contains(.leaveCache) == (state == "idle"), "\(state)")
        #expect(!actions.contains(.close), "the channel is closed already")
        #expect(driver.stateName == "closed")
        #expect(driver.feed { $0.channelClosed() } == [])
    }
}
