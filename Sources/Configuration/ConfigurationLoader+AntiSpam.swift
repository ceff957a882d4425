import AntiSpam
import MailCore
import Policy
import TOMLKit

extension TableReader {
    /// Reads one key of the anti-spam tables; false when `full` is not one of them.
    mutating func readAntiSpam(_ full: String, _ value: any TOMLValueConvertible, into c: inout AntiSpamOptions) -> Bool {
        switch full {
        case "antispam.exempt_networks": c.exemptNetworks = networks(full, value) ?? c.exemptNetworks
        case "antispam.dns_timeout": c.dnsTimeout = duration(full, value, minimum: .milliseconds(100)) ?? c.dnsTimeout
        case "antispam.dnsbl_check": c.blocklistCheck = choice(full, value) ?? c.blocklistCheck
        case "antispam.helo_policy":
            if let text = string(full, value) {
                if text == "off" {
                    c.heloMode = nil
                } else if let mode = HeloPolicy.Mode(rawValue: text) {
                    c.heloMode = mode
                } else {
                    problem(full, "must be \"log\", \"reject\", \"score\" or \"off\"")
                }
            }
        case "antispam.verify_return_path": c.verifyReturnPath = bool(full, value) ?? c.verifyReturnPath
        case "antispam.spf": c.spf = choice(full, value) ?? c.spf
        case "antispam.score_reject": c.scoreReject = number(full, value, 0...1000) ?? c.scoreReject
        case "antispam.score_junk": c.scoreJunk = number(full, value, 0...1000) ?? c.scoreJunk
        case "antispam.dnsbl":
            guard let array = value.array else { problem(full, "must be a list of [[antispam.dnsbl]] tables"); break }
            c.blocklists = []
            for (index, element) in array.enumerated() {
                guard let table = element.table else { problem(full, "entry \(index + 1) must be a table"); continue }
                if let list = blocklist(table, key: full) { c.blocklists.append(list) }
            }
        case "antispam.tarpit.free_unknown_recipients":
            c.tarpit.freeUnknownRecipients = int(full, value, 0...10_000) ?? c.tarpit.freeUnknownRecipients
        case "antispam.tarpit.first_delay":
            if let amount = duration(full, value) { c.tarpit.firstDelay = amount }
        case "antispam.tarpit.maximum_delay":
            if let amount = duration(full, value) { c.tarpit.maximumDelay = amount }
        case "antispam.tarpit.drop_after": c.tarpit.dropAfter = int(full, value, 0...100_000) ?? c.tarpit.dropAfter
        case "antispam.tarpit.penalty":
            if let amount = duration(full, value) { c.probePenalty = amount }
        case "antispam.greylisting.enabled": c.greylisting = bool(full, value) ?? c.greylisting
        case "antispam.greylisting.delay":
            if let amount = duration(full, value) { c.greylist.delay = amount }
        case "antispam.greylisting.retry_window":
            if let amount = duration(full, value, minimum: .seconds(1)) {
                c.greylist.retryWindow = amount
            }
        case "antispam.greylisting.expiry":
            if let amount = duration(full, value, minimum: .seconds(1)) { c.greylist.expiry = amount }
        case "limits.rate.connections_per_minute":
            c.rate.connectionsPerIP = int(full, value, 0...1_000_000) ?? c.rate.connectionsPerIP
        case "limits.rate.messages_per_hour": c.rate.messagesPerIP = int(full, value, 0...10_000_000) ?? c.rate.messagesPerIP
        case "limits.rate.recipients_per_hour":
            c.rate.recipientsPerIP = int(full, value, 0...10_000_000) ?? c.rate.recipientsPerIP
        case "limits.rate.user_messages_per_hour":
            c.rate.messagesPerUser = int(full, value, 0...10_000_000) ?? c.rate.messagesPerUser
        case "limits.rate.user_recipients_per_hour":
            c.rate.recipientsPerUser = int(full, value, 0...10_000_000) ?? c.rate.recipientsPerUser
        case "limits.rate.connection_window":
            if let amount = duration(full, value, minimum: .seconds(1)) {
                c.rate.connectionWindow = amount
            }
        case "limits.rate.message_window":
            if let amount = duration(full, value, minimum: .seconds(1)) {
                c.rate.messageWindow = amount
            }
        default:
            return false
        }
        return true
    }

    /// One `[[antispam.dnsbl]]` entry: zone, kind, listed, refused, action, score, name.
    private mutating func blocklist(_ table: TOMLTable, key: String) -> BlocklistConfiguration? {
        guard let zone = table["zone"]?.string, !zone.isEmpty else {
            problem(key, "every [[antispam.dnsbl]] entry needs a zone")
            return nil
        }
        let prefix = "\(key).\(zone)"
        var list = BlocklistConfiguration(zone: zone)
        var score = 1.0
        var scoring = false
        for entry in table.keys where entry != "zone" {
            guard let value = table[entry] else { continue }
            let full = "\(prefix).\(entry)"
            switch entry {
            case "kind":
                if let kind: BlocklistConfiguration.Kind = choice(full, value) { list.kind = kind }
            case "listed": list.listedAnswers = networks(full, value) ?? list.listedAnswers
            case "refused": list.refusedAnswers = networks(full, value) ?? list.refusedAnswers
            case "action":
                if let text = string(full, value) {
                    if text == "reject" || text == "score" {
                        scoring = text == "score"
                    } else {
                        problem(full, "must be \"reject\" or \"score\"")
                    }
                }
            case "score": score = number(full, value, 0...1000) ?? score
            case "name": list.name = string(full, value)
            default: problem(full, "unknown key")
            }
        }
        if scoring { list.action = .score(score) }
        return list
    }

    /// A string that must be one of an enum's raw values.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _ value: any TOMLValueConvertible
    ) -> Choice? where Choice.RawValue == String {
        guard let text = string(key, value) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            problem(key, "must be one of \(Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            return nil
        }
        return choice
    }

    /// A number, whole or not, within `range`.
    mutating func number(_ key: String, _ value: any TOMLValueConvertible, _ range: ClosedRange<Double>) -> Double? {
        guard let number = value.double ?? value.int.map(Double.init) else { problem(key, "must be a number"); return nil }
        guard range.contains(number) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return number
    }
}
