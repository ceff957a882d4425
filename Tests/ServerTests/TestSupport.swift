import Foundation

/// Runs `body` with a fresh path under the system temporary directory (not
/// yet created), and removes whatever is there afterwards.
func withTemporaryPath<T>(_ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sims-server-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// The lines of a text file, without the final empty line.
func lines(ofFile path: String) throws -> [String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}
