import Foundation
import Logging
import MailCore
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
        var messages: [String: QueuedMessage] = [:]
        var inFlight: Set<String> = []
        var stopping = false
    }

    let spool: Spool
    let transport: any MessageTransport
    let bounces: any BounceSink
    let settings: QueueSettings
    let logger: Logger
    let now: @Sendable () -> Date
    let state = Mutex(State())
    let wake = WakeSignal()
    let slots: DomainSlots

    public init(
        spool: Spool, transport: any MessageTransport, bounces: any BounceSink, settings: QueueSettings, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.spool = spool
        self.transport = transport
        self.bounces = bounces
        self.settings = settings
        self.logger = logger
        self.now = now
        slots = DomainSlots(limit: settings.concurrencyPerDomain)
    }

    /// Called after `Spool.enqueue` succeeded: the message is tried at once.
    public func submit(_ envelope: QueuedMessage) {
        state.withLock { $0.messages[envelope.id] = envelope }
        wake.signal()
    }

    /// Messages in the queue right now (for metrics and tests).
    public var count: Int { state.withLock { $0.messages.count } }

    public func run() async throws {
        let (envelopes, problems) = try spool.recover()
        for problem in problems { logger.warning("queue recovery: \(problem)") }
        state.withLock { state in
            for envelope in envelopes { state.messages[envelope.id] = envelope }
        }
        logger.notice("queue runner started with \(envelopes.count) queued message(s)")
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !state.withLock({ $0.stopping }) && !Task.isCancelled {
                    for id in applyControlRequests() {
                        group.addTask {
                            await self.administrativeBounce(id)
                            self.state.withLock { _ = $0.inFlight.remove(id) }
                        }
                    }
                    for id in dueMessages() {
                        group.addTask {
                            await self.attempt(id)
                            self.state.withLock { _ = $0.inFlight.remove(id) }
                            self.wake.signal()
                        }
                    }
                    await withTaskCancellationHandler {
                        await wake.wait(timeout: untilNextDue())
                    } onCancel: {
                        self.wake.signal()
                    }
                }
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.wake.signal()
        }
        logger.notice("queue runner stopped; \(count) message(s) remain queued")
    }

    /// Picks due messages up to the concurrency limit and marks them in flight.
    private func dueMessages() -> [String] {
        let now = self.now()
        return state.withLock { state in
            let free = settings.concurrency - state.inFlight.count
            guard free > 0 else { return [] }
            let due = state.messages.values
                .filter { $0.nextAttempt <= now && !state.inFlight.contains($0.id) }
                .sorted { $0.nextAttempt < $1.nextAttempt }
                .prefix(free)
                .map(\.id)
            state.inFlight.formUnion(due)
            return due
        }
    }

    /// How long to sleep: until the next attempt is due, at most a second
    /// (control requests from `sims queue` are read once a second).
    private func untilNextDue() -> Duration {
        let next = state.withLock { state in
            state.messages.values.filter { !state.inFlight.contains($0.id) }.map(\.nextAttempt).min()
        }
        guard let next else { return .seconds(1) }
        let seconds = max(0, min(1, next.timeIntervalSince(now())))
        return .milliseconds(Int(seconds * 1000))
    }
}
