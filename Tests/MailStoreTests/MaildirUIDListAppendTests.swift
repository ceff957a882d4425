import Foundation
import MailStore
import Testing

@Suite("dovecot-uidlist: records appended, as Dovecot appends them")
struct MaildirUIDListAppendTests {
    @Test("an appended record is read back; the header's stale next UID is raised past it")
    func appendedRecord() throws {
        try withTemporaryDirectory { folder throws in
            let file = MaildirUIDListFile(folder: folder)
            var list = MaildirUIDList(uidValidity: 7, nextUID: 3, guid: "g")
            _ = list.add(baseName: "1.M1P1.mx")
            try file.write(list)
            try file.appendRecord(MaildirUIDList.Record(uid: 4, baseName: "2.M2P1.mx"))
            let read = try #require(try file.read())
            #expect(read.records.map(\.uid) == [3, 4])
            #expect(read.records.last?.baseName == "2.M2P1.mx")
            #expect(read.nextUID == 5)
        }
    }

    @Test("a last record torn by a crash is left out; a whole one without its line end is kept")
    func tornLastLine() throws {
        let torn = try MaildirUIDList.parse(Array("3 V7 N3 Gg\n3 :a\n4 ".utf8))
        #expect(torn.records.map(\.uid) == [3])
        #expect(torn.nextUID == 4)
        let whole = try MaildirUIDList.parse(Array("3 V7 N3 Gg\n3 :a\n4 :b".utf8))
        #expect(whole.records.map(\.uid) == [3, 4])
        #expect(throws: MaildirUIDList.Damaged.self) { try MaildirUIDList.parse(Array("3 V7 N3 Gg\nx :a\n4 :b\n".utf8)) }
    }
}
