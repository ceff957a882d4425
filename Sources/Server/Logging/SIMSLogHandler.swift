import Configuration
import Logging
import MailCore

/// Formats swift-log events as SIMS log lines:
///
///     2026-11-29T22:08:06.123Z 2 SMTP-17 [S.1A2B3C] 203.0.113.5 received 1093 bytes …
///
/// level number, then the connection id (or the module name), the queue id in
/// brackets when there is one, the peer address, and the text. Other metadata
/// follows as `key=value`.
///
/// Producers escape every client value with `LogField`; as a safety net the
/// handler also escapes line ends and other controls left in the text
/// (`LogField.lineSafe`), so one event is always one physical line.
public struct SIMSLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let module: String
    let threshold: Int
    let sink: LogSink

    public init(module: String, threshold: Int, sink: LogSink) {
        self.module = module
        self.threshold = threshold
        self.sink = sink
        logLevel = SIMSLogLevel.gate(for: threshold)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let number = SIMSLogLevel.number(for: event.level)
        guard number <= threshold else { return }
        let message = event.message
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let (stamp, day) = LogTimestamp.now()
        var text = "\(stamp) \(number) "
        text += all.removeValue(forKey: "conn").map { "\($0)" } ?? module
        if let queueID = all.removeValue(forKey: "qid") { text += " [\(queueID)]" }
        if let peer = all.removeValue(forKey: "peer") { text += " \(peer)" }
        text += " \(message)"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
        sink.write(LogField.lineSafe(text), day: day)
    }
}

/// Makes loggers for modules with their configured levels.
public struct LogFactory: Sendable {
    public let sink: LogSink
    let defaultLevel: Int
    let moduleLevels: [String: Int]

    public init(sink: LogSink, defaultLevel: Int, moduleLevels: [String: Int]) {
        self.sink = sink
        self.defaultLevel = defaultLevel
        self.moduleLevels = moduleLevels
    }

    /// The level in effect for `module`.
    public func level(of module: LogModule) -> Int { moduleLevels[module.rawValue] ?? defaultLevel }

    /// Writes `log levels: SMTP=2 SUBMIT=2 …` whatever SYSTEM's level is, so
    /// `sims audit` knows from the log itself what it can see, also after a
    /// restart with other levels.
    public func announceLevels() {
        let levels = LogModule.allCases.map { (module: $0.rawValue, level: level(of: $0)) }
        let (stamp, day) = LogTimestamp.now()
        sink.write("\(stamp) 2 \(LogModule.system.rawValue) \(AuditedLogLevels.startupLine(levels: levels))", day: day)
    }

    public func logger(_ module: LogModule) -> Logger {
        let threshold = level(of: module)
        return Logger(label: module.rawValue) { _ in
            SIMSLogHandler(module: module.rawValue, threshold: threshold, sink: sink)
        }
    }
}
