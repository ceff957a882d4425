import Foundation
import MailCore
import MailStore
import Testing

@Suite("MaildirWriter")
struct MaildirWriterTests {
    static let message = Array("Received: from client.test\r\nSubject: hello\r\n\r\nbody line\r\n".utf8)
    static let accounts = ["alice@example.test", "bob@example.test", "carol@other.test"]

    func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    @Test("A delivery to three accounts puts one identical file in each new/ and leaves tmp/ empty", arguments: SyncMode.allCases)
    func threeAccounts(_ mode: SyncMode) throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test", sync: mode)
            let id = QueueID(rawValue: "S.TEST1")
            let paths = try writer.deliver(
                Self.message, to: Self.accounts, id: id, now: Date(timeIntervalSince1970: 1_700_000_000))
            #expect(paths.count == 3)
            let expectedName = "1700000000.S.TEST1.mx.example.test,S=\(Self.message.count),W=\(Self.message.count)"
            for account in Self.accounts {
                let maildir = writer.maildirPath(for: account)
                #expect(files(in: "\(maildir)/new") == [expectedName], "\(account)")
                #expect(contents("\(maildir)/new/\(expectedName)") == Self.message, "\(account)")
                #expect(files(in: "\(maildir)/tmp").isEmpty, "\(account)")
                #expect(files(in: "\(maildir)/cur").isEmpty, "\(account)")
                #expect(paths.contains("\(maildir)/new/\(expectedName)"))
            }
        }
    }

    @Test("Maildirs are laid out as mail/DOMAIN/USER/Maildir and made on first delivery")
    func layout() throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: "\(root)/mail", hostname: "mx.example.test")
            #expect(writer.maildirPath(for: "alice@example.test") == "\(root)/mail/example.test/alice/Maildir")
            try writer.deliver(Self.message, to: ["alice@example.test"], id: QueueID(rawValue: "S.L"))
            for sub in ["tmp", "new", "cur"] {
                var isDirectory: ObjCBool = false
                #expect(
                    FileManager.default.fileExists(
                        atPath: "\(root)/mail/example.test/alice/Maildir/\(sub)", isDirectory: &isDirectory))
                #expect(isDirectory.boolValue, "\(sub)")
            }
            #expect(files(in: "\(root)/mail/example.test/alice/Maildir/new").count == 1)
        }
    }

    @Test(
        "The file name ends with ,S=<size>,W=<size with CRLF>, the size is the file's, and the name has no / or :",
        arguments: [0, 1, 70_000])
    func nameAndSize(_ size: Int) throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx/evil:host", sync: .fsync)
            let message = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
            let paths = try writer.deliver(message, to: ["alice@example.test"], id: QueueID(rawValue: "S.SIZE"))
            let path = try #require(paths.first)
            let name = String(path.split(separator: "/").last!)
            // The bytes 0...255 repeated: every 256 bytes one LF (10) after a byte that is not CR (9).
            #expect(name.hasSuffix(",S=\(size),W=\(size + (size + 245) / 256)"))
            #expect(!name.contains(":"))
            #expect(path == "\(writer.maildirPath(for: "alice@example.test"))/new/\(name)")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.size] as? NSNumber)?.intValue == size)
            #expect(contents(path) == message)
        }
    }

    @Test("An account listed twice gets one copy", arguments: SyncMode.allCases)
    func duplicates(_ mode: SyncMode) throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test", sync: mode)
            let paths = try writer.deliver(
                Self.message, to: ["bob@example.test", "alice@example.test", "bob@example.test", "alice@example.test"],
                id: QueueID(rawValue: "S.DUP"))
            #expect(paths.count == 2)
            #expect(files(in: "\(writer.maildirPath(for: "alice@example.test"))/new").count == 1)
            #expect(files(in: "\(writer.maildirPath(for: "bob@example.test"))/new").count == 1)
        }
    }

    @Test("A delivery to nobody writes nothing")
    func noAccounts() throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: "\(root)/mail", hostname: "mx.example.test")
            #expect(try writer.deliver(Self.message, to: [], id: QueueID(rawValue: "S.NONE")).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: "\(root)/mail"))
        }
    }

    @Test("50 concurrent deliveries all succeed, each with its own file", arguments: SyncMode.allCases)
    func concurrent(_ mode: SyncMode) throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test", sync: mode)
            for account in Self.accounts { try writer.createMaildir(for: account) }
            let ids = QueueIDGenerator()
            let failures = Locked<[String]>([])
            let finished = runOnThreads(50) { index in
                let message = Array("Subject: message \(index)\r\n\r\nbody \(index)\r\n".utf8)
                do {
                    try writer.deliver(message, to: [Self.accounts[index % 3], "alice@example.test"], id: ids.next())
                } catch {
                    failures.withLock { $0.append("\(index): \(error)") }
                }
            }
            #expect(finished)
            #expect(failures.withLock { $0 }.isEmpty)
            let alice = files(in: "\(writer.maildirPath(for: "alice@example.test"))/new")
            #expect(alice.count == 50)
            #expect(Set(alice).count == 50)
            let bodies = Set(alice.compactMap { contents("\(writer.maildirPath(for: "alice@example.test"))/new/\($0)") })
            #expect(bodies.count == 50)
            #expect(files(in: "\(writer.maildirPath(for: "bob@example.test"))/new").count == 17)
            #expect(files(in: "\(writer.maildirPath(for: "carol@other.test"))/new").count == 16)
            for account in Self.accounts {
                #expect(files(in: "\(writer.maildirPath(for: account))/tmp").isEmpty)
            }
        }
    }

    /// Replaces an account's `new/` directory by a regular file, so that
    /// linking into it fails (tests run as root, so permissions would not).
    func breakNew(of account: String, _ writer: MaildirWriter) throws {
        let new = "\(writer.maildirPath(for: account))/new"
        try FileManager.default.removeItem(atPath: new)
        #expect(FileManager.default.createFile(atPath: new, contents: Data("not a directory".utf8)))
    }

    @Test(
        "When one recipient's new/ cannot be written, the delivery fails and no recipient keeps a copy",
        arguments: SyncMode.allCases, [0, 1, 2])
    func failureRemovesLinks(_ mode: SyncMode, broken: Int) throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test", sync: mode)
            for account in Self.accounts { try writer.createMaildir(for: account) }
            try breakNew(of: Self.accounts[broken], writer)
            #expect {
                try writer.deliver(Self.message, to: Self.accounts, id: QueueID(rawValue: "S.FAIL"))
            } throws: { error in
                guard let error = error as? DeliveryError, case .ioError = error else { return false }
                return true
            }
            for (index, account) in Self.accounts.enumerated() {
                let maildir = writer.maildirPath(for: account)
                if index != broken { #expect(files(in: "\(maildir)/new").isEmpty, "\(account)") }
                #expect(files(in: "\(maildir)/tmp").isEmpty, "\(account)")
            }
            // A later delivery to the healthy accounts still works.
            let healthy = Self.accounts.enumerated().filter { $0.offset != broken }.map(\.element)
            #expect(try writer.deliver(Self.message, to: healthy, id: QueueID(rawValue: "S.AFTER")).count == 2)
        }
    }

    @Test("When the message cannot be written to tmp/, the delivery fails and nothing reaches new/", arguments: SyncMode.allCases)
    func tmpUnwritable(_ mode: SyncMode) throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test", sync: mode)
            for account in Self.accounts { try writer.createMaildir(for: account) }
            // The first account (sorted) holds the tmp/ file.
            let tmp = "\(writer.maildirPath(for: "alice@example.test"))/tmp"
            try FileManager.default.removeItem(atPath: tmp)
            #expect(FileManager.default.createFile(atPath: tmp, contents: Data()))
            #expect(throws: DeliveryError.self) {
                try writer.deliver(Self.message, to: Self.accounts, id: QueueID(rawValue: "S.TMP"))
            }
            for account in Self.accounts {
                #expect(files(in: "\(writer.maildirPath(for: account))/new").isEmpty, "\(account)")
            }
        }
    }

    @Test("When a recipient's Maildir cannot be created, the delivery fails before anything is stored")
    func maildirCannotBeCreated() throws {
        try withTemporaryDirectory { root throws in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test", sync: .group)
            try writer.createMaildir(for: "alice@example.test")
            // bob's directory is a regular file, so bob/Maildir cannot exist.
            try FileManager.default.createDirectory(atPath: "\(root)/example.test", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: "\(root)/example.test/bob", contents: Data()))
            #expect(throws: DeliveryError.self) {
                try writer.deliver(Self.message, to: ["alice@example.test", "bob@example.test"], id: QueueID(rawValue: "S.MD"))
            }
            #expect(files(in: "\(writer.maildirPath(for: "alice@example.test"))/new").isEmpty)
            #expect(files(in: "\(writer.maildirPath(for: "alice@example.test"))/tmp").isEmpty)
        }
    }
}

