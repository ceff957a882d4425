import Foundation
import Logging
import MailCore
import MailStore
import ServiceLifecycle
import Synchronization

/// Settings of the queue runner.
public struct QueueSettings: Sendable {
    public var hostname: String
    public var schedule = RetrySchedule()
    /// Delivery attempts running at once, in total.
    public var concurrency = 20
    /// Delivery attempts running at once to one destination domain.
    public var concurrencyPerDomain = 10

    public init(hostname: String) { self.hostname = hostname }
}

/// Delivers queued messages: a Service that picks messages whose next
/// attempt is due, hands each destination domain's recipients to the
/// transport, records every recipient's fate, retries on the schedule, and
/// bounces (RFC 3464) what fails for good.
public final class QueueRunner: Service, Sendable {
    struct State {
        var index = QueueIndex()
        var stopping = false
        var recovered = false
    }

    let spool: Spool
    /// Where spool reads, writes and syncs run (the server's storage pool).
    let blocking: any BlockingWorkRunner
    let transport: any MessageTransport
    let bounces: any BounceSink
    let settings: QueueSettings
    let logger: Logger
    let now: @Sendable () -> Date
    let state = Mutex(State())
    let wake = WakeSignal()
    let slots: DomainSlots

    public init(
        spool: Spool, blocking: any BlockingWorkRunner, transport: any MessageTransport, bounces: any BounceSink,
        settings: QueueSettings, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.spool = spool
        self.blocking = blocking
        self.transport = transport
        self.bounces = bounces
        self.settings = settings
        self.logger = logger
        self.now = now
        slots = DomainSlots(limit: settings.concurrencyPerDomain)
    }

    /// Called after `Spool.enqueue` succeeded: the message is tried at once.
    public func submit(_ envelope: QueuedMessage) {
        state.withLock { $0.index.put(envelope) }
        wake.wake()
    }

    /// Messages in the queue right now (for metrics and tests).
    public var count: Int { state.withLock { $0.index.count } }

    /// Loads the spool and cleans up what a crash left behind. Call it
    /// before any listener starts: it removes unfinished files in the
    /// spool's tmp/, which would race with a session writing there.
    /// Blocking: reads the whole spool.
    public func recover() throws {
        guard !state.withLock({ $0.recovered }) else { return }
        let (envelopes, problems) = try spool.recover()
        for problem in problems {
            if problem.isFailure {
                logger.error("queue recovery: \(problem)")
            } else {
                logger.notice("queue recovery: \(problem)")
            }
        }
        state.withLock { state in
            for envelope in envelopes { state.index.put(envelope) }
            state.recovered = true
        }
    }

    public func run() async throws {
        try await blocking.run { try self.recover() }
        logger.notice("queue runner started with \(count) queued message(s)")
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !state.withLock({ $0.stopping }) && !Task.isCancelled {
                    for id in await applyControlRequests() {
                        group.addTask {
                            await self.administrativeBounce(id)
                            self.state.withLock { $0.index.release(id) }
                        }
                    }
                    for id in dueMessages() {
                        group.addTask {
                            await self.attempt(id)
                            self.state.withLock { $0.index.release(id) }
                            self.wake.wake()
                        }
                    }
                    await wake.sleep(for: untilNextDue())
                }
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.wake.wake()
        }
        await transport.shutdown()
        logger.notice("queue runner stopped; \(count) message(s) remain queued")
    }

    /// Picks due messages up to the concurrency limit and marks them in flight.
    private func dueMessages() -> [String] {
        let now = self.now()
        return state.withLock { state in
            state.index.takeDue(now: now, limit: settings.concurrency - state.index.inFlight.count)
        }
    }

    /// How long to sleep: until the next attempt is due, at most a second
    /// (control requests from `sims queue` are read once a second).
    private func untilNextDue() -> Duration {
        guard let next = state.withLock({ $0.index.nextDue() }) else { return .seconds(1) }
        let seconds = max(0, min(1, next.timeIntervalSince(now())))
        return .milliseconds(Int(seconds * 1000))
    }
}
