/// Undoes Content-Transfer-Encodings (RFC 2045 § 6.7, § 6.8), leniently:
/// bytes that do not belong are skipped (base64) or kept (quoted-printable),
/// as mail readers do, so damaged mail still yields its text.
enum TransferDecoding {
    private static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    static func base64<C: Collection<UInt8>>(_ encoded: C) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count / 4 * 3)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in encoded {
            if byte == UInt8(ascii: "=") { break }
            let value = base64Values[Int(byte)]
            guard value != 0xFF else { continue }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    static func quotedPrintable(_ encoded: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        let end = encoded.endIndex
        while index < end {
            let byte = encoded[index]
            if byte == UInt8(ascii: "=") {
                // Soft line break: `=` then optional blanks then the line end.
                var next = index + 1
                while next < end, encoded[next] == ByteScan.space || encoded[next] == ByteScan.tab { next += 1 }
                if next < end, encoded[next] == ByteScan.carriageReturn { next += 1 }
                if next < end, encoded[next] == ByteScan.lineFeed {
                    index = next + 1
                    continue
                }
                if next >= end {
                    index = end
                    continue
                }
                if index + 2 < end, let high = hexValue(encoded[index + 1]), let low = hexValue(encoded[index + 2]) {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
                output.append(byte)
                index += 1
            } else if byte == ByteScan.space || byte == ByteScan.tab {
                // Blanks at the end of a line are transport padding (RFC 2045 rule 3).
                var next = index
                while next < end, encoded[next] == ByteScan.space || encoded[next] == ByteScan.tab { next += 1 }
                let atLineEnd =
                    next >= end || encoded[next] == ByteScan.lineFeed
                    || (encoded[next] == ByteScan.carriageReturn && next + 1 < end && encoded[next + 1] == ByteScan.lineFeed)
                if !atLineEnd { output += encoded[index..<next] }
                index = next
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }
}
