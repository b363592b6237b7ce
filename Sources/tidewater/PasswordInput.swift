import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where `users add` and `users set-password` read a password. Never from an argument: arguments
/// are visible to every local user in `ps` and land in shell history.
enum PasswordInput {
    /// One line from stdin with `--password-stdin`; otherwise an interactive prompt (twice, echo
    /// off) when stdin is a terminal.
    static func read(fromStandardInput: Bool) throws -> String {
        if fromStandardInput {
            guard let line = readLine(strippingNewline: true) else { throw AdminFailure("no password on stdin") }
            return line
        }
        guard isatty(STDIN_FILENO) != 0 else {
            throw AdminFailure("stdin is not a terminal: pipe the password in with --password-stdin")
        }
        let password = try prompt("Password: ")
        guard try prompt("Repeat password: ") == password else { throw AdminFailure("the passwords do not match") }
        return password
    }

    /// Reads a line from the terminal with echo turned off.
    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw AdminFailure("no password entered") }
        return line
    }
}
