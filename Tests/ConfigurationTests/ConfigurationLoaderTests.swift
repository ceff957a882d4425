import Foundation
import MailStore
import NIOCore
import Testing

@testable import Configuration

@Suite("ConfigurationLoader")
struct ConfigurationLoaderTests {
    /// The problems found in `text`, ordered by line.
    func problems(_ text: String) -> [ConfigurationProblem] {
        ConfigurationLoader.parse(text).1.sorted { ($0.line ?? 0, $0.key) < ($1.line ?? 0, $1.key) }
    }

    /// The single problem found in `text`.
    func problem(_ text: String) throws -> ConfigurationProblem {
        let found = problems(text)
        try #require(found.count == 1, "\(found)")
        return found[0]
    }

    func expectDefaults(_ c: ServerConfiguration, hostname: String = "mail.example.test") {
        #expect(c.hostname == hostname)
        #expect(c.smtpListeners == [ListenAddress(host: "127.0.0.1", port: 2525)])
        #expect(c.submissionListeners == [ListenAddress(host: "127.0.0.1", port: 2587)])
        #expect(c.tlsCertificate == "tls/cert.pem")
        #expect(c.tlsKey == "tls/key.pem")
        #expect(c.limits.commandLineLength == 512)
        #expect(c.limits.textLineLength == 1000)
        #expect(c.limits.messageSize == 26_214_400)
        #expect(c.limits.recipientsPerMessage == 100)
        #expect(c.limits.errorsPerSession == 10)
        #expect(c.limits.commandsPerSession == 10_000)
        #expect(c.limits.connections == 1000)
        #expect(c.limits.connectionsPerIP == 50)
        #expect(c.timeouts.greetingDelay == .zero)
        #expect(c.timeouts.command == .seconds(5 * 60))
        #expect(c.timeouts.dataBlock == .seconds(3 * 60))
        #expect(c.timeouts.shutdownGrace == .seconds(30))
        #expect(c.log.level == 2)
        #expect(c.log.modules.isEmpty)
        #expect(c.log.directory == "log")
        #expect(c.log.stderr == true)
        #expect(c.storage.ioThreads == 16)
        #expect(c.storage.sync == .group)
        #expect(c.storage.mailDirectory == "mail")
        #expect(c.storage.database == "sims.sqlite")
    }

    @Test("The file written by `sims init` parses without problems and gives the documented defaults")
    func defaultFile() {
        let (configuration, problems) = ConfigurationLoader.parse(DefaultConfigurationFile.text(hostname: "mx.example.test"))
        #expect(problems.isEmpty, "\(problems)")
        expectDefaults(configuration, hostname: "mx.example.test")
    }

    @Test("An empty file gives the built-in defaults, which are the documented ones")
    func emptyFile() {
        let (configuration, problems) = ConfigurationLoader.parse("")
        #expect(problems.isEmpty)
        expectDefaults(configuration)
        expectDefaults(ServerConfiguration())
    }

