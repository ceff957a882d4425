/// A Maildir folder's IMAP UIDs, in Dovecot's `dovecot-uidlist` format, so
/// that SIMS and Dovecot can take turns on the same Maildirs without a
/// client seeing its UIDs change (issue 14). Version 3 (Dovecot 1.1 and
/// later), which SIMS writes:
///
///     3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1
///     25019 :1275660208.M118P9.mx,S=2048
///     25020 W2110 :1275660209.M3P9.mx
///
/// a header with the UIDVALIDITY (`V`), the next UID (`N`) and the
/// folder's GUID (`G`), then one line per message: its UID, optional
/// `<KEY><value>` fields, and the file's base name (the part before `:2,`,
/// the flags, which change). Version 1 (`1 <uidvalidity> <nextuid>`, then
/// `<uid> <name>`, as Courier writes it) is read too.
///
/// A value type with no I/O: reading and writing the file (atomically, and
/// under a lock shared with delivery) is the caller's.
public struct MaildirUIDList: Equatable, Sendable {
    public struct Record: Equatable, Sendable {
        public var uid: UInt32
        /// The file name without the `:2,…` info part.
        public var baseName: String
        /// Other fields, kept as they were (`S2048`, `W2110`, `G…`).
        public var extensions: [String]

        public init(uid: UInt32, baseName: String, extensions: [String] = []) {
            self.uid = uid
            self.baseName = baseName
            self.extensions = extensions
        }
    }

    public var uidValidity: UInt32
    public var nextUID: UInt32
    /// 32 hex digits; Dovecot's mailbox GUID.
    public var guid: String
    /// Ascending by UID.
    public private(set) var records: [Record]
    /// Header fields other than V, N and G, kept as they were.
    public var headerExtensions: [String]

    public init(uidValidity: UInt32, nextUID: UInt32 = 1, guid: String, records: [Record] = [], headerExtensions: [String] = []) {
        self.uidValidity = uidValidity
        self.nextUID = max(nextUID, (records.last?.uid ?? 0) &+ 1)
        self.guid = guid
        self.records = records
        self.headerExtensions = headerExtensions
    }

    /// Why a file could not be read: the folder's UIDs are then rebuilt
    /// (new UIDVALIDITY), which clients survive by resynchronising.
    public struct Damaged: Error, Equatable, Sendable {
        public var line: Int
        public var reason: String
    }

    /// The base name of a Maildir file name (`name:2,FS` → `name`).
    public static func baseName(of fileName: String) -> String {
        // By UTF-8 code unit: ':' is ASCII, so the index is a character boundary.
        guard let colon = fileName.utf8.firstIndex(of: UInt8(ascii: ":")) else { return fileName }
        return String(fileName[..<colon])
    }

    // MARK: Reading

    public static func parse(_ text: String) throws(Damaged) -> MaildirUIDList {
        try parse(Array(text.utf8))
    }

