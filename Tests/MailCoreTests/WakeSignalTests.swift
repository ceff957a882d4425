import Testing

import MailCore

@Suite("WakeSignal (wakes the queue runner and the ACME service)")
struct WakeSignalTests {
    @Test func aWakeBeforeTheWaitIsKept() async {
        let signal = WakeSignal()
        signal.wake()
        let clock = ContinuousClock()
        let elapsed = await clock.measure { await signal.sleep(for: .seconds(600)) }
        // Far below the sleep; room for a cooperative pool that other
        // tests keep busy for seconds on a 2-core machine (13 s seen).
        #expect(elapsed < .seconds(60))
    }

    @Test func aWakeEndsALongSleep() async {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await signal.sleep(for: .seconds(600)) }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(50))
                    signal.wake()
                }
            }
        }
        // Far below the sleep; room for a cooperative pool that other
        // tests keep busy for seconds on a 2-core machine (13 s seen).
        #expect(elapsed < .seconds(60))
    }

    @Test func cancellationEndsAWait() async {
        let signal = WakeSignal()
        let task = Task { await signal.wait() }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        await task.value
        // Without a wake, a later sleep lasts its time (no wake was left pending).
        let elapsed = await ContinuousClock().measure { await signal.sleep(for: .milliseconds(200)) }
        #expect(elapsed >= .milliseconds(200))
    }
}
