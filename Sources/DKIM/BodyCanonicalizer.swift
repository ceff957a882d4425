import Crypto

/// RFC 6376 § 3.4.3 and § 3.4.4: the body made canonical and hashed as it
/// streams by, so a large message is hashed from its spill file without
/// being held in memory.
///
/// simple: lines unchanged, empty lines at the end dropped, an empty body
/// is one CRLF. relaxed: white space at line ends dropped, runs of spaces
/// and tabs made one space, empty lines at the end dropped, an empty body
/// stays empty. Both add a CRLF to a last line that lacks one. A bare LF
/// ends a line (the message is sent with CRLF); a CR not followed by LF is
/// an ordinary character.
public struct BodyCanonicalizer: Sendable {
    public let canonicalization: DKIMCanonicalization
    private var hasher = SHA256()
    /// Canonical bytes waiting for the hasher (one update per block, not per byte).
    private var output: [UInt8] = []
    /// Empty lines seen but not yet written: written only if text follows.
    private var emptyLines = 0
    /// The current line has text (for relaxed: other than white space).
    private var lineStarted = false
    /// relaxed: white space seen in the current line and not yet written.
    private var pendingSpace = false
    /// A CR that may be the start of a CRLF.
    private var pendingCR = false
    /// Anything was written at all (simple: the empty body is one CRLF).
    private var wroteAnything = false

    public init(_ canonicalization: DKIMCanonicalization) {
        self.canonicalization = canonicalization
        output.reserveCapacity(Self.block)
    }

    private static let block = 64 * 1024

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if pendingCR {
                pendingCR = false
                if byte == 0x0A {
                    endLine()
                    continue
                }
                text(0x0D)
            }
            switch byte {
            case 0x0D: pendingCR = true
            case 0x0A: endLine()
            default: text(byte)
            }
        }
    }

    /// The SHA-256 of the canonical body (the `bh=` tag).
    public mutating func finish() -> [UInt8] {
        if pendingCR {
            pendingCR = false
            text(0x0D)
        }
        if lineStarted { endLine() }
        if canonicalization == .simple && !wroteAnything { write(crlf) }
        flush()
        return Array(hasher.finalize())
    }

    private mutating func text(_ byte: UInt8) {
        if canonicalization == .relaxed && (byte == 0x20 || byte == 0x09) {
            pendingSpace = true
            return
        }
        if !lineStarted {
            lineStarted = true
            for _ in 0..<emptyLines { write(crlf) }
            emptyLines = 0
        }
        if pendingSpace {
            output.append(0x20)
            pendingSpace = false
        }
        output.append(byte)
        wroteAnything = true
        if output.count >= Self.block { flush() }
    }

    private mutating func endLine() {
        if lineStarted {
            write(crlf)
        } else {
            emptyLines += 1
        }
        lineStarted = false
        pendingSpace = false
    }

    private mutating func write(_ bytes: [UInt8]) {
        output += bytes
        wroteAnything = true
        if output.count >= Self.block { flush() }
    }

    private mutating func flush() {
        hasher.update(data: output)
        output.removeAll(keepingCapacity: true)
    }
}
