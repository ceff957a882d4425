import DNS
import Foundation
import Testing

@testable import AntiSpam

/// check_host() against an in-memory zone: each mechanism, the modifiers,
/// record selection, the lookup limits and DNS errors.
@Suite struct SPFEvaluatorTests {
    static func evaluator(_ zone: SPFTestZone) -> SPFEvaluator {
        SPFEvaluator(resolver: zone, receiver: "mx.receiver.test", now: { Date(timeIntervalSince1970: 1_700_000_000) })
    }

    static func check(_ record: String, ip: String = "192.0.2.10", configure: (SPFTestZone) -> Void = { _ in }) async
        -> SPFOutcome
    {
        let zone = SPFTestZone()
        zone.txt["example.com"] = ["some other text", record]
        configure(zone)
        return await evaluator(zone).evaluate(ip: ip, mailFrom: "alice@example.com", helo: "mail.example.com")
    }

    @Test func ip4AndAllDecideWithTheirQualifiers() async {
        let pass = await Self.check("v=spf1 ip4:192.0.2.0/24 -all")
        #expect(pass.result == .pass && pass.mechanism == "ip4:192.0.2.0/24" && pass.domain == "example.com")
        let fail = await Self.check("v=spf1 ip4:198.51.100.1 -all")
        #expect(fail.result == .fail && fail.mechanism == "-all" && fail.explanation == nil)
        #expect(await Self.check("v=spf1 ~all").result == .softfail)
        #expect(await Self.check("v=spf1 ?all").result == .neutral)
        let neutral = await Self.check("v=spf1 ip4:198.51.100.1")
        #expect(neutral.result == .neutral && neutral.mechanism == "default")
    }

    @Test func ip6AndMappedClients() async {
        #expect(await Self.check("v=spf1 ip6:2001:db8::/32 -all", ip: "2001:db8:1::5").result == .pass)
        #expect(await Self.check("v=spf1 ip6:2001:db8::/48 -all", ip: "2001:db8:1::5").result == .fail)
        // An IPv4-mapped IPv6 client is the IPv4 client (§ 5).
        #expect(await Self.check("v=spf1 ip4:192.0.2.10 -all", ip: "::ffff:192.0.2.10").result == .pass)
        #expect(await Self.check("v=spf1 ip6:::ffff:192.0.2.10 -all", ip: "192.0.2.10").result == .fail)
    }

    @Test func aMechanismWithDomainAndPrefixLengths() async {
        let outcome = await Self.check("v=spf1 a:hosts.example.com/24//64 -all") { zone in
            zone.a["hosts.example.com"] = ["192.0.2.200"]
            zone.aaaa["hosts.example.com"] = ["2001:db8::1"]
        }
        #expect(outcome.result == .pass)
        let v6 = await Self.check("v=spf1 a:hosts.example.com/24//64 -all", ip: "2001:db8::ffff") { zone in
            zone.a["hosts.example.com"] = ["192.0.2.200"]
            zone.aaaa["hosts.example.com"] = ["2001:db8::1"]
        }
        #expect(v6.result == .pass)
        let own = await Self.check("v=spf1 a -all") { $0.a["example.com"] = ["192.0.2.10"] }
        #expect(own.result == .pass && own.mechanism == "a")
    }

    @Test func mxMechanismAndItsLimit() async {
        let pass = await Self.check("v=spf1 mx -all") { zone in
            zone.mx["example.com"] = [MXRecord(preference: 10, exchange: "mx1.example.com")]
            zone.a["mx1.example.com"] = ["192.0.2.10"]
        }
        #expect(pass.result == .pass)
        let tooMany = await Self.check("v=spf1 mx -all") { zone in
            zone.mx["example.com"] = (1...11).map { MXRecord(preference: 10, exchange: "mx\($0).example.com") }
        }
        #expect(tooMany.result == .permerror)
    }

