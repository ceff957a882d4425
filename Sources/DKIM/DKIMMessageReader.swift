/// Splits a message into its header section and body as it streams by:
/// the header section is kept, up to `maximumHeaderBytes` (a message whose
/// "header" is megabytes of one-byte lines is not signed, rather than held
/// as millions of fields), the body goes straight into a `BodyCanonicalizer`.
public struct DKIMMessageReader: Sendable {
    /// Larger header sections are not signed (real ones are a few kilobytes).
    public static let maximumHeaderBytes = 1 << 20
    /// The header section read so far, up to and without the empty line.
    public private(set) var headerSection: [UInt8] = []
    /// The header section passed `maximumHeaderBytes`: its bytes are no
    /// longer kept, and `finish` gives no fields.
    public private(set) var headerTooLarge = false
    /// The empty line that ends the header section has been seen: the
    /// fields are known before the body is read (`fields`).
    public var headerComplete: Bool { inBody }
    private var body: BodyCanonicalizer
    private var inBody = false
    /// Where the header section's current line started.
    private var lineStart = 0
    /// Once the header is too large: the current line's length, and whether
    /// its last byte was a CR.
    private var lineLength = 0
    private var lastWasCR = false

    public init(body canonicalization: DKIMCanonicalization) {
        body = BodyCanonicalizer(canonicalization)
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        if inBody {
            body.update(bytes)
            return
        }
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            bytes.formIndex(after: &index)
            if headerTooLarge {
                // Only the line structure matters now: find the empty line.
                if byte == 0x0A {
                    if lineLength == 0 || (lineLength == 1 && lastWasCR) {
                        inBody = true
                        body.update(bytes[index...])
                        return
                    }
                    lineLength = 0
                } else {
                    lineLength += 1
                    lastWasCR = byte == 0x0D
                }
                continue
            }
            headerSection.append(byte)
            if headerSection.count > Self.maximumHeaderBytes {
                headerTooLarge = true
                let partial = headerSection[lineStart...]
                lineLength = partial.count
                lastWasCR = partial.last == 0x0D
                headerSection = []
                lineStart = 0
                continue
            }
            guard byte == 0x0A else { continue }
            // A line ended: an empty one (LF or CRLF alone) ends the section.
            let line = headerSection[lineStart...]
            if line.count == 1 || (line.count == 2 && line.first == 0x0D) {
                headerSection.removeLast(line.count)
                inBody = true
                body.update(bytes[index...])
                return
            }
            lineStart = headerSection.count
        }
    }

    /// The header fields read so far (all of them once `headerComplete`);
    /// none when the header section was too large.
    public var fields: [DKIMHeaderField] {
        headerTooLarge ? [] : DKIMHeaderField.fields(in: headerSection)
    }

    /// The header fields and the body hash; a message without an empty line
    /// is all header, with an empty body.
    public mutating func finish() -> (fields: [DKIMHeaderField], bodyHash: [UInt8]) {
        (fields, body.finish())
    }
}
