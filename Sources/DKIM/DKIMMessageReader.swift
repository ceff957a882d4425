/// Splits a message into its header section and body as it streams by:
/// the header section is kept (it is small; the SMTP side refuses large
/// ones), the body goes straight into a `BodyCanonicalizer`.
public struct DKIMMessageReader: Sendable {
    /// The header section read so far, up to and without the empty line.
    public private(set) var headerSection: [UInt8] = []
    private var body: BodyCanonicalizer
    private var inBody = false
    /// Where the header section's current line started.
    private var lineStart = 0

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
            headerSection.append(byte)
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

    /// The header fields and the body hash; a message without an empty line
    /// is all header, with an empty body.
    public mutating func finish() -> (fields: [DKIMHeaderField], bodyHash: [UInt8]) {
        (DKIMHeaderField.fields(in: headerSection), body.finish())
    }
}
