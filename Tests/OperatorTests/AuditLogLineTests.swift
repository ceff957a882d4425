import Testing

@testable import Operator

@Suite struct AuditLogLineTests {
    @Test func timestampsRoundTrip() {
        let millis = LogTime.parse("2026-11-29T02:14:52.815Z")
        #expect(millis == 1_795_918_492_815)
        #expect(millis.map(LogTime.format) == "2026-11-29T02:14:52.815Z")
        #expect(LogTime.parse("2026-11-28") == LogTime.parse("2026-11-28T00:00:00.000Z"))
        #expect(LogTime.parse("2026-11-28T00:00") == LogTime.parse("2026-11-28T00:00:00Z"))
        #expect(LogTime.parse("yesterday") == nil)
        #expect(LogTime.day(1_795_918_492_815) == "2026-11-29")
        #expect(LogTime.hour(1_795_918_492_815) == 2)
    }

    @Test func sinceAcceptsDurationsAndTimes() {
        let now: Int64 = 1_795_918_492_815
        #expect(AuditRun.since("24h", now: now) == now - 86_400_000)
        #expect(AuditRun.since("90m", now: now) == now - 5_400_000)
        #expect(AuditRun.since("7d", now: now) == now - 7 * 86_400_000)
        #expect(AuditRun.since("2026-11-28T00:00", now: now) == LogTime.parse("2026-11-28"))
        #expect(AuditRun.since("soon", now: now) == nil)
    }

    @Test func fieldsOfConnectionAndQueueLines() {
        var bytes = Array("2026-11-29T10:00:00.010Z 2 SMTP-1 [S.LOCAL1] 127.0.0.9 received 266 bytes".utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            let line = LogLine(UnsafeBufferPointer(buffer)[...])
            #expect(line?.level == 2)
            #expect(line?.source.text == "SMTP-1")
            #expect(line?.queueID?.text == "S.LOCAL1")
            #expect(line?.client?.text == "127.0.0.9")
            #expect(line?.text.text == "received 266 bytes")
        }
        // A queue line has no client: its first word stays in the text.
        bytes = Array("2026-11-29T10:00:00.010Z 2 QUEUE [S.X] 1 recipient(s) deferred, attempt 2".utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            let line = LogLine(UnsafeBufferPointer(buffer)[...])
            #expect(line?.client == nil)
            #expect(line?.text.text == "1 recipient(s) deferred, attempt 2")
        }
        bytes = Array("2026-11-29T10:00:00.010Z 2 SMTP-4 ::1 connected to [::1]:2525".utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            #expect(LogLine(UnsafeBufferPointer(buffer)[...])?.client?.text == "::1")
        }
    }

    @Test func notALogLine() {
        #expect(event("hello") == nil)
        #expect(event("2026-11-29 garbage garbage garbage garbage") == nil)
        #expect(event("") == nil)
    }

