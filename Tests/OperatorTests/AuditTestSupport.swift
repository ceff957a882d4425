import Testing

@testable import Operator

/// Feeds log text to an `Auditor` line by line, as a file would.
func audit(_ text: String, settings: AuditSettings = AuditSettings(listeners: ["127.0.0.1"])) -> AuditReport {
    var auditor = Auditor(settings: settings)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBufferPointer { auditor.consume(UnsafeBufferPointer($0)[...]) }
    }
    return auditor.report()
}

/// Parses one line's text into its event.
func event(_ line: String) -> LogEvent? {
    var bytes = Array(line.utf8)
    return bytes.withUnsafeMutableBufferPointer { buffer in
        LogLine(UnsafeBufferPointer(buffer)[...]).map { LogEventParser.parse($0.text) }
    }
}

/// Real lines written by the server (copied from a run), reused by several tests.
enum SampleLog {
    static let localDelivery = """
        2026-11-29T10:00:00.001Z 2 SMTP-1 127.0.0.9 connected to 127.0.0.1:2525
        2026-11-29T10:00:00.010Z 2 SMTP-1 [S.LOCAL1] 127.0.0.9 received 266 bytes from <bob@remote.test> for 1 recipients
        2026-11-29T10:00:00.011Z 2 SMTP-1 [S.LOCAL1] 127.0.0.9 <postmaster@example.test> delivered: local mailbox postmaster@example.test
        2026-11-29T10:00:00.020Z 2 SMTP-1 127.0.0.9 disconnected
        """

    static let authenticatedRelay = """
        2026-11-29T11:00:00.000Z 2 SUBMIT-1 127.0.0.9 connected to 127.0.0.1:2587
        2026-11-29T11:00:00.100Z 2 SUBMIT-1 127.0.0.9 TLS established: TLSv1.3
        2026-11-29T11:00:00.200Z 2 SUBMIT-1 127.0.0.9 authenticated as alice@example.test
        2026-11-29T11:00:00.300Z 2 SUBMIT-1 [S.AUTH1] 127.0.0.9 received 500 bytes from <alice@example.test> for 2 recipients
        2026-11-29T11:00:00.301Z 2 SUBMIT-1 [S.AUTH1] 127.0.0.9 <bob@remote.test> relayed: authenticated as alice@example.test, queued for remote.test
        2026-11-29T11:00:00.302Z 2 SUBMIT-1 [S.AUTH1] 127.0.0.9 <carol@other.test> relayed: authenticated as alice@example.test, queued for other.test
        2026-11-29T11:00:00.400Z 2 QUEUE [S.AUTH1] <bob@remote.test> sent: 127.0.0.1:2526 said 250 2.0.0 Ok: queued as 1 (authenticated as alice@example.test)
        2026-11-29T11:00:00.401Z 2 QUEUE [S.AUTH1] <carol@other.test> sent: 127.0.0.1:2526 said 250 2.0.0 Ok (authenticated as alice@example.test)
        2026-11-29T11:00:00.402Z 2 QUEUE [S.AUTH1] removed from queue: all recipients done
        2026-11-29T11:00:00.500Z 2 SUBMIT-1 127.0.0.9 disconnected
        """

    static let networkRelay = """
        2026-11-29T03:00:00.000Z 2 SMTP-2 127.0.0.2 connected to 127.0.0.1:2525
        2026-11-29T03:00:00.100Z 2 SMTP-2 [S.NET1] 127.0.0.2 received 300 bytes from <forged@innocent.test> for 1 recipients
        2026-11-29T03:00:00.101Z 2 SMTP-2 [S.NET1] 127.0.0.2 <rejected@remote.test> relayed: client network 127.0.0.2, queued for remote.test
        2026-11-29T03:00:00.200Z 2 QUEUE [S.NET1] <rejected@remote.test> bounced: 127.0.0.1:2526: 550 5.1.1 User unknown
        2026-11-29T03:00:00.210Z 2 QUEUE [S.NET1] delivery status notification for 1 recipient(s) sent to <forged@innocent.test>
        2026-11-29T03:00:00.211Z 2 QUEUE [S.NET1] removed from queue: all recipients done
        2026-11-29T03:00:00.300Z 2 QUEUE [S.DSN1] <forged@innocent.test> deferred: no MX for innocent.test
        2026-11-29T03:00:00.301Z 2 QUEUE [S.DSN1] 1 recipient(s) deferred, attempt 2 at 2026-11-29T04:00:00Z
        2026-11-29T03:00:01.000Z 2 SMTP-2 127.0.0.2 disconnected
        """

    static let refusals = """
        2026-11-29T12:00:00.000Z 2 SMTP-3 127.0.0.9 connected to 127.0.0.1:2525
        2026-11-29T12:00:00.100Z 2 SMTP-3 [S.REF1] 127.0.0.9 <x@remote.test> refused relay: client 127.0.0.9 is not authenticated and not in a client network (from <spam@spam.test>)
        2026-11-29T12:00:00.101Z 2 SMTP-3 [S.REF1] 127.0.0.9 <y@remote.test> refused relay: client 127.0.0.9 is not authenticated and not in a client network (from <spam@spam.test>)
        2026-11-29T12:00:00.102Z 2 SMTP-3 [S.REF1] 127.0.0.9 <nobody@example.test> refused: unknown user (from <spam@spam.test>)
        2026-11-29T12:00:00.200Z 2 SMTP-4 127.0.0.7 refused: listed in zen.example (127.0.0.2: spam source)
        2026-11-29T12:00:00.300Z 2 SMTP-5 127.0.0.7 refused: HELO localhost is not a valid host name
        2026-11-29T12:00:00.400Z 2 SMTP-6 127.0.0.8 <z@remote.test> refused relay: client 127.0.0.8 is not authenticated and not in a client network (from <a@b.test>)
        """

    static let bruteForce = """
        2026-11-29T13:00:00.000Z 2 SUBMIT-7 127.0.0.9 authentication failed for alice@example.test from 127.0.0.9
        2026-11-29T13:00:00.100Z 2 SUBMIT-7 127.0.0.9 authentication failed for admin@example.test from 127.0.0.9
        2026-11-29T13:00:00.200Z 2 SUBMIT-7 127.0.0.9 authentication failed for alice@example.test from 127.0.0.9 (account locked after repeated failures)
        2026-11-29T13:00:00.201Z 2 SUBMIT-7 127.0.0.9 banned 127.0.0.9 for 15m after repeated authentication failures
        2026-11-29T13:00:00.300Z 2 SUBMIT-8 127.0.0.9 refused connection: address banned for another 899 s after authentication failures
        """
}
