import Foundation
import MailCore
import MailStore
import NIOCore
import TOMLKit

/// Reads sims.toml into a `ServerConfiguration`, collecting every problem
/// (syntax error, unknown key, wrong type, bad value) with its line.
public enum ConfigurationLoader {
    public static func load(file: String) throws -> ServerConfiguration {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw InvalidConfiguration(
                file: file, problems: [.init(key: "", line: nil, message: "cannot read: \(error.localizedDescription)")])
        }
        let (configuration, problems) = parse(text)
        guard problems.isEmpty else { throw InvalidConfiguration(file: file, problems: problems) }
        return configuration
    }

    public static func parse(_ text: String) -> (ServerConfiguration, [ConfigurationProblem]) {
        var reader = TableReader(locator: KeyLocator(text: text))
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            return (
                ServerConfiguration(),
                [.init(key: "", line: error.source.begin.line, message: "syntax error: \(error.description)")]
            )
        } catch {
            return (ServerConfiguration(), [.init(key: "", line: nil, message: "syntax error: \(error)")])
        }
        var configuration = ServerConfiguration()
        reader.read(table, prefix: "", into: &configuration)
        reader.readACME(table, into: &configuration)
        return (configuration, reader.problems)
    }
}

/// Walks the parsed table key by key. Each known key has a reader; anything
/// else is reported as unknown, so a misspelt key never silently does nothing.
struct TableReader {
    let locator: KeyLocator
    var problems: [ConfigurationProblem] = []

    mutating func problem(_ key: String, _ message: String) {
        problems.append(.init(key: key, line: locator.line(of: key), message: message))
    }

