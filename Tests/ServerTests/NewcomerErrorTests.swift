import Foundation
import MailStore
import NIOCore
import Testing

@testable import Configuration
@testable import Server

@Suite("What a newcomer reads: lock, listen errors, init checks")
struct NewcomerErrorTests {
    @Test("A second lock on one data directory names the owner's pid; released locks can be taken again")
    func lock() throws {
        try withTemporaryPath { root throws in
            let data = DataDirectory("\(root)/data")
            var first: DataDirectoryLock? = try DataDirectoryLock.acquire(data)
            #expect(try String(contentsOfFile: "\(root)/data/sims.lock", encoding: .utf8) == "\(getpid())\n")
            do {
                _ = try DataDirectoryLock.acquire(data)
                Issue.record("a second lock was granted")
            } catch {
                #expect("\(error)".hasPrefix("data directory \(data.root) is in use by pid \(getpid())"))
            }
            #expect(first != nil)
            first = nil
            _ = try DataDirectoryLock.acquire(data)
        }
    }

    @Test("bind errors name the listener, the address and the fix")
    func listenErrors() {
        let submission = ListenError(
            service: "submission", address: ListenAddress(host: "127.0.0.1", port: 2587),
            error: IOError(errnoCode: EADDRINUSE, reason: "bind(descriptor:ptr:bytes:)"))
        #expect(submission.description.hasPrefix("cannot listen for submission on 127.0.0.1:2587: address already in use"))
        #expect(!submission.description.contains("errno"))
        let privileged = ListenError(
            service: "SMTP", address: ListenAddress(host: "0.0.0.0", port: 25),
            error: IOError(errnoCode: EACCES, reason: "bind(descriptor:ptr:bytes:)"))
        #expect(privileged.description.hasPrefix("cannot listen for SMTP on 0.0.0.0:25: permission denied"))
        #expect(privileged.description.contains("setcap cap_net_bind_service=+ep"))
        #expect(privileged.description.contains("AmbientCapabilities=CAP_NET_BIND_SERVICE"))
        let high = ListenError(
            service: "POP3", address: ListenAddress(host: "127.0.0.1", port: 2110),
            error: IOError(errnoCode: EACCES, reason: "bind"))
        #expect(!high.description.contains("CAP_NET_BIND_SERVICE"))
    }

    @Test(
        "init checks host name and domain before it creates anything",
        arguments: [
            ("bad host", "example.test"), ("mx.example.test", "exa mple"), ("mx_1.example.test", "example.test"),
            ("mx.example.test", "example..test"), ("", "example.test"),
        ])
    func initChecksFirst(hostname: String, domain: String) throws {
        try withTemporaryPath { root throws in
            let data = DataDirectory("\(root)/data")
            #expect(throws: (any Error).self) { try data.create(hostname: hostname, domain: domain) }
            #expect(!FileManager.default.fileExists(atPath: "\(root)/data"))
        }
    }

    @Test("A failed init keeps a database it found (sims.toml lost), and removes what it made")
    func failedInitKeepsOldDatabase() throws {
        try withTemporaryPath { root throws in
            let data = DataDirectory("\(root)/data")
            _ = try data.create(hostname: "mx.example.test", domain: "example.test")
            try FileManager.default.removeItem(atPath: data.configurationFile)
            try FileManager.default.removeItem(atPath: "\(root)/data/tls")
            // The domain is already in the database: this init fails after it opened it.
            #expect(throws: (any Error).self) { try data.create(hostname: "mx.example.test", domain: "example.test") }
            #expect(FileManager.default.fileExists(atPath: "\(root)/data/sims.sqlite"))
            #expect(!FileManager.default.fileExists(atPath: "\(root)/data/tls"))
            #expect(!data.exists)
        }
    }

    @Test("Host names init accepts")
    func validHostnames() {
        for name in ["mx.example.org", "localhost", "a-b.c.example"] { #expect(DataDirectory.isValidHostname(name), "\(name)") }
        for name in ["bad host", "mx", "-mx.example.org", "mx.example.org.", "mx..example.org", "mx/1.example"] {
            #expect(!DataDirectory.isValidHostname(name), "\(name)")
        }
    }
}
