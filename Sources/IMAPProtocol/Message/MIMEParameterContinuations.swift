/// RFC 2231 parameter continuations (`name*0="long"; name*1="name.txt"`)
/// merged the way Dovecot merges them, so BODYSTRUCTURE shows
/// ("name" "longname.txt"); an extended value (`filename*=utf-8''caf%C3%A9`)
/// stays encoded under `filename*`. Ordinary parameters come first, in their
/// order; merged ones follow, sorted by name.
enum MIMEParameterContinuations {
    private struct Piece {
        var name: [UInt8]
        var index: Int
        var extended: Bool
        var value: [UInt8]
    }

    static func merge(_ parameters: [MIMEParameter]) -> [MIMEParameter] {
        var regular: [MIMEParameter] = []
        var pieces: [Piece] = []
        for parameter in parameters {
            guard let piece = piece(parameter) else {
                regular.append(parameter)
                continue
            }
            pieces.append(piece)
        }
        guard !pieces.isEmpty else { return parameters }
        pieces.sort { $0.name == $1.name ? $0.index < $1.index : $0.name.lexicographicallyPrecedes($1.name) }
        var merged: [MIMEParameter] = []
        var first = 0
        while first < pieces.count {
            let name = ByteScan.lowercased(pieces[first].name)
            var next = first
            while next < pieces.count, ByteScan.lowercased(pieces[next].name) == name { next += 1 }
            let group = pieces[first..<next]
            let complete = group.enumerated().allSatisfy { $0.offset == $0.element.index }
            let anyExtended = group.contains { $0.extended }
            if complete {
                var value: [UInt8] = []
                if let head = group.first, !head.extended, anyExtended { value += Array("''".utf8) }
                for piece in group {
                    // Plain pieces next to encoded ones have their `%` escaped.
                    value += !piece.extended && anyExtended ? escapePercent(piece.value) : piece.value
                }
                merged.append(MIMEParameter(name: pieces[first].name + (anyExtended ? [UInt8(ascii: "*")] : []), value: value))
            } else {
                for piece in group {
                    let suffix = "*\(piece.index)" + (piece.extended ? "*" : "")
                    merged.append(MIMEParameter(name: piece.name + Array(suffix.utf8), value: piece.value))
                }
            }
            first = next
        }
        return regular + merged
    }

    /// `name*`, `name*3` or `name*3*`; nil for an ordinary name.
    private static func piece(_ parameter: MIMEParameter) -> Piece? {
        guard let star = parameter.name.firstIndex(of: UInt8(ascii: "*")) else { return nil }
        var rest = parameter.name[(star + 1)...]
        let digits = rest.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard digits.count <= 4 else { return nil }
        let index = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        rest = rest.dropFirst(digits.count)
        // `name*` alone is a single extended (charset''encoded) value.
        var extended = digits.isEmpty && rest.isEmpty
        if rest.first == UInt8(ascii: "*") {
            extended = true
            rest = rest.dropFirst()
        }
        guard rest.isEmpty, star > 0 else { return nil }
        return Piece(name: Array(parameter.name[..<star]), index: index, extended: extended, value: parameter.value)
    }

    private static func escapePercent(_ value: [UInt8]) -> [UInt8] {
        value.flatMap { $0 == UInt8(ascii: "%") ? Array("%25".utf8) : [$0] }
    }
}