    mutating func read(_ table: TOMLTable, prefix: String, into c: inout ServerConfiguration) {
        for key in table.keys {
            let full = prefix.isEmpty ? key : "\(prefix).\(key)"
            guard let value = table[key] else { continue }
            switch full {
            case "hostname":
                if let name = string(full, value) {
                    if !name.isEmpty, !name.contains(" ") { c.hostname = name } else { problem(full, "must be a host name") }
                }
            case "auth.delay_after": c.authentication.delayAfter = int(full, value, 1...1000) ?? c.authentication.delayAfter
            case "auth.ban_after": c.authentication.banAfter = int(full, value, 1...100_000) ?? c.authentication.banAfter
            case "auth.lock_after": c.authentication.lockAfter = int(full, value, 1...100_000) ?? c.authentication.lockAfter
            case "auth.ban":
                if let amount = duration(full, value, minimum: .seconds(1)) { c.authentication.firstBan = amount }
            case "auth.window":
                if let amount = duration(full, value, minimum: .seconds(1)) { c.authentication.window = amount }
            case "smtp", "submission", "pop3", "imap", "tls", "limits", "timeouts", "log", "log.modules", "storage", "relay", "queue", "auth",
                "delivery", "delivery.routes", "antispam", "antispam.tarpit", "antispam.greylisting", "limits.rate":
                guard let inner = value.table else { problem(full, "must be a table ([\(full)])"); continue }
                read(inner, prefix: full, into: &c)
            case "smtp.listen": c.smtpListeners = listeners(full, value) ?? c.smtpListeners
            case "submission.listen": c.submissionListeners = listeners(full, value) ?? c.submissionListeners
            case "pop3.listen": c.pop3Listeners = listeners(full, value) ?? c.pop3Listeners
            case "pop3.implicit_tls_listen": c.pop3ImplicitTLSListeners = listeners(full, value) ?? c.pop3ImplicitTLSListeners
            case "pop3.allow_plaintext": c.pop3AllowPlaintext = bool(full, value) ?? c.pop3AllowPlaintext
            case "pop3.timeout": c.pop3Timeout = duration(full, value, minimum: .seconds(1)) ?? c.pop3Timeout
            case "imap.listen": c.imap.listeners = listeners(full, value) ?? c.imap.listeners
            case "imap.implicit_tls_listen": c.imap.implicitTLSListeners = listeners(full, value) ?? c.imap.implicitTLSListeners
            case "imap.allow_plaintext": c.imap.allowPlaintext = bool(full, value) ?? c.imap.allowPlaintext
            case "imap.timeout": c.imap.timeout = duration(full, value, minimum: .seconds(1)) ?? c.imap.timeout
            case "imap.maximum_session":
                c.imap.maximumSession = duration(full, value, minimum: .seconds(1)) ?? c.imap.maximumSession
            case "imap.max_line_length": c.imap.maximumLineLength = int(full, value, 1000...1_048_576) ?? c.imap.maximumLineLength
            case "imap.max_literal_size":
                c.imap.maximumLiteralSize = int(full, value, 1024...2_147_483_647) ?? c.imap.maximumLiteralSize
            case "imap.max_sessions_per_account":
                c.imap.maximumSessionsPerAccount = int(full, value, 1...10_000) ?? c.imap.maximumSessionsPerAccount
            case "storage.quota": c.storage.quota = Int64(int(full, value, 0...Int.max) ?? Int(c.storage.quota))
            case "submission.hide_client_address": c.hideSubmitterAddress = bool(full, value) ?? c.hideSubmitterAddress
            case "submission.implicit_tls_listen":
                c.submissionImplicitTLSListeners = listeners(full, value) ?? c.submissionImplicitTLSListeners
            case "tls.acme": continue  // readACME, after the rest (its defaults depend on [tls])
            case "tls.certificate": c.tlsCertificate = string(full, value) ?? c.tlsCertificate
            case "tls.key": c.tlsKey = string(full, value) ?? c.tlsKey
            case "limits.command_line_length":
                c.limits.commandLineLength = int(full, value, 512...65_536) ?? c.limits.commandLineLength
            case "limits.text_line_length":
                c.limits.textLineLength = int(full, value, 1000...1_048_576) ?? c.limits.textLineLength
            case "limits.message_size": c.limits.messageSize = int(full, value, 1024...2_147_483_647) ?? c.limits.messageSize
            case "limits.recipients_per_message":
                c.limits.recipientsPerMessage = int(full, value, 1...100_000) ?? c.limits.recipientsPerMessage
            case "limits.errors_per_session":
                c.limits.errorsPerSession = int(full, value, 1...10_000) ?? c.limits.errorsPerSession
            case "limits.commands_per_session":
                c.limits.commandsPerSession = int(full, value, 10...10_000_000) ?? c.limits.commandsPerSession
            case "limits.connections": c.limits.connections = int(full, value, 1...1_000_000) ?? c.limits.connections
            case "limits.connections_per_ip":
                c.limits.connectionsPerIP = int(full, value, 1...1_000_000) ?? c.limits.connectionsPerIP
            case "timeouts.greeting_delay": c.timeouts.greetingDelay = duration(full, value) ?? c.timeouts.greetingDelay
            case "timeouts.command": c.timeouts.command = duration(full, value, minimum: .seconds(1)) ?? c.timeouts.command
            case "timeouts.data_block": c.timeouts.dataBlock = duration(full, value, minimum: .seconds(1)) ?? c.timeouts.dataBlock
            case "timeouts.shutdown_grace": c.timeouts.shutdownGrace = duration(full, value) ?? c.timeouts.shutdownGrace
            case "timeouts.minimum_data_rate":
                c.timeouts.minimumDataRate = int(full, value, 0...1_073_741_824) ?? c.timeouts.minimumDataRate
            case "timeouts.data_rate_grace": c.timeouts.dataRateGrace = duration(full, value) ?? c.timeouts.dataRateGrace
            case "timeouts.session":
                c.timeouts.maximumSession = duration(full, value, minimum: .seconds(1)) ?? c.timeouts.maximumSession
            case "timeouts.idle_eviction": c.timeouts.idleEviction = duration(full, value) ?? c.timeouts.idleEviction
            case "log.level": c.log.level = int(full, value, 1...5) ?? c.log.level
            case "log.directory": c.log.directory = string(full, value) ?? c.log.directory
            case "log.stderr": c.log.stderr = bool(full, value) ?? c.log.stderr
            case "storage.io_threads": c.storage.ioThreads = int(full, value, 1...256) ?? c.storage.ioThreads
            case "relay.pop_before_smtp": c.popBeforeSMTP = bool(full, value) ?? c.popBeforeSMTP
            case "relay.pop_before_smtp_window":
                c.popBeforeSMTPWindow = duration(full, value, minimum: .seconds(1)) ?? c.popBeforeSMTPWindow
            case "relay.client_networks":
                c.clientNetworks = networks(full, value) ?? c.clientNetworks
            case "limits.message_memory":
                c.limits.messageMemory = int(full, value, 65_536...1_073_741_824) ?? c.limits.messageMemory
            case "limits.received_headers": c.limits.receivedHeaders = int(full, value, 10...1000) ?? c.limits.receivedHeaders
            case "queue.retry_schedule":
                c.queue.retrySchedule = durations(full, value) ?? c.queue.retrySchedule
            case "queue.maximum_lifetime":
                c.queue.maximumLifetime = duration(full, value, minimum: .seconds(1)) ?? c.queue.maximumLifetime
            case "queue.concurrency": c.queue.concurrency = int(full, value, 1...1000) ?? c.queue.concurrency
            case "queue.concurrency_per_domain":
                c.queue.concurrencyPerDomain = int(full, value, 1...1000) ?? c.queue.concurrencyPerDomain
            case "delivery.dns_servers":
                if let servers = strings(full, value) {
                    if let bad = servers.first(where: { ListenAddress(parsing: $0) == nil }) {
                        problem(full, "\(bad) is not \"address:port\"")
                    } else {
                        c.delivery.dnsServers = servers
                    }
                }
            case "delivery.port": c.delivery.port = int(full, value, 1...65535) ?? c.delivery.port
            case "delivery.relay_host":
                if let host = string(full, value) { c.delivery.relayHost = host.isEmpty ? nil : host }
            case "delivery.relay_host_username":
                if let user = string(full, value) { c.delivery.relayHostUsername = user.isEmpty ? nil : user }
            case "delivery.relay_host_password_file":
                if let path = string(full, value) { c.delivery.relayHostPasswordFile = path.isEmpty ? nil : path }
            case "delivery.tls":
                if let mode = string(full, value) {
                    if ["opportunistic", "required", "none"].contains(mode) {
                        c.delivery.tls = mode
                    } else {
                        problem(full, "must be \"opportunistic\", \"required\" or \"none\"")
                    }
                }
            case "delivery.connect_timeout":
                c.delivery.connectTimeout = duration(full, value, minimum: .milliseconds(100)) ?? c.delivery.connectTimeout
            case "storage.queue_directory": c.storage.queueDirectory = string(full, value) ?? c.storage.queueDirectory
            case "storage.sync":
                if let text = string(full, value) {
                    if let mode = SyncMode(rawValue: text) {
                        c.storage.sync = mode
                    } else {
                        problem(full, "must be \"group\" or \"fsync\"")
                    }
                }
            case "storage.mail_directory": c.storage.mailDirectory = string(full, value) ?? c.storage.mailDirectory
            case "storage.database": c.storage.database = string(full, value) ?? c.storage.database
            default:
                if readAntiSpam(full, value, into: &c.antispam) { continue }
                if prefix == "delivery.routes" {
                    if let route = string(full, value) { c.delivery.routes[key.lowercased()] = route }
                } else if prefix == "log.modules" {
                    guard LogModule(rawValue: key.uppercased()) != nil else {
                        problem(full, "unknown log module (known: \(LogModule.allCases.map(\.rawValue).joined(separator: ", ")))")
                        continue
                    }
                    if let level = int(full, value, 1...5) { c.log.modules[key.uppercased()] = level }
                } else {
                    problem(full, "unknown key")
                }
            }
        }
    }

