import Foundation

/// Command-line options (`fanout --help`).
struct Options {
    enum Server: String { case tidewater, pocketbase }

    var server = Server.tidewater
    var host = "127.0.0.1"
    var port = 0
    /// The server's process id, for its RSS.
    var pid: Int32 = 0
    var subscribers = 100
    var rate = 20
    var seconds = 10
    /// Tidewater: the bearer token for the subscribers and the creator.
    var token = ""
    var warmup = 20
    var settleSeconds = 2.0
    var connectConcurrency = 32
    var readyTimeout = 120.0
    var drainTimeout = 15.0
    /// Tidewater: each subscriber names its operation differently, so no two subscriptions
    /// share a rendered event (the server renders once per identical subscription and caller).
    var distinctSubscriptions = false
    /// Tidewater: every subscriber uses operation id "1" instead of a UUID of its own (what
    /// graphql-ws clients send), so the server can share whole frames, not just payloads.
    var sharedOperationID = false

    static let usage = """
        Usage: fanout --server tidewater|pocketbase --url http://127.0.0.1:PORT --pid PID
                      [--subscribers N] [--rate PER_SECOND] [--seconds S] [--token BEARER]
                      [--warmup N] [--settle S] [--connect-concurrency N] [--ready-timeout S]
                      [--drain-timeout S] [--distinct-subscriptions] [--shared-operation-id]
        Connects N subscribers, creates records at the rate for S seconds over one HTTP
        connection, and prints one JSON line: latency from just before each create is sent to
        its receipt at each subscriber, lost events, and the server's RSS.
        """

    static func parse(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) throws -> Options {
        var o = Options()
        var rest = arguments[...]
        func value(_ name: String) throws -> String {
            guard let v = rest.popFirst() else { throw ClientError("\(name) needs a value\n\(usage)") }
            return v
        }
        func number<T: LosslessStringConvertible>(_ name: String) throws -> T {
            let text = try value(name)
            guard let n = T(text) else { throw ClientError("\(name): not a number: \(text)") }
            return n
        }
        while let name = rest.popFirst() {
            switch name {
            case "--server":
                let v = try value(name)
                guard let s = Server(rawValue: v) else { throw ClientError("--server: tidewater or pocketbase, not \(v)") }
                o.server = s
            case "--url":
                let v = try value(name)
                guard let url = URL(string: v), let host = url.host, let port = url.port else {
                    throw ClientError("--url: expected http://HOST:PORT, got \(v)")
                }
                (o.host, o.port) = (host, port)
            case "--pid": o.pid = try number(name)
            case "--subscribers": o.subscribers = try number(name)
            case "--rate": o.rate = try number(name)
            case "--seconds": o.seconds = try number(name)
            case "--token": o.token = try value(name)
            case "--warmup": o.warmup = try number(name)
            case "--settle": o.settleSeconds = try number(name)
            case "--connect-concurrency": o.connectConcurrency = try number(name)
            case "--ready-timeout": o.readyTimeout = try number(name)
            case "--drain-timeout": o.drainTimeout = try number(name)
            case "--distinct-subscriptions": o.distinctSubscriptions = true
            case "--shared-operation-id": o.sharedOperationID = true
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw ClientError("unknown option \(name)\n\(usage)")
            }
        }
        guard o.port > 0, o.pid > 0 else { throw ClientError("--url and --pid are required\n\(usage)") }
        guard o.server == .pocketbase || !o.token.isEmpty else { throw ClientError("tidewater needs --token") }
        guard o.subscribers > 0, o.rate > 0, o.seconds > 0, o.connectConcurrency > 0 else {
            throw ClientError("counts must be positive")
        }
        return o
    }
}
