import ArgumentParser
import Foundation
import TideClient
import TideModel

struct SignUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "signup", abstract: "Create an account (POST /auth/signup).")

    @Option(help: "The server, e.g. http://127.0.0.1:4000.") var server: String
    @Option(help: "The new username.") var username: String
    @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false
    @Option(help: "An email address for the account.") var email: String?

    func run() async throws {
        guard passwordStdin else { throw CLIFailure.usage("give the password on stdin with --password-stdin") }
        let password = try readPasswordFromStdin()
        let client = Profile.current.client(server: try serverURL(server))
        let id = try await client.signUp(username: username, password: password, email: email)
        if Output.json { Output.printJSON(["userId": .string(id)]) } else { Output.line("signed up \(username) (user id \(id))") }
    }
}

struct LogIn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Sign in and open this user's local store (the link is set online).")

    @Option(help: "The server, e.g. http://127.0.0.1:4000.") var server: String
    @Option(help: "The username.") var username: String
    @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

    func run() async throws {
        guard passwordStdin else { throw CLIFailure.usage("give the password on stdin with --password-stdin") }
        let password = try readPasswordFromStdin()
        let profile = Profile.current
        let url = try serverURL(server)
        // Whoever was signed in on this profile is signed out locally first (their store kept,
        // their keys locked).
        KeyAgent.stop(profile)
        if let previous = try? profile.sessionStore.load(), let previousServer = URL(string: previous.server) {
            _ = try? await profile.client(server: previousServer).signOut()
        }
        let client = profile.client(server: url)
        let user = try await client.signIn(username: username, password: password)
        try profile.setOnline(true)
        if Output.json {
            Output.printJSON(["server": .string(url.absoluteString), "user": ["id": .string(user.id), "username": .string(user.username)]])
        } else {
            Output.line("signed in as \(user.username) on \(url.absoluteString)")
        }
    }
}

struct LogOut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout", abstract: "Sign out (revokes the refresh token); --wipe also deletes the local store.")

    @Flag(help: "Delete this user's local store (queued writes not yet sent are lost).") var wipe = false

    func run() async throws {
        let profile = Profile.current
        guard let session = try profile.sessionStore.load(), let server = URL(string: session.server) else {
            throw TideClientError.notSignedIn
        }
        let client = profile.client(server: server)
        KeyAgent.stop(profile)
        let revoked = try await client.signOut(wipe: wipe)
        if !revoked { Output.note("warning: the server could not be reached; the session was not revoked there") }
        if Output.json {
            Output.printJSON(["signedOut": .string(session.username), "wiped": .bool(wipe), "revoked": .bool(revoked)])
        } else {
            Output.line("signed out \(session.username)\(wipe ? "; local store deleted" : "")")
        }
    }
}
