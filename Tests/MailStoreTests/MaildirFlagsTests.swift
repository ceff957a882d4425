import MailStore
import Testing

@Suite("Maildir flags and Dovecot's keyword letters")
struct MaildirFlagsTests {
    @Test("flags are read from the file name and written back in ASCII order, keywords after")
    func roundTrip() {
        let flags = MaildirFlags(fileName: "1700000000.M1P2.mx,S=900:2,TSa?FPc")
        #expect(flags.letters == ["F", "P", "S", "T"])
        #expect(flags.keywords == [0, 2])
        #expect(flags.infoSuffix == ":2,FPSTac")
        #expect(flags.imapSystemFlags == ["\\Flagged", "\\Seen", "\\Deleted"])
        #expect(MaildirFlags(fileName: "1700000000.M1P2.mx").letters.isEmpty)
        #expect(MaildirFlags(fileName: "a:2,").infoSuffix == ":2,")
    }

    @Test("IMAP system flags set and cleared; \\Recent and keywords are not letters")
    func setFlags() {
        var flags = MaildirFlags()
        let stored = [flags.set("\\SEEN", true), flags.set("\\Answered", true), flags.set("\\Draft", true)]
        #expect(stored == [true, true, true])
        #expect(flags.infoSuffix == ":2,DRS")
        let cleared = flags.set("\\Seen", false)
        let notStored = [flags.set("\\Recent", true), flags.set("$Junk", true)]
        #expect(cleared && notStored == [false, false])
        #expect(flags.infoSuffix == ":2,DR")
    }

    @Test("dovecot-keywords is read as Dovecot reads it and written in index order")
    func keywordsFile() {
        var keywords = MaildirKeywords(fileText: "0 $Forwarded\n2 $Junk\nbroken\n30 toohigh\n3 $Junk\n1 \n")
        #expect(keywords.names == [0: "$Forwarded", 2: "$Junk"])
        let junk = keywords.index(of: "$Junk")
        let notJunk = keywords.index(of: "$NotJunk")
        let missing = keywords.index(of: "missing", adding: false)
        #expect(junk == 2 && notJunk == 1 && missing == nil)
        #expect(keywords.fileText == "0 $Forwarded\n1 $NotJunk\n2 $Junk\n")
        var full = MaildirKeywords()
        let indices = (0..<26).map { full.index(of: "k\($0)") }
        #expect(indices == (0..<26).map { Optional($0) })
        let overflow = full.index(of: "one too many")
        #expect(overflow == nil)
    }
}
