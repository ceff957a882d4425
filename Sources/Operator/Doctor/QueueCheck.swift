import Foundation

/// The outbound queue: a long or old queue means deliveries are failing
/// (or someone is sending far more than usual).
enum QueueCheck {
    static let maximumMessages = 1000
    static let maximumAge: TimeInterval = 86_400

    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let queue = facts.queue else { return [] }
        guard queue.count > 0, let oldest = queue.oldest else {
            return [finding("queue.ok", .ok, "The outbound queue is empty.")]
        }
        let age = facts.now.timeIntervalSince(oldest)
        let state = "\(queue.count) message\(queue.count == 1 ? "" : "s") queued, the oldest for \(DoctorTime.age(age))"
        if queue.count > maximumMessages || age > maximumAge {
            return [
                finding(
                    "queue.growing", .warning,
                    "The queue is growing: \(state). Deliveries are failing, or someone sends far more than usual "
                        + "(a stolen password?).",
                    fix: "Look at 'sims queue list' and the deferred lines in the log; 'sims audit' shows who relayed.")
            ]
        }
        return [finding("queue.ok", .ok, "\(state).")]
    }

    private static func finding(_ id: String, _ severity: DoctorSeverity, _ found: String, fix: String? = nil)
        -> DoctorFinding
    {
        DoctorFinding(check: "queue", id: id, severity: severity, found: found, fix: fix)
    }
}
