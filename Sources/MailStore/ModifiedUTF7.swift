/// Modified UTF-7 (RFC 3501 § 5.1.3), the form IMAP4rev1 clients use for
/// mailbox names and Dovecot uses for folder names on disk (`.Entw&APw-rfe`
/// is "Entwürfe"), so SIMS names folders as Dovecot does and both can serve
/// the same Maildirs. IMAP4rev2 clients send UTF-8 (RFC 9051 § 5.1); the
/// server converts at the edge.
public enum ModifiedUTF7 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    /// Printable ASCII stands for itself (`&` as `&-`); every other run of
    /// characters is UTF-16, base64 with `,` for `/`, between `&` and `-`.
    public static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            output.append(UInt8(ascii: "&"))
            var bytes: [UInt8] = []
            for unit in pending { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
            var index = 0
            while index < bytes.count {
                let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
                let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * $1.offset) }
                let characters = chunk.count + 1
                for position in 0..<characters {
                    output.append(alphabet[Int((value >> (18 - 6 * position)) & 0x3F)])
                }
                index += 3
            }
            output.append(UInt8(ascii: "-"))
            pending = []
        }
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                output.append(UInt8(scalar.value))
                if scalar == "&" { output.append(UInt8(ascii: "-")) }
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return String(decoding: output, as: UTF8.self)
    }

    /// The text of a modified UTF-7 name; nil when it is not valid (raw
    /// 8-bit or control bytes, a bad base64 run, a lone surrogate, or a run
    /// that encodes printable ASCII, which must stand for itself).
    public static func decode(_ encoded: String) -> String? {
        let bytes = Array(encoded.utf8)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 0x20 && byte <= 0x7E else { return nil }
            guard byte == UInt8(ascii: "&") else {
                output.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "-")) else { return nil }
            let run = bytes[(index + 1)..<end]
            index = end + 1
            if run.isEmpty {
                output.append("&")
                continue
            }
            guard let units = utf16(run) else { return nil }
            var decoded = String.UnicodeScalarView()
            for result in UTF16.decode(units) {
                guard let scalar = result else { return nil }
                // Printable ASCII inside a run is not the canonical form.
                if scalar.value >= 0x20 && scalar.value <= 0x7E { return nil }
                decoded.append(scalar)
            }
            output.append(contentsOf: decoded)
        }
        return String(output)
    }

    private static func utf16(_ run: ArraySlice<UInt8>) -> [UInt16]? {
        var bits: UInt32 = 0
        var count = 0
        var bytes: [UInt8] = []
        for character in run {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                bytes.append(UInt8((bits >> UInt32(count)) & 0xFF))
            }
        }
        // Leftover bits must be zero padding, and whole UTF-16 units only.
        guard count < 6, bits & ((1 << UInt32(count)) - 1) == 0, bytes.count % 2 == 0, !bytes.isEmpty else { return nil }
        return stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
    }
}

extension UTF16 {
    /// Decodes UTF-16 units into scalars; nil entries for invalid sequences.
    fileprivate static func decode(_ units: [UInt16]) -> [Unicode.Scalar?] {
        var iterator = units.makeIterator()
        var decoder = UTF16()
        var scalars: [Unicode.Scalar?] = []
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: scalars.append(nil)
            }
        }
        return scalars
    }
}