    mutating func string(_ key: String, _ value: any TOMLValueConvertible) -> String? {
        guard let text = value.string else { problem(key, "must be a string"); return nil }
        return text
    }

    mutating func bool(_ key: String, _ value: any TOMLValueConvertible) -> Bool? {
        guard let flag = value.bool else { problem(key, "must be true or false"); return nil }
        return flag
    }

    mutating func int(_ key: String, _ value: any TOMLValueConvertible, _ range: ClosedRange<Int>) -> Int? {
        guard let number = value.int else { problem(key, "must be a whole number"); return nil }
        guard range.contains(number) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound)"); return nil
        }
        return number
    }

    mutating func duration(_ key: String, _ value: any TOMLValueConvertible, minimum: Duration = .zero) -> Duration? {
        let parsed: Duration?
        if let seconds = value.int {
            parsed = DurationText.parse(String(seconds))
        } else if let text = value.string {
            parsed = DurationText.parse(text)
        } else {
            parsed = nil
        }
        guard let parsed else { problem(key, "must be a duration such as \"30s\", \"5m\" or \"1h\""); return nil }
        guard parsed >= minimum else { problem(key, "must be at least \(minimum.exactText)"); return nil }
        return parsed
    }

    mutating func strings(_ key: String, _ value: any TOMLValueConvertible) -> [String]? {
        guard let array = value.array else { problem(key, "must be a list of strings"); return nil }
        var result: [String] = []
        for item in array {
            guard let text = item.string else { problem(key, "must be a list of strings"); return nil }
            result.append(text)
        }
        return result
    }

    mutating func durations(_ key: String, _ value: any TOMLValueConvertible) -> [Duration]? {
        guard let texts = strings(key, value), !texts.isEmpty else {
            problem(key, "must be a non-empty list of durations such as [\"5m\", \"1h\"]")
            return nil
        }
        var result: [Duration] = []
        for text in texts {
            guard let amount = DurationText.parse(text), amount > .zero else {
                problem(key, "\(text) is not a duration such as \"5m\"")
                return nil
            }
            result.append(amount)
        }
        return result
    }

    /// Client networks: single addresses, CIDR blocks, or `first-last` ranges.
    mutating func networks(_ key: String, _ value: any TOMLValueConvertible) -> [IPAddressRange]? {
        guard let texts = strings(key, value) else { return nil }
        var result: [IPAddressRange] = []
        var valid = true
        for text in texts {
            guard let range = IPAddressRange(text) else {
                problem(key, "\(text) is not an address, a CIDR block (192.168.0.0/24) or a range (192.168.0.100-192.168.0.199)")
                valid = false
                continue
            }
            result.append(range)
        }
        return valid ? result : nil
    }

    mutating func listeners(_ key: String, _ value: any TOMLValueConvertible) -> [ListenAddress]? {
        guard let array = value.array else { problem(key, "must be a list of \"address:port\" strings"); return nil }
        var result: [ListenAddress] = []
        for item in array {
            guard let text = item.string, let address = ListenAddress(parsing: text) else {
                problem(key, "\(item.debugDescription) is not \"address:port\" (IPv6: \"[::1]:2525\")")
                return nil
            }
            result.append(address)
        }
        return result
    }
}
