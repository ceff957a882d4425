import Foundation
import MailCore
import MailStore
import Testing

@testable import Configuration

@Suite("DataDirectory.create")
struct DataDirectoryTests {
    func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    @Test("A new data directory has a valid sims.toml, the domain, a working postmaster, TLS files and a Maildir")
    func create() throws {
        try withTemporaryPath { root throws in
            let data = DataDirectory("\(root)/data")
            #expect(!data.exists)
            let created = try data.create(hostname: "mx.example.test", domain: "Example.TEST")
            #expect(data.exists)
            #expect(created.postmaster == "postmaster@example.test")
            #expect(created.password.count == 20)

            let configuration = try data.loadConfiguration()
            #expect(configuration.hostname == "mx.example.test")

            let directory = try data.openDirectory(configuration)
            #expect(try directory.domains().map(\.name) == ["example.test"])
            #expect(try directory.accounts() == ["postmaster@example.test"])
            let hash = try #require(try directory.passwordHash(for: "postmaster@example.test"))
            #expect(PasswordHasher.verify(created.password, against: hash))
            #expect(!PasswordHasher.verify(created.password + "x", against: hash))
            #expect(try directory.resolve(.localPostmaster) == .accounts(["postmaster@example.test"]))

            let certificate = try String(contentsOfFile: "\(root)/data/tls/cert.pem", encoding: .utf8)
            #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
            let key = try String(contentsOfFile: "\(root)/data/tls/key.pem", encoding: .utf8)
            #expect(key.contains("-----BEGIN") && key.contains("PRIVATE KEY-----"))
            let keyMode =
                try FileManager.default.attributesOfItem(atPath: "\(root)/data/tls/key.pem")[.posixPermissions] as? NSNumber
            #expect(keyMode.map { $0.intValue & 0o777 } == 0o600)

            for sub in ["tmp", "new", "cur"] {
                #expect(isDirectory("\(root)/data/mail/example.test/postmaster/Maildir/\(sub)"), "\(sub)")
            }
            #expect(isDirectory("\(root)/data/log"))
            #expect(data.resolve(configuration.storage.database) == "\(root)/data/sims.sqlite")
            #expect(data.resolve("/var/mail") == "/var/mail")
        }
    }

    @Test("Creating over an existing data directory is refused and changes nothing")
    func createTwice() throws {
        try withTemporaryPath { root throws in
            let data = DataDirectory(root)
            let first = try data.create(hostname: "mx.example.test", domain: "example.test")
            let configurationBefore = try String(contentsOfFile: data.configurationFile, encoding: .utf8)
            let keyBefore = FileManager.default.contents(atPath: "\(root)/tls/key.pem")
            #expect(throws: SetupError.self) { try data.create(hostname: "other.example.test", domain: "other.test") }
            #expect(try String(contentsOfFile: data.configurationFile, encoding: .utf8) == configurationBefore)
            #expect(FileManager.default.contents(atPath: "\(root)/tls/key.pem") == keyBefore)
            let directory = try data.openDirectory(try data.loadConfiguration())
            #expect(try directory.domains().map(\.name) == ["example.test"])
            let hash = try #require(try directory.passwordHash(for: first.postmaster))
            #expect(PasswordHasher.verify(first.password, against: hash))
        }
    }

    @Test("A mistyped domain fails without leaving a half-made data directory, and a retry works")
    func invalidDomainThenRetry() throws {
        try withTemporaryPath { root throws in
            let data = DataDirectory(root)
            #expect(throws: DirectoryError.invalidDomain("example test")) {
                try data.create(hostname: "mx.example.test", domain: "example test")
            }
            #expect(!data.exists)
            let created = try data.create(hostname: "mx.example.test", domain: "example.test")
            #expect(created.postmaster == "postmaster@example.test")
            let directory = try data.openDirectory(try data.loadConfiguration())
            #expect(try directory.domains().map(\.name) == ["example.test"])
        }
    }
}
