import Configuration
import Logging
import MailCore
import Synchronization

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
    let module: String
    let sink: LogSink
    /// The server's levels, read at every event so that a SIGHUP that
    /// changes `[log]` reaches loggers made before it; nil: `fixedThreshold`.
    let levels: LogLevels?
    let fixedThreshold: Int

    public init(module: String, threshold: Int, sink: LogSink) {
        self.module = module
        self.fixedThreshold = threshold
        self.levels = nil
        self.sink = sink
    }

    init(module: String, levels: LogLevels, sink: LogSink) {
        self.module = module
        self.fixedThreshold = 0
        self.levels = levels
        self.sink = sink
    }

    var threshold: Int { levels?.threshold(of: module) ?? fixedThreshold }

    /// The cheap gate in `Logger` (skips building messages we would drop).
    /// It follows sims.toml: setting it from code has no effect.
    public var logLevel: Logger.Level {
        get { SIMSLogLevel.gate(for: threshold) }
        set {}
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
    let levels: LogLevels

    public init(sink: LogSink, defaultLevel: Int, moduleLevels: [String: Int]) {
        self.sink = sink
        self.levels = LogLevels(defaultLevel: defaultLevel, moduleLevels: moduleLevels)
    }

    /// The level in effect for `module`.
    public func level(of module: LogModule) -> Int { levels.threshold(of: module.rawValue) }

    /// New levels for every logger, those already made included (SIGHUP);
    /// announced in the log like the startup levels, so `sims audit` knows
    /// what the log can show from here on. True when anything changed.
    @discardableResult
    public func apply(defaultLevel: Int, moduleLevels: [String: Int]) -> Bool {
        guard levels.replace(defaultLevel: defaultLevel, moduleLevels: moduleLevels) else { return false }
        announceLevels()
        return true
    }

    /// Writes `log levels: SMTP=2 SUBMIT=2 …` whatever SYSTEM's level is, so
    /// `sims audit` knows from the log itself what it can see, also after a
    /// restart with other levels.
    public func announceLevels() {
        let levels = LogModule.allCases.map { (module: $0.rawValue, level: level(of: $0)) }
        let (stamp, day) = LogTimestamp.now()
        sink.write("\(stamp) 2 \(LogModule.system.rawValue) \(AuditedLogLevels.startupLine(levels: levels))", day: day)
    }

    public func logger(_ module: LogModule) -> Logger {
        Logger(label: module.rawValue) { [levels, sink] _ in
            SIMSLogHandler(module: module.rawValue, levels: levels, sink: sink)
        }
    }
}

/// The configured levels (`log.level`, `log.modules`), shared by every
/// logger of the server and replaced as a whole on SIGHUP.
final class LogLevels: Sendable {
    private let state: Mutex<(defaultLevel: Int, moduleLevels: [String: Int])>

    init(defaultLevel: Int, moduleLevels: [String: Int]) {
        state = Mutex((defaultLevel, moduleLevels))
    }

    func threshold(of module: String) -> Int {
        state.withLock { $0.moduleLevels[module] ?? $0.defaultLevel }
    }

    func replace(defaultLevel: Int, moduleLevels: [String: Int]) -> Bool {
        state.withLock { state in
            guard state.defaultLevel != defaultLevel || state.moduleLevels != moduleLevels else { return false }
            state = (defaultLevel, moduleLevels)
            return true
        }
    }
}
