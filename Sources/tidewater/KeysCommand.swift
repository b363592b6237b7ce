import ArgumentParser
import TideIdentity

/// `tidewater keys rotate`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage the access-token signing keys.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new signing key current; prints its kid. The old key stays published until its tokens expire.")
        @OptionGroup var folder: DataFolderOptions

        func run() async throws {
            try await folder.withIdentity { identity in print(try identity.rotateSigningKey()) }
        }
    }
}
