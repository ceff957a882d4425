/// ENVELOPE and BODYSTRUCTURE (RFC 9051 § 7.5.2), written the way Dovecot
/// 2.3 writes them: types, parameter names and values as found in the
/// message, "text" parts given ("charset" "us-ascii") when they name none,
/// "7bit" when there is no Content-Transfer-Encoding, languages as a list.
extension MIMEMessage {
    /// `(date subject (from) (sender) (reply-to) (to) (cc) (bcc) in-reply-to message-id)`.
    public var envelope: [UInt8] {
        var output: [UInt8] = []
        writeEnvelope(Self.root, into: &output)
        return output
    }

    /// BODYSTRUCTURE (`extensible`) or BODY.
    public func bodyStructure(extensible: Bool) -> [UInt8] {
        var output: [UInt8] = []
        writeBody(Self.root, extensible: extensible, into: &output)
        return output
    }

    private func firstValue(_ index: Int, _ lowercasedName: String) -> [UInt8]? {
        parts[index].header.first(Array(lowercasedName.utf8), in: bytes).map { MIMEHeader.value($0, in: bytes) }
    }

    /// ENVELOPE takes the last of repeated fields, as Dovecot does.
    private func lastValue(_ index: Int, _ lowercasedName: String) -> [UInt8]? {
        parts[index].header.last(Array(lowercasedName.utf8), in: bytes).map { MIMEHeader.value($0, in: bytes) }
    }

    func writeEnvelope(_ index: Int, into output: inout [UInt8]) {
        func addresses(_ name: String) -> [EnvelopeAddress] {
            lastValue(index, name).map(AddressListParser.parse) ?? []
        }
        func writeAddresses(_ list: [EnvelopeAddress]) {
            output.append(ByteScan.space)
            guard !list.isEmpty else {
                output += Array("NIL".utf8)
                return
            }
            output.append(UInt8(ascii: "("))
            for address in list { address.write(into: &output) }
            output.append(UInt8(ascii: ")"))
        }
        output.append(UInt8(ascii: "("))
        output += IMAPResponseText.nstring(lastValue(index, "date"))
        output.append(ByteScan.space)
        if let subject = lastValue(index, "subject") {
            output += EnvelopeAddress.humanString(subject)
        } else {
            output += Array("NIL".utf8)
        }
        let from = addresses("from")
        let sender = addresses("sender")
        let replyTo = addresses("reply-to")
        writeAddresses(from)
        // RFC 9051: the server defaults sender and reply-to to from.
        writeAddresses(sender.isEmpty ? from : sender)
        writeAddresses(replyTo.isEmpty ? from : replyTo)
        writeAddresses(addresses("to"))
        writeAddresses(addresses("cc"))
        writeAddresses(addresses("bcc"))
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(lastValue(index, "in-reply-to"))
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(lastValue(index, "message-id"))
        output.append(UInt8(ascii: ")"))
    }

    private func writeParameters(_ parameters: [MIMEParameter], addDefaultCharset: Bool, into output: inout [UInt8]) {
        let needsCharset = addDefaultCharset && !parameters.contains { ByteScan.equalsIgnoringCase($0.name, "charset") }
        guard !parameters.isEmpty || needsCharset else {
            output += Array("NIL".utf8)
            return
        }
        output.append(UInt8(ascii: "("))
        var first = true
        for parameter in parameters {
            if !first { output.append(ByteScan.space) }
            first = false
            output += IMAPResponseText.string(parameter.name)
            output.append(ByteScan.space)
            output += IMAPResponseText.string(parameter.value)
        }
        if needsCharset {
            if !first { output.append(ByteScan.space) }
            output += Array("\"charset\" \"us-ascii\"".utf8)
        }
        output.append(UInt8(ascii: ")"))
    }

    /// body-fld-dsp SP body-fld-lang SP body-fld-loc.
    private func writeDispositionLanguageLocation(_ index: Int, into output: inout [UInt8]) {
        output.append(ByteScan.space)
        if let value = firstValue(index, "content-disposition"), let disposition = MIMEDisposition.parse(value) {
            output.append(UInt8(ascii: "("))
            output += IMAPResponseText.string(disposition.type)
            output.append(ByteScan.space)
            writeParameters(disposition.parameters, addDefaultCharset: false, into: &output)
            output.append(UInt8(ascii: ")"))
        } else {
            output += Array("NIL".utf8)
        }
        output.append(ByteScan.space)
        var lexer = MIMEValueLexer(firstValue(index, "content-language") ?? [])
        let languages = lexer.tokenList()
        if languages.isEmpty {
            output += Array("NIL".utf8)
        } else {
            output.append(UInt8(ascii: "("))
            for (offset, language) in languages.enumerated() {
                if offset > 0 { output.append(ByteScan.space) }
                output += IMAPResponseText.string(language)
            }
            output.append(UInt8(ascii: ")"))
        }
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(firstValue(index, "content-location"))
    }

    func writeBody(_ index: Int, extensible: Bool, into output: inout [UInt8]) {
        let part = parts[index]
        let contentType = part.contentType
        output.append(UInt8(ascii: "("))
        if case .multipart(let children) = part.kind {
            for child in children { writeBody(child, extensible: extensible, into: &output) }
            if children.isEmpty {
                // A multipart must have a part: Dovecot writes an empty text/plain.
                output += Array(#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0"#.utf8)
                output += Array((extensible ? " NIL NIL NIL NIL)" : ")").utf8)
            }
            output.append(ByteScan.space)
            output += IMAPResponseText.string(contentType.subtype)
            if extensible {
                output.append(ByteScan.space)
                writeParameters(contentType.parameters, addDefaultCharset: false, into: &output)
                writeDispositionLanguageLocation(index, into: &output)
            }
            output.append(UInt8(ascii: ")"))
            return
        }
        output += IMAPResponseText.string(contentType.type)
        output.append(ByteScan.space)
        output += IMAPResponseText.string(contentType.subtype)
        output.append(ByteScan.space)
        writeParameters(contentType.parameters, addDefaultCharset: contentType.isText, into: &output)
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(firstValue(index, "content-id"))
        output.append(ByteScan.space)
        output += IMAPResponseText.nstring(firstValue(index, "content-description"))
        output.append(ByteScan.space)
        let encoding = firstValue(index, "content-transfer-encoding").map { value -> [UInt8] in
            var lexer = MIMEValueLexer(value)
            return lexer.token()
        }
        output += IMAPResponseText.string(encoding.flatMap { $0.isEmpty ? nil : $0 } ?? Array("7bit".utf8))
        output += Array(" \(part.bodyEnd - part.bodyStart)".utf8)
        if case .message(let message) = part.kind {
            output.append(ByteScan.space)
            writeEnvelope(message, into: &output)
            output.append(ByteScan.space)
            writeBody(message, extensible: extensible, into: &output)
            output += Array(" \(ByteScan.lineCount(bytes, start: part.bodyStart, end: part.bodyEnd))".utf8)
        } else if contentType.isText {
            output += Array(" \(ByteScan.lineCount(bytes, start: part.bodyStart, end: part.bodyEnd))".utf8)
        }
        if extensible {
            output.append(ByteScan.space)
            output += IMAPResponseText.nstring(firstValue(index, "content-md5"))
            writeDispositionLanguageLocation(index, into: &output)
        }
        output.append(UInt8(ascii: ")"))
    }
}
