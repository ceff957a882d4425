import ArgumentParser
import Foundation
import MailStore

/// Reads a new password without ever taking it as an argument (arguments
/// show up in `ps` and shell history): from stdin with --password-stdin, or
/// from a prompt without echo when a terminal is attached.
enum PasswordInput {
    /// Reads the new password of `address` and applies `PasswordRule`.
    static func read(for address: String, fromStdin: Bool) throws -> String {
        let password = try read(fromStdin: fromStdin)
        if let problem = PasswordRule.problem(with: password, for: address) { throw ValidationError(problem) }
        return password
    }

    private static func read(fromStdin: Bool) throws -> String {
        if fromStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no password on standard input")
            }
            return line
        }
        guard isatty(0) == 1 else {
            throw ValidationError("standard input is not a terminal: pass the password with --password-stdin")
        }
        guard let first = getpass("New password: ").map({ String(cString: $0) }), !first.isEmpty else {
            throw ValidationError("empty password")
        }
        guard let second = getpass("Repeat password: ").map({ String(cString: $0) }), second == first else {
            throw ValidationError("the passwords do not match")
        }
        return first
    }
}