    @Test("Values that are set replace the defaults")
    func valuesAreRead() {
        let text = """
            hostname = "mx.example.test"
            [smtp]
            listen = ["0.0.0.0:25", "[::]:25"]
            [submission]
            listen = []
            [limits]
            message_size = 10485760
            connections_per_ip = 5
            [timeouts]
            greeting_delay = "3s"
            command = 600
            data_block = "10m"
            shutdown_grace = "1500ms"
            [log]
            level = 3
            stderr = false
            [log.modules]
            smtp = 4
            DNS = 5
            [storage]
            sync = "fsync"
            io_threads = 4
            """
        let (c, problems) = ConfigurationLoader.parse(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(c.hostname == "mx.example.test")
        #expect(c.smtpListeners == [ListenAddress(host: "0.0.0.0", port: 25), ListenAddress(host: "::", port: 25)])
        #expect(c.submissionListeners.isEmpty)
        #expect(c.limits.messageSize == 10_485_760)
        #expect(c.limits.connectionsPerIP == 5)
        #expect(c.limits.connections == 1000)
        #expect(c.timeouts.greetingDelay == .seconds(3))
        #expect(c.timeouts.command == .seconds(600))
        #expect(c.timeouts.dataBlock == .seconds(10 * 60))
        #expect(c.timeouts.shutdownGrace == .milliseconds(1500))
        #expect(c.log.level == 3)
        #expect(c.log.stderr == false)
        #expect(c.log.modules == ["SMTP": 4, "DNS": 5])
        #expect(c.storage.sync == .fsync)
        #expect(c.storage.ioThreads == 4)
    }

    @Test("A misspelt key is reported with its full name and line, as the documentation shows")
    func unknownKey() throws {
        let found = try problem("[limits]\nmesage_size = 5")
        #expect(found.key == "limits.mesage_size")
        #expect(found.line == 2)
        #expect(found.description == "line 2: limits.mesage_size: unknown key")
    }

    @Test("Unknown keys are found at the top level, in an unknown table, and after comments and blank lines")
    func unknownKeysElsewhere() {
        let text = """
            # comment = not a key
            hostnme = "mx.example.test"

            [limit]
            message_size = 5

            [log]
            # level = 9
            levle = 3
            """
        let found = problems(text)
        #expect(found.map(\.key) == ["hostnme", "limit", "log.levle"])
        #expect(found.map(\.line) == [2, 4, 9])
    }

    @Test(
        "A value of the wrong type is reported with key and line",
        arguments: [
            ("[limits]\nmessage_size = \"big\"", "limits.message_size", 2),
            ("[log]\nstderr = \"yes\"", "log.stderr", 2),
            ("\n[smtp]\nlisten = \"127.0.0.1:25\"", "smtp.listen", 3),
            ("[smtp]\nlisten = [25]", "smtp.listen", 2),
            ("[tls]\ncertificate = 5", "tls.certificate", 2),
            ("[log]\nlevel = 2.5", "log.level", 2),
            ("limits = 5", "limits", 1),
            ("[storage]\nsync = true", "storage.sync", 2),
        ])
    func wrongType(_ text: String, key: String, line: Int) {
        let found = problems(text)
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { $0.key == key && $0.line == line }, "\(found)")
    }

    @Test(
        "A value out of range is reported with key and line, and the default is kept",
        arguments: [
            ("[limits]\ncommand_line_length = 100", "limits.command_line_length", 2),
            ("[limits]\ntext_line_length = 999", "limits.text_line_length", 2),
            ("[limits]\nmessage_size = 10", "limits.message_size", 2),
            ("[limits]\nrecipients_per_message = 0", "limits.recipients_per_message", 2),
            ("[limits]\nconnections = -1", "limits.connections", 2),
            ("[log]\nlevel = 0", "log.level", 2),
            ("[log]\nlevel = 6", "log.level", 2),
            ("[log.modules]\nSMTP = 9", "log.modules.SMTP", 2),
            ("[storage]\nio_threads = 0", "storage.io_threads", 2),
            ("[storage]\nsync = \"sometimes\"", "storage.sync", 2),
            ("hostname = \"\"", "hostname", 1),
            ("hostname = \"mail example\"", "hostname", 1),
        ])
    func outOfRange(_ text: String, key: String, line: Int) throws {
        let (configuration, found) = ConfigurationLoader.parse(text)
        try #require(found.count == 1, "\(found)")
        #expect(found[0].key == key)
        #expect(found[0].line == line)
        expectDefaults(configuration)
    }

    @Test(
        "A listen address that is not address:port is reported, and the listener is not changed",
        arguments: [
            "127.0.0.1", "[::1]", "999.1.1.1:25", "127.0.0.1:70000", "localhost:25", "::1:25", "127.0.0.1:", ":25",
        ])
    func badListenAddress(_ address: String) throws {
        let text = "[smtp]\nlisten = [\"127.0.0.1:25\", \"\(address)\"]"
        let (configuration, found) = ConfigurationLoader.parse(text)
        try #require(found.count == 1, "\(found)")
        #expect(found[0].key == "smtp.listen")
        #expect(found[0].line == 2)
        #expect(configuration.smtpListeners == [ListenAddress(host: "127.0.0.1", port: 2525)])
    }

