import MailCore

extension SMTPClientSession {
    /// MAIL, RCPT for each recipient, DATA: all in one write when the server
    /// offers PIPELINING (RFC 2920 § 3.1: DATA may end a group), otherwise one
    /// command per round trip.
    mutating func beginTransaction() -> ClientAction {
        let reversePath = envelope.reversePath
        if !Self.isSendable(reversePath) {
            return fail("the reverse path <\(Self.printable(reversePath))> cannot be sent", nil, permanent: true)
        }
        let reversePathIsASCII = reversePath.utf8.allSatisfy { $0 < 0x80 }
        if !reversePathIsASCII && !capabilities.smtpUTF8 {
            // RFC 6531 § 3.2: without SMTPUTF8 a non-ASCII address MUST NOT be sent.
            return fail(
                "the reverse path <\(reversePath)> needs SMTPUTF8, which \(remoteName) does not offer", nil, permanent: true)
        }
        // RFC 1870 § 6.1: a message larger than the announced fixed limit is
        // not offered at all; the server would refuse it after the whole
        // transfer anyway (552 at the final ".").
        if let limit = capabilities.sizeLimit, limit > 0, message.size > limit {
            let reply = SMTPReply(
                552, .init(5, 3, 4), "Message size \(message.size) exceeds the fixed limit \(limit) of \(remoteName)")
            return fail("message too big for \(remoteName) (RFC 1870 SIZE \(limit))", reply, permanent: true)
        }

        var recipients: [String] = []
        var needsUTF8 = !reversePathIsASCII || message.hasEightBitHeaders
        for recipient in envelope.recipients {
            if !Self.isSendable(recipient) {
                recordRefusal(recipient, SMTPReply(553, .init(5, 1, 3), "Recipient address cannot be sent"))
            } else if recipient.utf8.contains(where: { $0 >= 0x80 }) {
                if capabilities.smtpUTF8 {
                    needsUTF8 = true
                    recipients.append(recipient)
                } else {
                    // RFC 6531 § 3.2 again; RFC 5248 registers 5.6.7 for it.
                    recordRefusal(
                        recipient,
                        SMTPReply(553, .init(5, 6, 7), "Non-ASCII recipient address, and \(remoteName) does not offer SMTPUTF8"))
                }
            } else {
                recipients.append(recipient)
            }
        }
        guard !recipients.isEmpty else { return quit(transactionOutcome(), after: nil) }

        var mail = "MAIL FROM:<\(reversePath)>"
        // RFC 1870 § 6: SIZE= only to a server that announced SIZE.
        if capabilities.sizeLimit != nil { mail += " SIZE=\(message.size)" }
        // RFC 6152 § 3: BODY=8BITMIME when the text has 8-bit octets. To a
        // server without 8BITMIME the message is sent unchanged (as most MTAs
        // do) rather than bounced; nearly every receiver takes 8-bit text.
        if message.hasEightBitData && capabilities.eightBitMIME { mail += " BODY=8BITMIME" }
        // RFC 6531 § 3.4: SMTPUTF8 when the envelope or the header section is
        // not ASCII. Headers alone do not stop a send to a server without it.
        if needsUTF8 && capabilities.smtpUTF8 { mail += " SMTPUTF8" }

        state = .transaction
        pipelined = capabilities.pipelining
        if pipelined {
            var batch = Self.command(mail)
            for recipient in recipients { batch += Self.command("RCPT TO:<\(recipient)>") }
            batch += Self.command("DATA")
            expected = [.mail] + recipients.map { .rcpt($0) } + [.data]
            return .send(batch)
        }
        pendingRecipients = recipients
        expected = [.mail]
        return .send(Self.command(mail))
    }