    @Test func ptrNeedsAForwardConfirmedName() async {
        let pass = await Self.check("v=spf1 ptr -all") { zone in
            zone.ptr["192.0.2.10"] = ["evil.test", "mail.example.com"]
            zone.a["mail.example.com"] = ["192.0.2.10"]
            zone.a["evil.test"] = ["192.0.2.10"]
        }
        #expect(pass.result == .pass)
        let unconfirmed = await Self.check("v=spf1 ptr -all") { zone in
            zone.ptr["192.0.2.10"] = ["mail.example.com"]
            zone.a["mail.example.com"] = ["192.0.2.99"]
        }
        #expect(unconfirmed.result == .fail)
    }

    @Test func existsExpandsMacros() async {
        let zone = SPFTestZone()
        zone.txt["example.com"] = ["v=spf1 exists:%{ir}.%{l1r+}._spf.%{d} -all"]
        zone.a["10.2.0.192.alice._spf.example.com"] = ["127.0.0.2"]
        let outcome = await Self.evaluator(zone).evaluate(ip: "192.0.2.10", mailFrom: "alice@example.com", helo: "h.test")
        #expect(outcome.result == .pass)
        #expect(zone.asked.contains("A 10.2.0.192.alice._spf.example.com"))
    }

    @Test func includeAndRedirect() async {
        let viaInclude = await Self.check("v=spf1 include:_spf.provider.test -all") { zone in
            zone.txt["_spf.provider.test"] = ["v=spf1 ip4:192.0.2.0/24 -all"]
        }
        #expect(viaInclude.result == .pass && viaInclude.mechanism == "include:_spf.provider.test")
        // An included fail only means "no match": evaluation continues.
        let includedFail = await Self.check("v=spf1 include:_spf.provider.test ~all") { zone in
            zone.txt["_spf.provider.test"] = ["v=spf1 -all"]
        }
        #expect(includedFail.result == .softfail)
        let includeNone = await Self.check("v=spf1 include:nothing.test -all")
        #expect(includeNone.result == .permerror)
        let redirect = await Self.check("v=spf1 redirect=_spf.provider.test") { zone in
            zone.txt["_spf.provider.test"] = ["v=spf1 -all exp=why.provider.test"]
            zone.txt["why.provider.test"] = ["%{i} is not a %{d} server"]
        }
        #expect(redirect.result == .fail && redirect.explanation == "192.0.2.10 is not a _spf.provider.test server")
        #expect(await Self.check("v=spf1 redirect=nothing.test").result == .permerror)
        // redirect is ignored when an "all" exists.
        #expect(await Self.check("v=spf1 ?all redirect=nothing.test").result == .neutral)
    }

    @Test func explanationOnlyForFail() async {
        let configure: (SPFTestZone) -> Void = { $0.txt["why.example.com"] = ["%{c} may not send for %{o} (ask %{r})"] }
        let fail = await Self.check("v=spf1 -all exp=why.example.com", configure: configure)
        #expect(fail.explanation == "192.0.2.10 may not send for example.com (ask mx.receiver.test)")
        let softfail = await Self.check("v=spf1 ~all exp=why.example.com", configure: configure)
        #expect(softfail.explanation == nil)
        // A broken explanation never changes the result.
        let broken = await Self.check("v=spf1 -all exp=why.example.com") { $0.txt["why.example.com"] = ["%{x}"] }
        #expect(broken.result == .fail && broken.explanation == nil)
    }

    @Test func recordSelection() async {
        let zone = SPFTestZone()
        zone.txt["two.test"] = ["v=spf1 -all", "V=SPF1 +all"]
        zone.txt["none.test"] = ["v=spf10 -all", "hello"]
        zone.txt["case.test"] = ["V=sPf1 -all"]
        let spf = Self.evaluator(zone)
        #expect(await spf.evaluate(ip: "192.0.2.1", mailFrom: "a@two.test", helo: "h.test").result == .permerror)
        #expect(await spf.evaluate(ip: "192.0.2.1", mailFrom: "a@none.test", helo: "h.test").result == .none)
        #expect(await spf.evaluate(ip: "192.0.2.1", mailFrom: "a@case.test", helo: "h.test").result == .fail)
        #expect(await spf.evaluate(ip: "192.0.2.1", mailFrom: "a@nxdomain.test", helo: "h.test").result == .none)
    }

