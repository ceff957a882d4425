import NIOCore

/// Collects the lines of DATA into a message, enforcing the limits that are
/// reported only once the final "." has been read.
///
/// A large message is not held in memory: once the header section has ended
/// and more than `spillThreshold` bytes are waiting, `append` says
/// `.chunkReady` and the session hands the bytes to the driver (`takeChunk`),
/// which appends them to a file. So a thousand sessions each sending 25 MiB
/// need a thousand times the threshold, not 25 GB. The header section itself
/// must fit under the threshold (it is refused otherwise): the driver reads
/// and cleans the header in the first chunk, so it must be all there.
///
/// RFC 5321 § 4.1.4 and § 4.5.2: the sender has stuffed an extra "." in front
/// of lines that begin with one; we remove it. The message ends only at
/// CR LF "." CR LF; a "." line ended any other way is text, and taints the
/// message, so a smuggled second message is never seen as one.
struct MessageAccumulator {
    enum Problem: Hashable {
        case tooLarge
        case badLineEnding
        case lineTooLong
        /// More Received headers than allowed: the message is looping.
        case tooManyHops
        /// The header section is larger than `spillThreshold`.
        case headerTooLarge
    }

    /// What `append` found.
    enum Progress: Equatable {
        /// The line was absorbed.
        case more
        /// The line was absorbed and enough text is waiting: call `takeChunk`.
        case chunkReady
        /// The line was the end-of-data marker.
        case end
    }

    let maximumSize: Int
    let maximumLineLength: Int
    let maximumHops: Int
    let spillThreshold: Int
    private(set) var inHeader = true
    private var receivedHeaders = 0
    private(set) var message: ByteBuffer
    private(set) var size = 0
    /// Bytes already handed out by `takeChunk`; the message is those bytes
    /// followed by `message`.
    private(set) var spilledBytes = 0
    private(set) var problem: Problem?
    /// Whether the previous line ended in a real CR LF. The DATA command's
    /// own CR LF counts as the first one. A "." line is the end of data only
    /// after a clean line: `<LF>.<CR><LF>` must not end a message.
    private var previousLineEndedCleanly = true

    init(maximumSize: Int, maximumLineLength: Int, maximumHops: Int = 50, spillThreshold: Int = 1 << 20) {
        self.maximumSize = maximumSize
        self.maximumLineLength = maximumLineLength
        self.maximumHops = maximumHops
        self.spillThreshold = spillThreshold
        message = ByteBuffer()
        message.reserveCapacity(4096)
    }

    /// Feeds one line. Call it on a uniquely referenced accumulator (not a
    /// copy still held elsewhere), or every line copies the whole message.
    mutating func append(_ line: InputLine) -> Progress {
        let isDotLine = line.bytes.readableBytes == 1 && line.bytes.readableBytesView.first == UInt8(ascii: ".")
        if isDotLine, line.isClean, previousLineEndedCleanly {
            return .end
        }
        if isDotLine, line.isClean {
            // A dot line after a bare LF or CR: someone tried to end the
            // message the way a different server would parse it.
            record(.badLineEnding)
        }
        previousLineEndedCleanly = line.ending == .crlf
        if line.overlong || line.wireLength > maximumLineLength {
            record(.lineTooLong)
        } else if !line.isClean {
            record(.badLineEnding)
        }
        var content = line.bytes
        if content.readableBytesView.first == UInt8(ascii: ".") {
            content.moveReaderIndex(forwardBy: 1)
        }
        if inHeader { countHops(content) }
        size += content.readableBytes + 2
        if size > maximumSize {
            record(.tooLarge)
        }
        guard problem == nil else { return .more }
        message.writeImmutableBuffer(content)
        message.writeStaticString("\r\n")
        if message.readableBytes >= spillThreshold {
            if inHeader {
                record(.headerTooLarge)
                return .more
            }
            return .chunkReady
        }
        return .more
    }

    /// The text gathered since the last chunk, handed over to be stored.
    mutating func takeChunk() -> ByteBuffer {
        let chunk = message
        spilledBytes += chunk.readableBytes
        message = ByteBuffer()
        return chunk
    }

    /// RFC 5321 § 6.3: a message with very many Received headers is in a
    /// loop; refusing it (instead of accepting and bouncing) ends the loop.
    private mutating func countHops(_ line: ByteBuffer) {
        if line.readableBytes == 0 {
            inHeader = false
            return
        }
        let prefix = line.readableBytesView.prefix(9).map { $0 | 0x20 }  // ASCII lower-case
        if prefix.elementsEqual("received:".utf8) {
            receivedHeaders += 1
            if receivedHeaders > maximumHops { record(.tooManyHops) }
        }
    }

    private mutating func record(_ newProblem: Problem) {
        // Keep the first problem, except that size wins: it is the one a
        // client can act on, and RFC 1870 gives it a precise code.
        if problem == nil || newProblem == .tooLarge {
            problem = newProblem
        }
        message.clear()
    }
}
