import Foundation

/// Reads resolv.conf. Kept apart so that the rest of the module needs
/// nothing from Foundation.
enum ResolvConfFile {
    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
