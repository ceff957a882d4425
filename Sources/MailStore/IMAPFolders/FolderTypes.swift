/// One message of a folder as IMAP sees it.
public struct FolderMessage: Sendable, Equatable {
    public var uid: UInt32
    /// The file name before the `:` of its info part: the `dovecot-uidlist` key,
    /// unchanged when the flags or the directory (`new/`, `cur/`) change.
    public var baseName: String
    /// The full path when the snapshot was taken (`new/` or `cur/`).
    public var path: String
    /// System-flag letters and keyword indices, from the file name.
    public var flags: MaildirFlags
    /// The keyword names, resolved through the folder's `dovecot-keywords`
    /// (a letter the file does not define is left out).
    public var keywords: [String]
    /// RFC822.SIZE: the size with CRLF line ends.
    public var size: Int
    /// INTERNALDATE: the file's mtime, seconds since 1970.
    public var internalDate: Int64
    /// Still in `new/`, or moved from `new/` to `cur/` by this snapshot:
    /// the session that took it is the first to see the message (IMAP4rev1's
    /// \Recent, RFC 3501 § 2.3.2, as the Maildir's new/ defines it).
    public var recent = false

    public init(
        uid: UInt32, baseName: String, path: String, flags: MaildirFlags, keywords: [String], size: Int, internalDate: Int64
    ) {
        self.uid = uid
        self.baseName = baseName
        self.path = path
        self.flags = flags
        self.keywords = keywords
        self.size = size
        self.internalDate = internalDate
    }
}

/// A folder's state at one moment: what SELECT, EXAMINE and STATUS report.
public struct FolderSnapshot: Sendable, Equatable {
    public var uidValidity: UInt32
    public var uidNext: UInt32
    /// Ascending by UID.
    public var messages: [FolderMessage]
    /// Every keyword the folder defines (for FLAGS and PERMANENTFLAGS).
    public var keywords: [String]

    public init(uidValidity: UInt32, uidNext: UInt32, messages: [FolderMessage], keywords: [String]) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.messages = messages
        self.keywords = keywords
    }
}

/// Why a folder operation was refused; the IMAP side maps these to NO.
public enum MailboxStoreError: Error, Equatable, Sendable {
    case noSuchFolder
    case invalidName
    case alreadyExists
    /// DELETE of a folder with subfolders (Dovecot refuses it for Maildir++ too).
    case hasChildren
    case cannotDeleteInbox
    /// All 26 keyword letters of the folder are taken.
    case tooManyKeywords
    case io(String)
}

/// STORE's `+FLAGS`, `-FLAGS` and `FLAGS`.
public enum FlagOperation: Sendable, Equatable {
    case add, remove, replace
}