    /// Parses the file's bytes. Records are read byte by byte (a folder of
    /// 10,000 messages is read at every SELECT). A last line without its
    /// line end that does not parse is a record torn by a crash while it
    /// was appended (`MaildirUIDListFile.appendRecord`): it is left out, and
    /// its file gets a UID again at the next synchronization.
    public static func parse(_ bytes: [UInt8]) throws(Damaged) -> MaildirUIDList {
        var lines: [Range<Int>] = []
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            lines.append(start..<index)
            start = index + 1
        }
        let unterminated = start < bytes.count ? start..<bytes.count : nil
        guard let headerRange = lines.first ?? unterminated else { throw Damaged(line: 1, reason: "empty file") }
        let header = Substring(String(decoding: bytes[headerRange], as: UTF8.self))
        let fields = header.split(separator: " ")
        guard let version = fields.first else { throw Damaged(line: 1, reason: "no version") }
        var list: MaildirUIDList
        switch version {
        case "3":
            var validity: UInt32?
            var next: UInt32?
            var guid = ""
            var others: [String] = []
            for field in fields.dropFirst() {
                let value = field.dropFirst()
                switch field.first {
                case "V": validity = UInt32(value)
                case "N": next = UInt32(value)
                case "G": guid = String(value)
                default: others.append(String(field))
                }
            }
            guard let validity, validity > 0, let next, next > 0 else {
                throw Damaged(line: 1, reason: "header without a valid V and N: \(header.prefix(80))")
            }
            list = MaildirUIDList(uidValidity: validity, nextUID: next, guid: guid, headerExtensions: others)
        case "1":
            guard fields.count >= 3, let validity = UInt32(fields[1]), validity > 0, let next = UInt32(fields[2]), next > 0 else {
                throw Damaged(line: 1, reason: "version 1 header without validity and next UID")
            }
            list = MaildirUIDList(uidValidity: validity, nextUID: next, guid: "")
        default:
            throw Damaged(line: 1, reason: "unsupported version \(version.prefix(10))")
        }
        var previous: UInt32 = 0
        let recordVersion = version == "3" ? 3 : 1
        list.records.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated().dropFirst() {
            let record = try Self.record(bytes[line], version: recordVersion, number: index + 1)
            guard record.uid > previous else { throw Damaged(line: index + 1, reason: "UIDs not ascending") }
            previous = record.uid
            list.records.append(record)
        }
        if let unterminated, !lines.isEmpty,
            let record = try? Self.record(bytes[unterminated], version: recordVersion, number: lines.count + 1),
            record.uid > previous
        {
            previous = record.uid
            list.records.append(record)
        }
        // A next UID at or below a used one would give a new message an old UID.
        list.nextUID = max(list.nextUID, previous &+ 1)
        return list
    }

    private static func record(_ line: ArraySlice<UInt8>, version: Int, number: Int) throws(Damaged) -> Record {
        let space = UInt8(ascii: " ")
        let colon = UInt8(ascii: ":")
        var index = line.startIndex
        var uid: UInt64 = 0
        while index < line.endIndex, line[index] >= 0x30, line[index] <= 0x39, uid < UInt64(UInt32.max) {
            uid = uid * 10 + UInt64(line[index] - 0x30)
            index += 1
        }
        guard index > line.startIndex, uid > 0, uid < UInt64(UInt32.max) else {
            throw Damaged(line: number, reason: "no valid UID")
        }
        guard index < line.endIndex, line[index] == space else { throw Damaged(line: number, reason: "no space after the UID") }
        while index < line.endIndex, line[index] == space { index += 1 }
        var extensions: [String] = []
        if version == 3 {
            while index < line.endIndex, line[index] != colon {
                let first = line[index]
                guard first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else {
                    throw Damaged(line: number, reason: "invalid field")
                }
                let fieldStart = index
                while index < line.endIndex, line[index] != space { index += 1 }
                extensions.append(String(decoding: line[fieldStart..<index], as: UTF8.self))
                while index < line.endIndex, line[index] == space { index += 1 }
            }
            guard index < line.endIndex, line[index] == colon else { throw Damaged(line: number, reason: "no file name") }
            index += 1
        }
        // The base name: up to the flags' colon.
        let nameEnd = line[index...].firstIndex(of: colon) ?? line.endIndex
        let name = line[index..<nameEnd]
        guard !name.isEmpty, !name.contains(UInt8(ascii: "/")) else { throw Damaged(line: number, reason: "invalid file name") }
        return Record(uid: UInt32(uid), baseName: String(decoding: name, as: UTF8.self), extensions: extensions)
    }

    /// The `V` field of a version 3 header, even when the rest of the file
    /// is damaged.
    public static func validityInHeader(of text: String) -> UInt32? {
        guard let header = text.split(separator: "\n").first, header.hasPrefix("3 ") else { return nil }
        return header.split(separator: " ").first { $0.hasPrefix("V") }.flatMap { UInt32($0.dropFirst()) }
    }

    // MARK: Writing

    /// The file's text in version 3.
    public var text: String {
        var header = "3 V\(uidValidity) N\(nextUID) G\(guid)"
        for field in headerExtensions { header += " \(field)" }
        var text = header + "\n"
        for record in records {
            text += "\(record.uid)"
            for field in record.extensions { text += " \(field)" }
            text += " :\(record.baseName)\n"
        }
        return text
    }

    // MARK: Synchronising with the folder

    /// What changed when the list was brought in line with the folder.
    public struct Changes: Equatable, Sendable {
        public var added: [Record] = []
        public var removed: [UInt32] = []

        public init(added: [Record] = [], removed: [UInt32] = []) {
            self.added = added
            self.removed = removed
        }
    }

    /// Brings the list in line with the files now in the folder (`cur/` and
    /// `new/`, base names, in the order they arrived: oldest first). Files
    /// already listed keep their UIDs; new ones get the next UIDs, in that
    /// order; records whose file is gone are dropped (expunged elsewhere).
    /// nil when the UIDs are exhausted: the list is then half updated and
    /// must be rebuilt (`rebuilt`, with a new UIDVALIDITY).
    public mutating func synchronize(withFolder baseNames: [String]) -> Changes? {
        let present = Set(baseNames)
        var changes = Changes()
        records.removeAll { record in
            guard present.contains(record.baseName) else {
                changes.removed.append(record.uid)
                return true
            }
            return false
        }
        var listed = Set(records.map(\.baseName))
        for name in baseNames where !listed.contains(name) {
            guard nextUID < UInt32.max else { return nil }
            let record = Record(uid: nextUID, baseName: name)
            records.append(record)
            changes.added.append(record)
            listed.insert(name)
            nextUID += 1
        }
        return changes
    }

    /// Gives one new file the next UID (APPEND, COPY: the file is known, no
    /// directory scan needed); nil when the UIDs are exhausted.
    public mutating func add(baseName: String) -> UInt32? {
        guard nextUID < UInt32.max else { return nil }
        let uid = nextUID
        records.append(Record(uid: uid, baseName: baseName))
        nextUID += 1
        return uid
    }

    /// A new list for a folder whose list is missing or damaged: every file
    /// gets a UID in arrival order, under a new UIDVALIDITY (RFC 9051 § 2.3.1.1:
    /// clients then forget what they cached), which must be greater than the
    /// old one when there was one.
    public static func rebuilt(baseNames: [String], uidValidity: UInt32, guid: String) -> MaildirUIDList {
        var list = MaildirUIDList(uidValidity: max(uidValidity, 1), guid: guid)
        _ = list.synchronize(withFolder: baseNames)
        return list
    }
}
