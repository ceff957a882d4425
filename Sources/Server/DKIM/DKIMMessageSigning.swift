import DKIM
import Foundation
import MailStore

/// Signs a message as it is about to be stored: reads it (the server's own
/// fields, the spill file of a large message, the text in memory), finds
/// its author's domain and signs with that domain's keys. Blocking (reads
/// the spill file): runs on the storage pool.
enum DKIMMessageSigning {
    struct Signed: Sendable {
        /// The DKIM-Signature fields, each with its CRLF, to go on top.
        var fields: [UInt8]
        var domain: String
        var selectors: [String]
        var algorithms: [DKIMAlgorithm]
    }

    /// Why a message was not signed, for the debug log.
    enum Unsigned: Error, CustomStringConvertible {
        case noAuthorDomain
        case noKey(domain: String)
        case headerTooLarge

        var description: String {
            switch self {
            case .headerTooLarge: return "header section over \(DKIMMessageReader.maximumHeaderBytes) bytes"
            case .noAuthorDomain: return "no single From address to sign for"
            case .noKey(let domain): return "no DKIM key for the From domain \(domain)"
            }
        }
    }

    static func sign(_ content: MessageContent, keyring: DKIMKeyring, time: Int) throws -> Signed {
        var reader = DKIMMessageReader(body: .relaxed)
        reader.update(content.head)
        // Usually the whole header section is in memory: when its From has
        // no key, the body (perhaps a spill file of megabytes) is not read.
        if reader.headerComplete {
            guard let domain = AuthorDomain.domain(in: reader.fields) else { throw Unsigned.noAuthorDomain }
            guard !keyring.keys(for: domain).isEmpty else { throw Unsigned.noKey(domain: domain) }
        }
        if let path = content.spillFile {
            try read(path, count: content.spillSize) { reader.update($0) }
        }
        reader.update(content.tail)
        let (fields, bodyHash) = reader.finish()
        guard !reader.headerTooLarge else { throw Unsigned.headerTooLarge }
        guard let domain = AuthorDomain.domain(in: fields) else { throw Unsigned.noAuthorDomain }
        let keys = keyring.keys(for: domain)
        guard !keys.isEmpty else { throw Unsigned.noKey(domain: domain) }
        var signatures = ""
        for key in keys {
            signatures += try DKIMSigner.signatureField(
                fields: fields, bodyHash: bodyHash, key: key.key, domain: domain, selector: key.selector, time: time)
        }
        return Signed(
            fields: Array(signatures.utf8), domain: domain, selectors: keys.map(\.selector),
            algorithms: keys.map(\.key.algorithm))
    }

    /// The first `count` bytes of a file, in blocks.
    static func read(_ path: String, count: Int, _ body: (ArraySlice<UInt8>) -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DeliveryError.ioError("cannot open \(path) to sign it")
        }
        defer { try? handle.close() }
        var left = count
        while left > 0 {
            guard let data = try handle.read(upToCount: min(left, 256 * 1024)), !data.isEmpty else {
                throw DeliveryError.ioError("\(path) ended early while signing it")
            }
            body(Array(data)[...])
            left -= data.count
        }
    }
}