    @Test(arguments: [
        "v=spf1 ip4:192.0.2.10 moo", "v=spf1 -all/8", "v=spf1 ip4:192.0.2.300", "v=spf1 a/33", "v=spf1 ptr:",
        "v=spf1 redirect=a.test redirect=b.test", "v=spf1 exp=", "v=spf1 a:%{x}.test", "v=spf1 a:foo-bar",
        "v=spf1 ip4:192.0.2.10\t-all", "v=spf1 include:",
    ])
    func syntaxErrorsAnywhereArePermerrors(_ record: String) async {
        #expect(await Self.check(record).result == .permerror)
    }

    @Test func unknownModifiersAreIgnored() async {
        #expect(await Self.check("v=spf1 moo.cow-far_out=man:dog/cat ip4:192.0.2.10 -all").result == .pass)
    }

    @Test func tenDNSTermsAtMost() async {
        let within = await Self.check(
            "v=spf1 " + Array(repeating: "a:x.example.com", count: 10).joined(separator: " ") + " ip4:192.0.2.10"
        ) {
            $0.a["x.example.com"] = ["198.51.100.1"]
        }
        #expect(within.result == .pass)
        let over = await Self.check(
            "v=spf1 " + Array(repeating: "a:x.example.com", count: 11).joined(separator: " ") + " ip4:192.0.2.10"
        ) {
            $0.a["x.example.com"] = ["198.51.100.1"]
        }
        #expect(over.result == .permerror)
        #expect(over.problem?.contains("more than 10") == true)
    }

    @Test func twoVoidLookupsAtMost() async {
        #expect(await Self.check("v=spf1 a:void1.test a:void2.test ?all").result == .neutral)
        let over = await Self.check("v=spf1 a:void1.test a:void2.test a:void3.test ?all")
        #expect(over.result == .permerror && over.problem?.contains("void") == true)
    }

    @Test func dnsTroubleIsTemperror() async {
        let zone = SPFTestZone()
        zone.timingOut = ["slow.test"]
        zone.txt["mech.test"] = ["v=spf1 a:slow.test -all"]
        zone.timingOut.insert("slow.test")
        let spf = Self.evaluator(zone)
        #expect(await spf.evaluate(ip: "192.0.2.1", mailFrom: "a@slow.test", helo: "h.test").result == .temperror)
        #expect(await spf.evaluate(ip: "192.0.2.1", mailFrom: "a@mech.test", helo: "h.test").result == .temperror)
    }

    @Test func identitiesAndInvalidDomains() async {
        let zone = SPFTestZone()
        zone.txt["mail.example.com"] = ["v=spf1 ip4:192.0.2.10 -all exp=why.example.com"]
        zone.txt["why.example.com"] = ["%{l} at %{o} via %{h}"]
        let spf = Self.evaluator(zone)
        // A null reverse-path checks postmaster@HELO (§ 2.4).
        let bounce = await spf.evaluate(ip: "192.0.2.99", mailFrom: "<>", helo: "mail.example.com")
        #expect(bounce.result == .fail && bounce.sender == "postmaster@mail.example.com")
        #expect(bounce.explanation == "postmaster at mail.example.com via mail.example.com")
        let helo = await spf.evaluateHELO(ip: "192.0.2.10", helo: "mail.example.com")
        #expect(helo.result == .pass && helo.identity == .helo)
        // § 4.3: malformed or single-label domains are "none", without a lookup.
        for sender in ["a@localhost", "a@[192.0.2.1]", "a@x..example.com", "a@" + String(repeating: "x", count: 64) + ".com"] {
            #expect(await spf.evaluate(ip: "192.0.2.10", mailFrom: sender, helo: "h").result == .none)
        }
        #expect(await spf.evaluate(ip: "not-an-ip", mailFrom: "a@mail.example.com", helo: "h").result == .none)
    }
}
