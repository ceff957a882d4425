import ArgumentParser
import Configuration
import MailStore
import Server

/// Opens the directory of an existing data directory.
func openDirectory(_ options: DataOption) throws -> (Directory, DataDirectory, ServerConfiguration) {
    let dataDirectory = DataDirectory(options.data)
    guard dataDirectory.exists else { throw SetupError.missing(dataDirectory.root) }
    let configuration = try dataDirectory.loadConfiguration()
    return (try dataDirectory.openDirectory(configuration), dataDirectory, configuration)
}

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Add, list, change and remove mail accounts (works while the server runs).",
        subcommands: [Add.self, List.self, Passwd.self, Remove.self, Senders.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an account; its domain must be local.")
        @Argument(help: "The address, e.g. alice@example.test.") var address: String
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
        @OptionGroup var options: DataOption

        func run() throws {
            let (directory, dataDirectory, configuration) = try openDirectory(options)
            let hash = try PasswordHasher.hash(try PasswordInput.read(for: address, fromStdin: passwordStdin))
            try directory.addAccount(address, passwordHash: hash)
            try MaildirWriter(
                mailRoot: dataDirectory.resolve(configuration.storage.mailDirectory), hostname: configuration.hostname
            )
            .createMaildir(for: address.lowercased())
            print("added account \(address.lowercased())")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var options: DataOption
        func run() throws {
            for account in try openDirectory(options).0.accounts() { print(account) }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an account's password.")
        @Argument var address: String
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
        @OptionGroup var options: DataOption
        func run() throws {
            let directory = try openDirectory(options).0
            try directory.setPasswordHash(
                address, passwordHash: try PasswordHasher.hash(try PasswordInput.read(for: address, fromStdin: passwordStdin)))
            print("changed the password of \(address.lowercased())")
        }
    }

    struct Senders: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or widen the envelope senders an account may use after AUTH (besides its address and aliases).",
            usage: """
                sims account senders <address> [--add <add>] [--remove <remove>]
                     [--data <data>]
                """
        )
        @Argument var address: String
        @Option(help: "Allow a sender: an address, *@domain, or *.") var add: String?
        @Option(help: "Remove an allowed sender pattern.") var remove: String?
        @OptionGroup var options: DataOption
        func run() throws {
            let directory = try openDirectory(options).0
            if let add { try directory.addSenderPattern(address, pattern: add) }
            if let remove { try directory.removeSenderPattern(address, pattern: remove) }
            let owned = try directory.ownedAddresses(of: address).listing
            print("\(address.lowercased()) may send as: \(owned.joined(separator: ", "))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an account (its Maildir is kept on disk), its aliases and catch-all uses.")
        @Argument var address: String
        @OptionGroup var options: DataOption
        func run() throws {
            try openDirectory(options).0.removeAccount(address)
            print("removed account \(address.lowercased()); its Maildir was left in place")
        }
    }
}

struct DomainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain", abstract: "Manage the local domains (works while the server runs).",
        subcommands: [Add.self, List.self, Remove.self, CatchAll.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a domain local: mail for it is delivered here.")
        @Argument var domain: String
        @OptionGroup var options: DataOption
        func run() throws {
            try openDirectory(options).0.addDomain(domain)
            print(
                "added domain \(domain.lowercased()); mail to postmaster@\(domain.lowercased()) goes to the first postmaster account until it has its own"
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List local domains.")
        @OptionGroup var options: DataOption
        func run() throws {
            for row in try openDirectory(options).0.domains() {
                print(row.catchAll.map { "\(row.name)  catch-all -> \($0)" } ?? row.name)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a local domain (it must have no accounts).")
        @Argument var domain: String
        @OptionGroup var options: DataOption
        func run() throws {
            try openDirectory(options).0.removeDomain(domain)
            print("removed domain \(domain.lowercased())")
        }
    }

    struct CatchAll: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catch-all", abstract: "Send mail for unknown users of a domain to an account (off by default).")
        @Argument var domain: String
        @Argument(help: "The account that receives it; omit with --off.") var account: String?
        @Flag(help: "Turn the catch-all off.") var off = false
        @OptionGroup var options: DataOption

        func validate() throws {
            if off == (account != nil) { throw ValidationError("give either an account or --off") }
        }

        func run() throws {
            try openDirectory(options).0.setCatchAll(domain: domain, target: off ? nil : account)
            print(
                off
                    ? "catch-all for \(domain.lowercased()) is off"
                    : "mail for unknown users of \(domain.lowercased()) goes to \((account ?? "").lowercased())")
        }
    }
}

struct AliasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias", abstract: "Manage aliases: local addresses that deliver to accounts.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add ALIAS -> ACCOUNT (repeat for several accounts).")
        @Argument var alias: String
        @Argument var account: String
        @OptionGroup var options: DataOption
        func run() throws {
            try openDirectory(options).0.addAlias(alias, target: account)
            print("added alias \(alias.lowercased()) -> \(account.lowercased())")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List aliases.")
        @OptionGroup var options: DataOption
        func run() throws {
            for row in try openDirectory(options).0.aliases() { print("\(row.address) -> \(row.target)") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an alias, or one of its targets.")
        @Argument var alias: String
        @Argument var account: String?
        @OptionGroup var options: DataOption
        func run() throws {
            try openDirectory(options).0.removeAlias(alias, target: account)
            print("removed alias \(alias.lowercased())\(account.map { " -> \($0.lowercased())" } ?? "")")
        }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Work with sims.toml.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate sims.toml; names each bad key and its line.")
        @OptionGroup var options: DataOption
        func run() throws {
            let dataDirectory = DataDirectory(options.data)
            guard dataDirectory.exists else { throw SetupError.missing(dataDirectory.root) }
            do {
                let configuration = try dataDirectory.loadConfiguration()
                let warnings = ConfigurationWarnings.check(configuration, gateways: RouteTable.read())
                for warning in warnings { print("warning: \(warning)") }
                print("\(dataDirectory.configurationFile): OK\(warnings.isEmpty ? "" : " (\(warnings.count) warning(s))")")
            } catch let error as InvalidConfiguration {
                print(error.description)
                throw ExitCode(1)
            }
        }
    }
}
