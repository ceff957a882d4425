import Foundation
import Testing

@testable import ACME

@Suite struct RenewalScheduleTests {
    let issued = Date(timeIntervalSince1970: 1_800_000_000)
    var expires: Date { issued.addingTimeInterval(90 * 86_400) }

    private func facts(names: [String] = ["mx.example.org"], selfSigned: Bool = false) -> CertificateFacts {
        CertificateFacts(notBefore: issued, notAfter: expires, issuer: "CN=R3", names: names, selfSigned: selfSigned)
    }

    @Test func aNinetyDayCertificateRenewsAfterSixtyDays() {
        #expect(RenewalSchedule.renewalDate(notBefore: issued, notAfter: expires) == issued.addingTimeInterval(60 * 86_400))
        #expect(
            RenewalSchedule.renewalDate(notBefore: issued, notAfter: expires, renewBefore: .seconds(10 * 86_400))
                == issued.addingTimeInterval(80 * 86_400))
        // A renew_before longer than the certificate lives: a third of the lifetime.
        #expect(
            RenewalSchedule.renewalDate(notBefore: issued, notAfter: expires, renewBefore: .seconds(365 * 86_400))
                == issued.addingTimeInterval(30 * 86_400))
        #expect(
            RenewalSchedule.reasonToOrder(
                facts(), domains: ["mx.example.org"], now: issued.addingTimeInterval(60), renewBefore: .seconds(365 * 86_400))
                == nil)
    }

    @Test func ordersOnlyWhenNeeded() {
        let domains = ["mx.example.org"]
        #expect(RenewalSchedule.reasonToOrder(nil, domains: domains, now: issued) == "no certificate yet")
        #expect(RenewalSchedule.reasonToOrder(facts(selfSigned: true), domains: domains, now: issued) != nil)
        #expect(RenewalSchedule.reasonToOrder(facts(), domains: domains, now: issued.addingTimeInterval(59 * 86_400)) == nil)
        #expect(RenewalSchedule.reasonToOrder(facts(), domains: domains, now: issued.addingTimeInterval(60 * 86_400)) != nil)
        // A domain added to [tls.acme] domains needs a new certificate at once.
        #expect(
            RenewalSchedule.reasonToOrder(facts(), domains: domains + ["mail.example.org"], now: issued)
                == "the certificate names mx.example.org, not mx.example.org, mail.example.org")
        #expect(RenewalSchedule.reasonToOrder(facts(names: ["mx.example.org"]), domains: ["MX.example.org"], now: issued) == nil)
    }

    @Test func backoffDoublesFromAMinuteToSixHours() {
        let waits = (1...12).map { RenewalSchedule.backoff(failures: $0, jitter: 0) }
        #expect(waits.prefix(4) == [.seconds(60), .seconds(120), .seconds(240), .seconds(480)])
        #expect(waits.last == .seconds(6 * 3600))
        #expect(RenewalSchedule.backoff(failures: 1, jitter: 0.999) <= .seconds(66))
        #expect(RenewalSchedule.backoff(failures: 1, jitter: 0.5) == .seconds(63))
        #expect(RenewalSchedule.backoff(failures: 40, jitter: 1) == .seconds(6 * 3600))
    }

    @Test func pollScheduleBoundsRetryAfter() {
        var schedule = PollSchedule()
        #expect(schedule.next(retryAfter: nil) == .seconds(1))
        #expect(schedule.next(retryAfter: "0") == .seconds(1))
        #expect(schedule.next(retryAfter: "7") == .seconds(7))
        #expect(schedule.next(retryAfter: "garbage") == .seconds(4))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(PollSchedule.parseRetryAfter("Fri, 15 Jan 2027 08:00:10 GMT", now: now) == .seconds(10))
    }
}
