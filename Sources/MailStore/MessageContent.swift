/// The bytes of a message to store, written in order: `head`, then the
/// contents of `spillFile` (the text of a large message, written to disk as
/// it arrived instead of being held in memory), then `tail`.
///
/// For a small message the server's own header fields are the head and the
/// client's text the tail, so neither is copied into the other.
public struct MessageContent: Sendable {
    public var head: [UInt8]
    /// A file whose first `spillSize` bytes come after `head`.
    public var spillFile: String?
    public var spillSize: Int
    public var tail: [UInt8]

    public init(head: [UInt8] = [], spillFile: String? = nil, spillSize: Int = 0, tail: [UInt8] = []) {
        self.head = head
        self.spillFile = spillFile
        self.spillSize = spillFile == nil ? 0 : spillSize
        self.tail = tail
    }

    /// A message held entirely in memory.
    public init(_ bytes: [UInt8]) {
        self.init(head: bytes)
    }

    /// The size of the stored message.
    public var count: Int { head.count + spillSize + tail.count }
}
