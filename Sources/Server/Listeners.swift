import ServiceLifecycle

/// Every listener (SMTP, submission, POP3) run as one service.
///
/// A service group shuts its services down one after another, in reverse
/// order, each waiting for the one before: with a service per listener, an
/// idle POP3 session held the stop for its whole timeout while the SMTP
/// listeners still answered 220. Here every listener runs in one task group
/// and sees the graceful shutdown at the same moment.
struct Listeners: Service {
    let services: [any Service]

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for service in services {
                group.addTask { try await service.run() }
            }
        }
    }
}
