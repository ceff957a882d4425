import Foundation
import MailStore
import Testing

@Suite("dovecot-uidlist: IMAP UIDs kept in Dovecot's format")
struct MaildirUIDListTests {
    /// As Dovecot 2.3 writes it (the header of its documentation, records of
    /// a delivery with and without extension fields).
    let dovecotFile = """
        3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1
        25019 :1275660208.M118P9.mx,S=2048
        25020 W2110 :1275660209.M3P9.mx
        25021 S900 W930 :1275660210.M4P9.mx

        """

    @Test("Dovecot's file is read: validity, next UID, GUID, records with their fields")
    func readsDovecot() throws {
        let list = try MaildirUIDList.parse(dovecotFile)
        #expect(list.uidValidity == 1_275_660_208)
        #expect(list.nextUID == 25022)
        #expect(list.guid == "3085f01b7f11094c501100008c4a11c1")
        #expect(list.records.map(\.uid) == [25019, 25020, 25021])
        #expect(list.records[1] == .init(uid: 25020, baseName: "1275660209.M3P9.mx", extensions: ["W2110"]))
        #expect(list.records[2].extensions == ["S900", "W930"])
    }

    @Test("written back, it is the same text, byte for byte")
    func roundTrip() throws {
        #expect(try MaildirUIDList.parse(dovecotFile).text == dovecotFile)
    }

    @Test("Courier's version 1 is read; a record with the flags part keeps only the base name")
    func versionOne() throws {
        let list = try MaildirUIDList.parse("1 1700000000 4\n1 a.M1.mx:2,S\n3 b.M2.mx\n")
        #expect(list.uidValidity == 1_700_000_000 && list.nextUID == 4)
        #expect(list.records.map(\.baseName) == ["a.M1.mx", "b.M2.mx"])
        #expect(list.text.hasPrefix("3 V1700000000 N4 G\n"))
    }

    @Test(
        "damaged files are recognised, never trapped on",
        arguments: [
            "", "2 V1 N1\n", "3 N5 Gx\n", "3 V0 N5\n", "3 V1 N1\n0 :a\n", "3 V1 N9\n5 :a\n5 :b\n", "3 V1 N9\n5 x :a\n",
            "3 V1 N9\n5 :a/b\n", "3 V1 N9\n5 S1\n", "3 V1 N9\n99999999999 :a\n", "3 V1 N9\nfive :a\n",
        ])
    func damaged(text: String) {
        #expect(throws: MaildirUIDList.Damaged.self) { try MaildirUIDList.parse(text) }
    }

    @Test("a next UID below a used one is raised: a new message never gets an old UID")
    func nextUIDRaised() throws {
        let list = try MaildirUIDList.parse("3 V7 N2 G0\n5 :a\n")
        #expect(list.nextUID == 6)
    }

    @Test("synchronising keeps UIDs, numbers new files in arrival order, drops vanished ones")
    func synchronize() throws {
        var list = try MaildirUIDList.parse(dovecotFile)
        let changes = list.synchronize(withFolder: ["1275660208.M118P9.mx,S=2048", "1275660210.M4P9.mx", "new.M1", "new.M2"])
        #expect(changes?.removed == [25020])
        #expect(changes?.added.map(\.uid) == [25022, 25023])
        #expect(list.records.map(\.uid) == [25019, 25021, 25022, 25023])
        #expect(list.records.last?.baseName == "new.M2")
        #expect(list.nextUID == 25024)
        // Nothing new, nothing gone: nothing changes, the UIDs stay.
        let again = list.synchronize(withFolder: list.records.map(\.baseName))
        #expect(again == MaildirUIDList.Changes())
        #expect(list.records.map(\.uid) == [25019, 25021, 25022, 25023])
    }

    @Test("a rebuilt list numbers every file from 1 under the new validity")
    func rebuilt() {
        let list = MaildirUIDList.rebuilt(baseNames: ["a", "b", "c"], uidValidity: 1_800_000_000, guid: "00")
        #expect(list.records.map(\.uid) == [1, 2, 3] && list.nextUID == 4 && list.uidValidity == 1_800_000_000)
    }

    @Test("UIDs exhausted: synchronising says so instead of wrapping to 0")
    func exhausted() throws {
        var list = try MaildirUIDList.parse("3 V1 N4294967294 G0\n4294967293 :a\n")
        #expect(list.synchronize(withFolder: ["a", "b"]) != nil)
        #expect(list.synchronize(withFolder: ["a", "b", "c"]) == nil)
    }
}

@Suite("dovecot-uidlist on disk: replaced whole, rebuilt when damaged")
struct MaildirUIDListFileTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sims-uidlist-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a first synchronisation writes the list; later ones keep UIDs and write only on change")
    func keepsUIDs() throws {
        let path = try folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = MaildirUIDListFile(folder: path)
        let first = try file.synchronize(baseNames: ["a", "b"], now: 1_800_000_000, guid: "00")
        #expect(first.records.map(\.uid) == [1, 2] && first.uidValidity == 1_800_000_000)
        let second = try file.synchronize(baseNames: ["b", "c"], now: 1_900_000_000, guid: "00")
        #expect(second.uidValidity == 1_800_000_000, "UIDVALIDITY stays while the list is sound")
        #expect(second.records.map(\.uid) == [2, 3])
        #expect(try file.read() == second)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["dovecot-uidlist"])
    }

    @Test("a damaged list is rebuilt under a larger UIDVALIDITY")
    func rebuildsDamaged() throws {
        let path = try folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "3 V1900000000 N3 G00\n2 :b\n1 :a\n".write(toFile: "\(path)/dovecot-uidlist", atomically: false, encoding: .utf8)
        let file = MaildirUIDListFile(folder: path)
        let rebuilt = try file.synchronize(baseNames: ["a", "b"], now: 1_800_000_000, guid: "00")
        #expect(rebuilt.uidValidity == 1_900_000_001, "greater than the one clients saw in the damaged file")
        #expect(rebuilt.records.map(\.uid) == [1, 2])
        try "garbage".write(toFile: "\(path)/dovecot-uidlist", atomically: false, encoding: .utf8)
        #expect(try file.synchronize(baseNames: ["a"], now: 1_700_000_000, guid: "00").uidValidity == 1_700_000_000)
    }
}
