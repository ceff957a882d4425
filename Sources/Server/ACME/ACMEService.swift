import ACME
import Configuration
import Foundation
import Logging
import MailCore
import MailStore
import ServiceLifecycle

/// Keeps an ACME certificate in place: at start, orders one when there is
/// none or the one there is due (`RenewalSchedule`), then sleeps until the
/// renewal date; a failed attempt is retried after a growing pause
/// (`RenewalSchedule.backoff`). A new certificate is written into the files
/// `ServerTLS` serves and loaded at once: new connections get it, sessions
/// already in TLS keep theirs. The port-80 responder answers while the
/// service runs.
struct ACMEService: Service {
    let options: ACMEOptions
    let domains: [String]
    let files: ACMEFiles
    /// `ca_certificate`, resolved against the data directory.
    let caCertificatePath: String?
    let tls: ServerTLS
    let board: ChallengeBoard
    let responder: HTTP01Responder
    let storage: any BlockingWorkRunner
    let logger: Logger
    /// SIGHUP: look at the certificate again now (an order is due, or a
    /// failed one is retried at once).
    let wakeUp = WakeSignal()
    /// The longest sleep before the certificate file is looked at again (it
    /// may have been replaced by hand, or the clock moved).
    var recheck: Duration = .seconds(12 * 3600)

    func run() async throws {
        await cancelWhenGracefulShutdown { await keepCertificate() }
        await responder.close()
    }

    /// For `HangupReloader`: a line for its log summary.
    func checkAgain() -> String {
        wakeUp.wake()
        return "ACME certificate checked again"
    }

    private func keepCertificate() async {
        var failures = 0
        var announced = false
        while !Task.isCancelled {
            let current: CertificateFacts? = (try? await storage.run { [files] in files.currentCertificate() }) ?? nil
            let now = Date()
            let reason = RenewalSchedule.reasonToOrder(current, domains: domains, now: now, renewBefore: options.renewBefore)
            if let current, reason == nil {
                let renewal = RenewalSchedule.renewalDate(
                    notBefore: current.notBefore, notAfter: current.notAfter, renewBefore: options.renewBefore)
                if !announced {
                    logger.notice(
                        "ACME certificate for \(domains.joined(separator: ", ")) is valid until \(Self.text(current.notAfter)), renews at \(Self.text(renewal)); no order needed"
                    )
                    announced = true
                }
                // Wake at the renewal time, or earlier to look at the file again.
                let seconds = min(max(1, renewal.timeIntervalSince(now).rounded(.up)), Double(recheck.components.seconds))
                await wakeUp.sleep(for: .seconds(seconds))
                continue
            }
            logger.notice(
                "ACME ordering a certificate for \(domains.joined(separator: ", ")) from \(options.directory): \(reason ?? "due")"
            )
            let started = ContinuousClock.now
            do {
                let facts = try await orderAndInstall()
                let renewal = RenewalSchedule.renewalDate(
                    notBefore: facts.notBefore, notAfter: facts.notAfter, renewBefore: options.renewBefore)
                logger.notice(
                    "ACME certificate issued for \(domains.joined(separator: ", ")), valid until \(Self.text(facts.notAfter)), renews at \(Self.text(renewal)) (issuer \(facts.issuer), took \((ContinuousClock.now - started).shortText))"
                )
                failures = 0
                announced = true
            } catch {
                // A shutdown during an order cancels it: no failure to report.
                if Task.isCancelled { return }
                failures += 1
                let retryAfter: Duration? = {
                    if case .problem(let problem, _) = error as? ACMEError { return problem.retryAfter }
                    return nil
                }()
                let wait = RenewalSchedule.backoff(failures: failures, jitter: Double.random(in: 0..<1), retryAfter: retryAfter)
                logger.error(
                    "ACME certificate for \(domains.joined(separator: ", ")) not issued: \(error); attempt \(failures), next in \(wait.shortText)"
                )
                await wakeUp.sleep(for: wait)
            }
        }
    }

    /// One whole order; returns what the installed certificate says.
    private func orderAndInstall() async throws -> CertificateFacts {
        let key = try await storage.run { [files] in try files.accountKey() }
        let transport = try HTTPClientTransport(caCertificatePath: caCertificatePath)
        let outcome: Result<IssuedCertificate, any Error>
        do {
            let client = ACMEClient(transport: transport, directoryURL: options.directory, key: key)
            outcome = .success(
                try await CertificateOrder(client: client, board: board, logger: logger).issue(
                    domains: domains, contact: options.contact))
        } catch {
            outcome = .failure(error)
        }
        // Always, also after a failure or a cancellation: an HTTP client
        // must be shut down before it goes away.
        try? await transport.shutdown()
        let issued = try outcome.get()
        guard let facts = CertificateFacts(pemChain: issued.chainPEM) else {
            throw ACMEError.protocolViolation("the issued certificate cannot be read")
        }
        try await storage.run { [files, tls, logger] in
            try files.install(issued)
            guard tls.reload(logger: logger) else { throw ACMEError.protocolViolation("the issued certificate did not load") }
        }
        return facts
    }

    static func text(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
