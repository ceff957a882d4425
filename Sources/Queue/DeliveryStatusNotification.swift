import Foundation
import MailCore

/// One recipient's line in a delivery status notification.
public struct FailedRecipient: Sendable, Hashable {
    public var address: String
    /// "failed" or "delayed" (RFC 3464 § 2.3.3).
    public var action: String
    /// RFC 3463 status, e.g. "5.1.1".
    public var status: String
    public var remoteHost: String?
    /// What the remote server said, or why we gave up.
    public var diagnostic: String

    public init(address: String, action: String, status: String, remoteHost: String?, diagnostic: String) {
        self.address = address
        self.action = action
        self.status = status
        self.remoteHost = remoteHost
        self.diagnostic = diagnostic
    }
}

/// Builds RFC 3464 delivery status notifications ("bounces"), sent from the
/// null sender so that they can never cause another bounce.
public enum DeliveryStatusNotification {
    /// - Parameter originalMessage: the queued message; only its header is quoted back.
    public static func make(
        hostname: String, queueID: String, sender: String, arrival: Date, recipients: [FailedRecipient],
        originalMessage: [UInt8], now: Date, boundaryToken: String = UUID().uuidString
    ) -> [UInt8] {
        let boundary = "\(queueID).\(boundaryToken)/\(hostname)"
        let delayed = recipients.allSatisfy { $0.action == "delayed" }
        var text = ""
        text += "From: Mail Delivery System <MAILER-DAEMON@\(hostname)>\r\n"
        text += "To: <\(sender)>\r\n"
        text += "Subject: \(delayed ? "Delayed Mail (still being retried)" : "Undelivered Mail Returned to Sender")\r\n"
        text += "Date: \(RFC5322Date.format(now))\r\n"
        text += "Message-ID: <\(queueID).\(Int(now.timeIntervalSince1970)).dsn@\(hostname)>\r\n"
        text += "Auto-Submitted: auto-replied\r\n"  // RFC 3834: no auto-reply loops
        text += "MIME-Version: 1.0\r\n"
        text += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"\(boundary)\"\r\n"
        text += "\r\n"
        text += "This is a MIME-encapsulated message.\r\n\r\n"
        text += "--\(boundary)\r\n"
        text += "Content-Description: Notification\r\n"
        text += "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        text += "This is the mail system at host \(hostname).\r\n\r\n"
        if delayed {
            text += "Your message could not be delivered yet. The mail system will keep\r\n"
            text += "trying; you do not need to send it again.\r\n\r\n"
        } else {
            text += "I'm sorry to have to inform you that your message could not\r\n"
            text += "be delivered to one or more recipients. It's attached below.\r\n\r\n"
        }
        for recipient in recipients {
            text += "<\(recipient.address)>: \(recipient.remoteHost.map { "host \($0) said: " } ?? "")\(oneLine(recipient.diagnostic))\r\n"
        }
        text += "\r\n--\(boundary)\r\n"
        text += "Content-Description: Delivery report\r\n"
        text += "Content-Type: message/delivery-status\r\n\r\n"
        // RFC 3464 § 2.2: per-message fields.
        text += "Reporting-MTA: dns; \(hostname)\r\n"
        text += "X-SIMS-Queue-ID: \(queueID)\r\n"
        text += "X-SIMS-Sender: rfc822; \(sender)\r\n"
        text += "Arrival-Date: \(RFC5322Date.format(arrival))\r\n"
        for recipient in recipients {
            // RFC 3464 § 2.3: per-recipient fields, each group after a blank line.
            text += "\r\n"
            // No Original-Recipient: it is only for an ORCPT the client gave (RFC 3464 § 2.3.1).
            text += "Final-Recipient: rfc822; \(recipient.address)\r\n"
            text += "Action: \(recipient.action)\r\n"
            text += "Status: \(recipient.status)\r\n"
            if let host = recipient.remoteHost { text += "Remote-MTA: dns; \(host)\r\n" }
            text += "Diagnostic-Code: smtp; \(oneLine(recipient.diagnostic))\r\n"
        }
        text += "\r\n--\(boundary)\r\n"
        text += "Content-Description: Undelivered Message Headers\r\n"
        text += "Content-Type: text/rfc822-headers\r\n\r\n"
        var bytes = Array(text.utf8)
        bytes += header(of: originalMessage)
        bytes += Array("\r\n--\(boundary)--\r\n".utf8)
        return bytes
    }

    /// The header section of a message, up to (not including) the blank line.
    static func header(of message: [UInt8]) -> [UInt8] {
        let separator: [UInt8] = [13, 10, 13, 10]
        if message.count >= 4 {
            for index in 0...(message.count - 4) where message[index] == 13 && Array(message[index..<index + 4]) == separator {
                return Array(message[..<(index + 2)])
            }
        }
        return message.count > 64 * 1024 ? Array(message.prefix(64 * 1024)) : message
    }

    /// Remote replies can be multi-line; a DSN field is one line.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}
