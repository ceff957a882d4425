#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// ANSI colours for people, only on a terminal and never with `NO_COLOR`
/// set (https://no-color.org) or `TERM=dumb`.
public struct TextStyle: Sendable {
    public var colour: Bool

    public init(colour: Bool) {
        self.colour = colour
    }

    /// Colour when standard output is a terminal that wants it.
    public static func forStandardOutput() -> TextStyle {
        let environment = ProcessEnvironment.self
        let wanted = environment.value("NO_COLOR").map(\.isEmpty) ?? true
        return TextStyle(colour: isatty(1) == 1 && wanted && environment.value("TERM") != "dumb")
    }

    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func red(_ text: String) -> String { wrap(text, "1;31") }
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    public func green(_ text: String) -> String { wrap(text, "32") }
    public func dim(_ text: String) -> String { wrap(text, "2") }

    private func wrap(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

enum ProcessEnvironment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }
}

/// Column helpers for 80-column output.
enum Columns {
    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Cuts a value that would push a row past its column, marking the cut.
    static func fit(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(1, width - 1))) + "…"
    }

    /// Wraps words at `width`, continuation lines indented by `indent`.
    static func wrap(_ text: String, width: Int = 78, indent: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let limit = lines.isEmpty ? width : width - indent.count
            if !current.isEmpty && current.count + 1 + word.count > limit {
                lines.append(current)
                current = String(word)
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines.enumerated().map { $0.offset == 0 ? $0.element : indent + $0.element }
    }
}