    mutating func transactionReply(_ reply: SMTPReply) -> ClientAction {
        guard !expected.isEmpty else {
            return close(
                .failed(reason: "protocol error from \(remoteName): unexpected reply \(reply)", reply: reply, isPermanent: false))
        }
        let what = expected.removeFirst()
        // RFC 5321 § 3.8: 421 means the server is closing the connection now;
        // nothing after it will be answered.
        if reply.code == 421 {
            markStaleIfUncommitted()
            return fail("\(remoteName) closed the session", reply)
        }
        switch what {
        case .mail:
            if !(200..<300).contains(reply.code) { mailRefusal = reply }
            if pipelined { return .wait }
            if let mailRefusal { return fail("MAIL FROM refused", mailRefusal) }
            return sendNextRecipient()
        case .rcpt(let recipient):
            // RFC 5321 § 4.1.1.3: 250 or 251 accept; anything else refuses this recipient only.
            if reply.code == 250 || reply.code == 251 {
                accepted.append(recipient)
                recipientReplies[recipient] = reply
            } else {
                recordRefusal(recipient, reply)
            }
            if pipelined { return .wait }
            return sendNextRecipient()
        case .data:
            return dataReply(reply)
        }
    }

    private mutating func sendNextRecipient() -> ClientAction {
        if !pendingRecipients.isEmpty {
            let recipient = pendingRecipients.removeFirst()
            expected = [.rcpt(recipient)]
            return .send(Self.command("RCPT TO:<\(recipient)>"))
        }
        // Every recipient refused: DATA would only be refused too (RFC 5321
        // § 3.3: 554 "no valid recipients"). The outcome is settled.
        if accepted.isEmpty { return quit(transactionOutcome(), after: nil) }
        expected = [.data]
        return .send(Self.command("DATA"))
    }

    /// RFC 5321 § 4.1.1.4: 354 invites the text; anything else refuses the
    /// message for every accepted recipient.
    private mutating func dataReply(_ reply: SMTPReply) -> ClientAction {
        let settled: AttemptOutcome?
        if let mailRefusal {
            settled = .failed(
                reason: "MAIL FROM refused: \(mailRefusal)", reply: mailRefusal,
                isPermanent: mailRefusal.isPermanentFailure)
        } else if accepted.isEmpty {
            settled = transactionOutcome()
        } else {
            settled = nil
        }
        if let settled {
            // RFC 2920 § 3.1: when a pipelined DATA is accepted although no
            // recipient was, the client sends the "." alone so that nothing
            // is delivered, and reads that reply before QUIT.
            guard reply.code == 354 else { return quit(settled, after: reply) }
            state = .discardingEmptyData(settled)
            return .send(Self.command("."))
        }
        guard reply.code == 354 else {
            for recipient in accepted { recipientReplies[recipient] = reply }
            return quit(transactionOutcome(), after: reply)
        }
        state = .sendingMessage
        return .sendMessage(message.wireBytes)
    }

    /// The reply to the final "." is each accepted recipient's result.
    mutating func dataEndReply(_ reply: SMTPReply) -> ClientAction {
        // A reply before the whole text was written leaves the server and
        // the client out of step: that connection is not kept.
        let complete = state == .awaitingDataEnd
        for recipient in accepted { recipientReplies[recipient] = reply }
        if keepsConnectionOpen && complete && reply.code != 421 {
            let outcome = transactionOutcome()
            state = .released(outcome)
            return .keepOpen(outcome)
        }
        return quit(transactionOutcome(), after: reply)
    }

    private mutating func recordRefusal(_ recipient: String, _ reply: SMTPReply) {
        recipientReplies[recipient] = reply
    }

    private func transactionOutcome() -> AttemptOutcome {
        .transaction(recipientReplies: recipientReplies, remote: remote)
    }

    private var remoteName: String { baseRemote }

    /// An address goes into a command line verbatim; a control character
    /// (CR or LF above all) would end the command and start another one.
    static func isSendable(_ address: String) -> Bool {
        !address.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }
    }

    static func printable(_ text: String) -> String {
        SMTPReplyDecoder.printable(Array(text.utf8))
    }
}
