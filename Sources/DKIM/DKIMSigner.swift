import Foundation

/// Makes DKIM-Signature fields (RFC 6376 § 5) for a message's header fields
/// and body hash. A pure value: the caller reads the message (`DKIMMessageReader`)
/// and adds the fields on top of it.
public enum DKIMSigner {
    /// The fields signed when present (RFC 6376 § 5.4.1 lists these as the
    /// ones that make up the message's meaning). Trace and transport fields
    /// (Received, Return-Path) are left out: relays add and change them.
    public static let signedFieldNames = [
        "From", "Reply-To", "Sender", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ]

    /// The `h=` list for a message: each signed name once per occurrence
    /// (lower case), and From once more than it occurs. The extra entry
    /// signs the absence of a further From (RFC 6376 § 8.15): a second From
    /// added on the way makes the signature fail instead of fooling readers
    /// that show the top one.
    public static func headerList(for fields: [DKIMHeaderField]) -> [String] {
        var list: [String] = []
        for name in signedFieldNames {
            let count = fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.count
            let times = name == "From" ? count + 1 : count
            list += Array(repeating: name.lowercased(), count: times)
        }
        return list
    }

    /// RFC 6376 § 3.7: the header fields named in `headerList`, each
    /// occurrence taken from the bottom up (§ 5.4.2), made canonical; a name
    /// with no occurrence left adds nothing. Then the signature field itself
    /// with an empty b=, made canonical, without its final CRLF.
    public static func dataToSign(
        fields: [DKIMHeaderField], headerList: [String], unsignedField: DKIMHeaderField,
        canonicalization: DKIMCanonicalization
    ) -> [UInt8] {
        var remaining: [String: [Int]] = [:]
        for (index, field) in fields.enumerated() { remaining[field.name.lowercased(), default: []].append(index) }
        var data: [UInt8] = []
        for name in headerList {
            guard let index = remaining[name.lowercased()]?.popLast() else { continue }
            data += canonicalization.canonical(fields[index])
        }
        var signature = canonicalization.canonical(unsignedField)
        if signature.suffix(2) == crlf[...] { signature.removeLast(2) }
        return data + signature
    }

    /// One DKIM-Signature field (with its CRLF) by `key` for `domain` and
    /// `selector`, relaxed/relaxed, timestamped `time` (seconds since 1970).
    public static func signatureField(
        fields: [DKIMHeaderField], bodyHash: [UInt8], key: DKIMPrivateKey, domain: String, selector: String, time: Int
    ) throws -> String {
        let headerList = headerList(for: fields)
        let unsigned = unsignedText(
            algorithm: key.algorithm, domain: domain, selector: selector, time: time, headerList: headerList,
            bodyHash: bodyHash)
        let data = dataToSign(
            fields: fields, headerList: headerList,
            unsignedField: DKIMHeaderField(name: "DKIM-Signature", text: Array(unsigned.utf8) + crlf),
            canonicalization: .relaxed)
        let signature = Data(try key.sign(data)).base64EncodedString()
        // b= starts its own line (see unsignedText); its value is folded in
        // lines of 72: a verifier removes the value with its white space.
        var text = unsigned
        var rest = Substring(signature)
        var first = true
        while !rest.isEmpty {
            let piece = rest.prefix(first ? 70 : 72)
            text += (first ? "" : "\r\n\t") + piece
            rest = rest.dropFirst(piece.count)
            first = false
        }
        return text + "\r\n"
    }

    /// The field with an empty b= and without its CRLF, folded at 78
    /// characters, b= on a line of its own (so the signed text and the sent
    /// text fold alike).
    static func unsignedText(
        algorithm: DKIMAlgorithm, domain: String, selector: String, time: Int, headerList: [String], bodyHash: [UInt8]
    ) -> String {
        var lines: [String] = []
        var line = "DKIM-Signature:"
        func add(_ piece: String, joiner: String = " ") {
            if line.count + joiner.count + piece.count > 78 && line != "\t" {
                lines.append(line)
                line = "\t" + piece
            } else {
                line += joiner + piece
            }
        }
        for tag in ["v=1;", "a=\(algorithm.rawValue);", "c=relaxed/relaxed;", "d=\(domain);", "s=\(selector);", "t=\(time);"] {
            add(tag)
        }
        for (index, name) in headerList.enumerated() {
            let last = index == headerList.count - 1
            add((index == 0 ? "h=" : "") + name + (last ? ";" : ":"), joiner: index == 0 ? " " : "")
        }
        add("bh=\(Data(bodyHash).base64EncodedString());")
        lines.append(line)
        lines.append("\tb=")
        return lines.joined(separator: "\r\n")
    }
}