    @Test(arguments: [
        ("connected to 127.0.0.1:2525", LogEvent.connected),
        (
            "received 266 bytes from <bob@remote.test> for 3 recipients",
            .received(bytes: 266, sender: "bob@remote.test", recipients: 3)
        ),
        ("received 10 bytes from <> for 1 recipients", .received(bytes: 10, sender: "", recipients: 1)),
        (
            "<a@example.test> delivered: local mailbox a@example.test, b@example.test",
            .deliveredLocally(recipient: "a@example.test", mailboxes: "a@example.test, b@example.test")
        ),
        (
            "<b@remote.test> relayed: authenticated as alice@example.test, queued for remote.test",
            .relayed(recipient: "b@remote.test", permission: "authenticated as alice@example.test", domain: "remote.test")
        ),
        (
            "<b@remote.test> relayed: client network 192.168.0.0/24, queued for remote.test",
            .relayed(recipient: "b@remote.test", permission: "client network 192.168.0.0/24", domain: "remote.test")
        ),
        (
            "<b@remote.test> relayed: pop-before-smtp alice@example.test from 127.0.0.5, login 3m12s ago, queued for remote.test",
            .relayed(
                recipient: "b@remote.test", permission: "pop-before-smtp alice@example.test from 127.0.0.5, login 3m12s ago",
                domain: "remote.test")
        ),
        (
            "<x@r.test> refused relay: client 1.2.3.4 is not authenticated and not in a client network (from <s@t.test>)",
            .refusedRelay(recipient: "x@r.test", reason: "client 1.2.3.4 is not authenticated and not in a client network")
        ),
        (
            "<n@example.test> refused: unknown user (from <s@t.test>)",
            .refusedRecipient(recipient: "n@example.test", reason: "unknown user")
        ),
        ("refused: listed in zen.example (127.0.0.2)", .refused(reason: "listed in zen.example (127.0.0.2)")),
        (
            "refused connection: address banned for another 899 s",
            .refusedConnection(reason: "address banned for another 899 s")
        ),
        ("authenticated as alice@example.test", .authenticated(account: "alice@example.test")),
        (
            "authentication failed for bob from 127.0.0.9 (account locked after repeated failures)",
            .authenticationFailed(account: "bob", client: "127.0.0.9", locked: true)
        ),
        (
            "authentication failed for bob from 127.0.0.9",
            .authenticationFailed(account: "bob", client: "127.0.0.9", locked: false)
        ),
        (
            #"authentication failed for x\x20from\x206.6.6.6 from 127.0.0.9"#,
            .authenticationFailed(account: #"x\x20from\x206.6.6.6"#, client: "127.0.0.9", locked: false)
        ),
        (
            #"<\x22x\x3e\x20relayed:\x20\x22@evil.example> refused relay: client 1.2.3.4 is not authenticated (from <s@t.test>)"#,
            .refusedRelay(
                recipient: #"\x22x\x3e\x20relayed:\x20\x22@evil.example"#, reason: "client 1.2.3.4 is not authenticated")
        ),
        (
            "<p@example.test> greylisted: greylisted (127.0.0.0/24, <a@b>, <p@example.test>), retry in 300 s",
            .greylisted(recipient: "p@example.test", reason: "greylisted (127.0.0.0/24, <a@b>, <p@example.test>), retry in 300 s")
        ),
        (
            "received 10 bytes from <a@b.test> for 1 recipient (checks: spf pass)",
            .received(bytes: 10, sender: "a@b.test", recipients: 1)
        ),
        ("log levels: SMTP=1 SUBMIT=2", .logLevels(["SMTP": 1, "SUBMIT": 2])),
        (
            #""MAIL FROM:<\x22a>" answered 501 5.1.7 Bad sender"#,
            .answered(command: #"MAIL FROM:<\x22a>"#, reply: "501 5.1.7 Bad sender")
        ),
        ("banned 127.0.0.9 for 15m after repeated authentication failures", .banned(client: "127.0.0.9")),
        (
            "<b@r.test> sent: mx.r.test[127.0.0.1]:25 said 250 2.0.0 Ok (queued as 12) (client network 127.0.0.2)",
            .sent(
                recipient: "b@r.test", remote: "mx.r.test[127.0.0.1]:25", reply: "250 2.0.0 Ok (queued as 12)",
                permission: "client network 127.0.0.2")
        ),
        (
            "<b@r.test> deferred: 127.0.0.1:25: 451 4.3.0 later",
            .deferred(recipient: "b@r.test", reason: "127.0.0.1:25: 451 4.3.0 later")
        ),
        ("<b@r.test> bounced: 550 5.1.1 unknown", .bounced(recipient: "b@r.test", reason: "550 5.1.1 unknown")),
        (
            "delivery status notification for 2 recipient(s) sent to <s@t.test>",
            .statusNotification(recipients: 2, sender: "s@t.test")
        ),
        (
            "delivery status notification for 1 recipient(s) sent to <s@t.test> as S.NEW",
            .statusNotification(recipients: 1, sender: "s@t.test")
        ),
        ("bounce undeliverable, discarded: the null sender <> gets no bounce", .bounceDiscarded),
        ("login alice@example.test (TLS available), 3 message(s)", .mailboxLogin(account: "alice@example.test")),
        ("login of alice@example.test refused: mailbox in use by another session", .other),
        (
            "pop-before-smtp: 127.0.0.5 may relay as alice@example.test for 10m",
            .popBeforeSMTPOpened(client: "127.0.0.5", account: "alice@example.test")
        ),
        ("< EHLO client.test", .command("EHLO client.test")),
        (
            "\"RCPT TO:<x@y>\" answered 554 5.7.1 Relay access denied",
            .answered(command: "RCPT TO:<x@y>", reply: "554 5.7.1 Relay access denied")
        ),
        ("message-id <abc@host.test>", .messageID("abc@host.test")),
        ("something new the audit has never seen", .other),
        ("<odd@x.test> frobnicated: whatever", .other),
    ])
    func everyKnownLine(text: String, expected: LogEvent) {
        #expect(event("2026-11-29T10:00:00.000Z 2 SMTP-1 [S.Q] 127.0.0.9 " + text) == expected)
    }

    @Test func permissionsReadBack() {
        #expect(RelayGrant("authenticated as alice@example.test") == .authenticated(account: "alice@example.test"))
        #expect(RelayGrant("client network 10.0.0.0/8") == .clientNetwork(entry: "10.0.0.0/8"))
        #expect(
            RelayGrant("pop-before-smtp alice@example.test from 127.0.0.5, login 3m12s ago")
                == .popBeforeSMTP(account: "alice@example.test", client: "127.0.0.5"))
        #expect(RelayGrant("bounce of S.ABC") == .bounce(of: "S.ABC"))
        #expect(RelayGrant("") == .none)
        #expect(RelayGrant("because I said so") == .unknown("because I said so"))
        #expect(!RelayGrant("because I said so").isPermission)
    }

    @Test func boundedCounterStopsGrowing() {
        var counter = BoundedCounter(capacity: 2)
        for key in ["a", "b", "a", "c", "d", "a"] { counter.add(key) }
        #expect(counter.distinct == 2)
        #expect(counter["a"] == 3)
        #expect(counter.overflow == 2)
        #expect(counter.total == 6)
        #expect(counter.top(1).first?.key == "a")
    }
}