@Suite("GroupCommit")
struct GroupCommitTests {
    @Test("Many threads syncing at once all return, without error")
    func concurrentSyncs() throws {
        try withTemporaryDirectory { root throws in
            let fd = open(root, O_RDONLY | O_DIRECTORY)
            try #require(fd >= 0)
            defer { close(fd) }
            let commit = GroupCommit()
            let failures = Locked<[String]>([])
            let finished = runOnThreads(32) { _ in
                for _ in 0..<5 {
                    do { try commit.sync(fileSystemOf: fd) } catch { failures.withLock { $0.append("\(error)") } }
                }
            }
            #expect(finished, "some sync calls never returned")
            #expect(failures.withLock { $0 }.isEmpty)
        }
    }

    @Test("A failed sync is reported to its caller, and the next sync works again")
    func failureIsReported() throws {
        try withTemporaryDirectory { root throws in
            let commit = GroupCommit()
            #expect {
                try commit.sync(fileSystemOf: -1)
            } throws: { error in
                guard let error = error as? DeliveryError, case .ioError = error else { return false }
                return true
            }
            let fd = open(root, O_RDONLY | O_DIRECTORY)
            try #require(fd >= 0)
            defer { close(fd) }
            try commit.sync(fileSystemOf: fd)
        }
    }
}