    @Test("IPv6 listen addresses in brackets are accepted")
    func ipv6Listen() {
        let (configuration, found) = ConfigurationLoader.parse("[submission]\nlisten = [\"[::1]:2525\", \"[2001:db8::25]:587\"]")
        #expect(found.isEmpty, "\(found)")
        #expect(
            configuration.submissionListeners == [
                ListenAddress(host: "::1", port: 2525), ListenAddress(host: "2001:db8::25", port: 587),
            ])
    }

    @Test(
        "A bad duration is reported with key and line",
        arguments: [
            ("[timeouts]\ncommand = \"5x\"", "timeouts.command"),
            ("[timeouts]\ncommand = \"-1s\"", "timeouts.command"),
            ("[timeouts]\ncommand = \"0s\"", "timeouts.command"),  // below the 1 s minimum
            ("[timeouts]\ndata_block = true", "timeouts.data_block"),
            ("[timeouts]\ngreeting_delay = -3", "timeouts.greeting_delay"),
            ("[timeouts]\nshutdown_grace = \"ten seconds\"", "timeouts.shutdown_grace"),
        ])
    func badDuration(_ text: String, key: String) throws {
        let found = try problem(text)
        #expect(found.key == key)
        #expect(found.line == 2)
    }

    @Test("A duration too large to represent is a problem, not a crash")
    func hugeDuration() async {
        await #expect(processExitsWith: .success) {
            let problems = ConfigurationLoader.parse("[timeouts]\ncommand = \"3000000h\"").1
            if problems.map(\.key) != ["timeouts.command"] || problems.first?.line != 2 { exit(1) }
        }
    }

    @Test("An unknown log module is reported with key and line; module names are case-insensitive")
    func unknownLogModule() throws {
        let found = try problem("[log]\nlevel = 2\n\n[log.modules]\nsmtp = 4\nSMTPP = 4")
        #expect(found.key == "log.modules.SMTPP")
        #expect(found.line == 6)
        #expect(ConfigurationLoader.parse("[log.modules]\nsmtp = 4\nSystem = 1").0.log.modules == ["SMTP": 4, "SYSTEM": 1])
    }

    @Test(
        "A TOML syntax error is reported with its line",
        arguments: [
            ("hostname = \"mx.example.test\"\n[limits\nmessage_size = 5", 2),
            ("hostname = \"mx.example.test\"\n\n\nlevel = = 3", 4),
            ("[log]\nlevel = 2\nlevel = 3", 3),
            ("hostname = \"unterminated", 1),
        ])
    func syntaxError(_ text: String, line: Int) throws {
        let found = try problem(text)
        #expect(found.key == "")
        #expect(found.line == line)
        #expect(found.message.hasPrefix("syntax error"))
    }

    @Test("Several problems are all reported at once, each with its key and line; good values still apply")
    func severalProblems() {
        let text = """
            hostname = "mx.example.test"

            [smtp]
            listen = ["127.0.0.1"]

            [limits]
            mesage_size = 5
            connections = 0
            connections_per_ip = 7

            [timeouts]
            command = "5x"

            [log.modules]
            NOPE = 3
            """
        let (configuration, found) = ConfigurationLoader.parse(text)
        let sorted = found.sorted { ($0.line ?? 0) < ($1.line ?? 0) }
        #expect(
            sorted.map(\.key) == [
                "smtp.listen", "limits.mesage_size", "limits.connections", "timeouts.command", "log.modules.NOPE",
            ])
        #expect(sorted.map(\.line) == [4, 7, 8, 12, 15])
        #expect(configuration.hostname == "mx.example.test")
        #expect(configuration.limits.connectionsPerIP == 7)
    }

    @Test("Line numbers are right in a file with CRLF line endings")
    func crlfLineNumbers() throws {
        let found = try problem("[log]\r\nlevel = 2\r\n\r\n[limits]\r\nmesage_size = 5\r\n")
        #expect(found.key == "limits.mesage_size")
        #expect(found.line == 5)
    }

    @Test("load(file:) refuses a file with problems and names the file and every problem")
    func loadFile() throws {
        try withTemporaryPath { path throws in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let file = "\(path)/sims.toml"
            try "[limits]\nmesage_size = 5\nconnections = 0\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect {
                try ConfigurationLoader.load(file: file)
            } throws: { error in
                guard let invalid = error as? InvalidConfiguration else { return false }
                return invalid.file == file && Set(invalid.problems.map(\.key)) == ["limits.mesage_size", "limits.connections"]
                    && invalid.description.contains("line 2: limits.mesage_size: unknown key")
            }
            #expect(throws: InvalidConfiguration.self) { try ConfigurationLoader.load(file: "\(path)/missing.toml") }
            try "hostname = \"mx.example.test\"\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try ConfigurationLoader.load(file: file).hostname == "mx.example.test")
        }
    }
}
