/// One entity of the parsed message: the message itself, a part of a
/// multipart, or a message/rfc822 part's encapsulated message. Parts are
/// kept in one flat array and refer to each other by index.
struct MIMEPart: Sendable {
    enum Kind: Sendable {
        case single
        case multipart(children: [Int])
        /// message/rfc822: the index of the encapsulated message.
        case message(Int)
    }

    var header: MIMEHeader
    /// The body: from the end of the header to here.
    var bodyEnd: Int
    /// What the part is treated as: its Content-Type, or text/plain when
    /// that is missing, invalid or could not be followed (no boundary, too deep).
    var contentType: MIMEContentType
    var kind: Kind
    /// The message itself or one inside a message/rfc822 part (not a body part).
    var isMessage = false

    var bodyStart: Int { header.end }
}

/// Builds the part tree. Each multipart level scans its own body once for
/// its boundary, so the work is bounded by (depth limit × message size),
/// and the depth and part-count limits keep hostile input cheap.
struct MIMEParser {
    let bytes: [UInt8]
    let limits: MIMEMessage.Limits
    var parts: [MIMEPart] = []
    /// Fields still to be kept in the whole message: ten headers' worth, so
    /// that 2000 parts with 5000 one-byte fields each cannot take gigabytes.
    var fieldsLeft: Int

    init(bytes: [UInt8], limits: MIMEMessage.Limits) {
        self.bytes = bytes
        self.limits = limits
        let perHeader = max(0, limits.maximumHeaderFields)
        fieldsLeft = perHeader.multipliedReportingOverflow(by: 10).overflow ? Int.max : perHeader * 10
    }

    private static let contentTypeName = Array("content-type".utf8)

    /// Parses the entity in `start..<end` and returns its index.
    /// `rawEnd` (≥ `end`) includes the line break before the next boundary:
    /// it belongs to the boundary (RFC 2046 § 5.1.1) unless the entity's
    /// header or its own closing boundary line ends there, in which case
    /// Dovecot keeps it in the entity, and so do we.
    mutating func parseEntity(start: Int, end: Int, rawEnd: Int, depth: Int, defaultType: MIMEContentType) -> Int {
        let header = MIMEHeader.parse(
            bytes, start: start, limit: rawEnd, maximumFields: min(max(0, limits.maximumHeaderFields), fieldsLeft))
        fieldsLeft -= header.fields.count
        var contentType = defaultType
        if let field = header.first(Self.contentTypeName, in: bytes) {
            contentType = MIMEContentType.parse(MIMEHeader.value(field, in: bytes)) ?? .textPlain
        }
        let bodyEnd = max(end, header.end)
        let index = parts.count
        parts.append(MIMEPart(header: header, bodyEnd: bodyEnd, contentType: contentType, kind: .single))
        let canNest = depth < limits.maximumDepth && parts.count < limits.maximumParts
        if contentType.isMultipart {
            guard canNest else {
                parts[index].contentType = .textPlain
                return index
            }
            // Without a boundary, or when it never appears, the multipart has
            // no parts; BODYSTRUCTURE then shows one empty text/plain, as Dovecot does.
            var children: [Int] = []
            if let boundary = contentType.parameter("boundary"), !boundary.isEmpty {
                let body = parseMultipartBody(
                    start: header.end, end: bodyEnd, boundary: boundary, depth: depth,
                    childType: ByteScan.equalsIgnoringCase(contentType.subtype, "digest") ? .messageRFC822 : .textPlain)
                children = body.children
                // A closing line cut short by the next boundary keeps its line break.
                if body.closeLineEnd == bodyEnd, bodyEnd > header.end, bytes[bodyEnd - 1] != ByteScan.lineFeed {
                    parts[index].bodyEnd = rawEnd
                }
            }
            parts[index].kind = .multipart(children: children)
        } else if contentType.isMessageRFC822 {
            guard canNest else {
                parts[index].contentType = .textPlain
                return index
            }
            let message = parseEntity(
                start: header.end, end: bodyEnd, rawEnd: bodyEnd == end ? rawEnd : bodyEnd, depth: depth + 1,
                defaultType: .textPlain)
            parts[index].kind = .message(message)
            parts[index].bodyEnd = parts[message].bodyEnd
            parts[message].isMessage = true
        }
        return index
    }

    /// Splits a multipart body at its boundary lines (RFC 2046 § 5.1.1) and
    /// parses each part; an unterminated last part runs to the end.
    /// `closeLineEnd`: where the closing boundary line ends, if there is one.
    private mutating func parseMultipartBody(
        start: Int, end: Int, boundary: [UInt8], depth: Int, childType: MIMEContentType
    ) -> (children: [Int], closeLineEnd: Int?) {
        let delimiter = [ByteScan.hyphen, ByteScan.hyphen] + boundary
        var ranges: [(start: Int, end: Int, rawEnd: Int)] = []
        var partStart: Int?
        var closeLineEnd: Int?
        var position = start
        let budget = max(0, limits.maximumParts - parts.count)
        while position < end, ranges.count < budget {
            let lineEnd = ByteScan.lineEnd(bytes, from: position, limit: end)
            if let isClose = boundaryLine(position: position, lineEnd: lineEnd, delimiter: delimiter) {
                if let partStart {
                    ranges.append(
                        (partStart, max(partStart, ByteScan.trimLineBreak(bytes, start: partStart, end: position)), position))
                }
                if isClose {
                    closeLineEnd = lineEnd
                    break
                }
                partStart = lineEnd
            }
            position = lineEnd
        }
        if closeLineEnd == nil, let partStart, ranges.count < budget { ranges.append((partStart, end, end)) }
        var children: [Int] = []
        for range in ranges where parts.count < limits.maximumParts {
            children.append(
                parseEntity(start: range.start, end: range.end, rawEnd: range.rawEnd, depth: depth + 1, defaultType: childType))
        }
        return (children, closeLineEnd)
    }

    /// Whether the line is `--boundary` (nil: no), and whether it is the
    /// closing `--boundary--`. Like Dovecot, what follows the boundary is
    /// ignored, except that a longer boundary (`--boundary2`, a nested
    /// part's) is not this one.
    private func boundaryLine(position: Int, lineEnd: Int, delimiter: [UInt8]) -> Bool? {
        let contentEnd = ByteScan.trimLineBreak(bytes, start: position, end: lineEnd)
        guard contentEnd - position >= delimiter.count, bytes[position] == ByteScan.hyphen else { return nil }
        for offset in 0..<delimiter.count where bytes[position + offset] != delimiter[offset] { return nil }
        let index = position + delimiter.count
        if index + 2 <= contentEnd, bytes[index] == ByteScan.hyphen, bytes[index + 1] == ByteScan.hyphen { return true }
        guard index == contentEnd || bytes[index] == ByteScan.space || bytes[index] == ByteScan.tab else { return nil }
        return false
    }
}
