/// Why a backup or a restore stopped; each prints as one line for the CLI.
public enum BackupError: Error, CustomStringConvertible, Equatable {
    /// The data folder to back up does not exist or holds no database.
    case noData(String)
    /// `restore` was pointed at a folder a server is using.
    case folderInUse(String)
    /// `restore` was pointed at a folder that already holds files.
    case folderNotEmpty(String)
    /// The archive is not a Tidewater backup, or is damaged or truncated.
    case invalidArchive(String)
    /// A database in the archive failed `PRAGMA integrity_check`.
    case integrity(file: String, problems: [String])
    /// Reading or writing a file failed.
    case io(String)

    public var description: String {
        switch self {
        case .noData(let folder): "\(folder) holds no Tidewater data"
        case .folderInUse(let folder): "\(folder) is in use by a running server: stop it, or restore into another folder"
        case .folderNotEmpty(let folder): "\(folder) is not empty: restore into a new or empty folder (move the old one aside first)"
        case .invalidArchive(let reason): "not a valid Tidewater backup: \(reason)"
        case .integrity(let file, let problems): "\(file) in the backup failed its integrity check: \(problems.prefix(3).joined(separator: "; "))"
        case .io(let message): message
        }
    }
}
