/// A command that could not do what was asked, for a reason that is not a
/// mistake on the command line: printed as `Error: …` without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
