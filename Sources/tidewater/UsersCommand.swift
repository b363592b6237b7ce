import ArgumentParser
import Foundation
import TideIdentity

/// `tidewater users add|list|remove|add-to-group|remove-from-group|set-password`.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage user accounts (works while the server runs).",
        subcommands: [Add.self, List.self, Remove.self, AddToGroup.self, RemoveFromGroup.self, SetPassword.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user; prints its id. The password is prompted for, or read from stdin.")
        @OptionGroup var folder: DataFolderOptions
        @Argument(help: "The username.") var username: String
        @Option(name: .customLong("group"), help: "A group to add the user to (repeatable).") var groups: [String] = []
        @Option(help: "Email address.") var email: String?
        @Option(help: "Phone number in E.164 form (+14155550123).") var phone: String?
        @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

        func run() async throws {
            try await folder.withIdentity { identity in
                let password = try PasswordInput.read(fromStandardInput: passwordStdin)
                print(try await identity.addUser(username: username, password: password, groups: groups, email: email, phone: phone))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users (never password hashes).")
        @OptionGroup var folder: DataFolderOptions

        func run() async throws {
            try await folder.withIdentity { identity in
                print(["id", "username", "groups", "email", "phone", "created"].joined(separator: "\t"))
                for user in try identity.users() {
                    let groups = user.groups.isEmpty ? "-" : user.groups.joined(separator: ",")
                    print([user.id, user.username, groups, user.email ?? "-", user.phone ?? "-", formatted(user.createdAt)].joined(separator: "\t"))
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user and revoke its sessions.")
        @OptionGroup var folder: DataFolderOptions
        @Argument(help: "The username.") var username: String

        func run() async throws {
            try await folder.withIdentity { identity in try identity.removeUser(username: username) }
        }
    }

    /// The arguments of `add-to-group` and `remove-from-group`.
    struct Membership: ParsableArguments {
        @OptionGroup var folder: DataFolderOptions
        @Argument(help: "The username.") var username: String
        @Argument(help: "The group.") var group: String
    }

    struct AddToGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-to-group", abstract: "Add a user to a group (in its tokens from the next login or refresh).")
        @OptionGroup var membership: Membership

        func run() async throws {
            try await membership.folder.withIdentity { identity in
                try identity.addToGroup(username: membership.username, group: membership.group)
            }
        }
    }

    struct RemoveFromGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-from-group", abstract: "Remove a user from a group (from its next login or refresh).")
        @OptionGroup var membership: Membership

        func run() async throws {
            try await membership.folder.withIdentity { identity in
                try identity.removeFromGroup(username: membership.username, group: membership.group)
            }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password", abstract: "Replace a user's password and revoke its sessions.")
        @OptionGroup var folder: DataFolderOptions
        @Argument(help: "The username.") var username: String
        @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

        func run() async throws {
            try await folder.withIdentity { identity in
                try await identity.setPassword(username: username, password: try PasswordInput.read(fromStandardInput: passwordStdin))
            }
        }
    }
}
