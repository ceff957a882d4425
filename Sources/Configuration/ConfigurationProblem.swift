import Foundation

/// A mistake in sims.toml, named by key and line so the operator can fix it.
public struct ConfigurationProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var line: Int?
    public var message: String

    public init(key: String, line: Int? = nil, message: String) {
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = line.map { "line \($0): " } ?? ""
        return key.isEmpty ? "\(place)\(message)" : "\(place)\(key): \(message)"
    }
}

/// Thrown when a configuration cannot be used; carries every problem found.
public struct InvalidConfiguration: Error, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigurationProblem]

    public init(file: String, problems: [ConfigurationProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        "\(file) is not valid:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Finds the line on which a dotted key (`limits.message_size`) is set, by
/// reading the file as text: TOMLKit reports positions for syntax errors only.
struct KeyLocator {
    private var lines: [(section: String, key: String, line: Int)] = []

    init(text: String) {
        var section = ""
        // isNewline also splits CR LF, which Swift treats as one Character.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                section = line[line.index(after: line.startIndex)..<close].replacingOccurrences(of: " ", with: "")
                lines.append((section, "", index + 1))
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "")
                lines.append((section, key, index + 1))
            }
        }
    }

    func line(of dottedKey: String) -> Int? {
        for entry in lines {
            let full = entry.section.isEmpty ? entry.key : (entry.key.isEmpty ? entry.section : "\(entry.section).\(entry.key)")
            if full == dottedKey { return entry.line }
        }
        return nil
    }
}
