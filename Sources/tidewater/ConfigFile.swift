import Foundation
import TideGraphQL
import TideModel
import TideServer
import TideStore

/// Reads a JSON configuration file into `ServerConfiguration` (see Fixtures/config/tidewater.json).
/// Unknown keys are an error, so a typo does not silently fall back to a default.
enum ConfigFile {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func apply(path: String, to configuration: inout ServerConfiguration) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(description: "cannot read \(path)") }
        guard case .object(let object) = try JSONParser.parse(Array(data)) else {
            throw Problem(description: "\(path): the configuration must be a JSON object")
        }
        for (key, value) in object {
            func int() throws -> Int {
                guard case .int(let i) = value else { throw Problem(description: "\(path): \(key) must be an integer") }
                return Int(i)
            }
            func string() throws -> String {
                guard case .string(let s) = value else { throw Problem(description: "\(path): \(key) must be a string") }
                return s
            }
            switch key {
            case "schema": configuration.schemaPath = try string()
            case "data": configuration.dataDirectory = try string()
            case "host": configuration.host = try string()
            case "port": configuration.port = try int()
            case "durability":
                guard let d = Durability(rawValue: try string()) else {
                    throw Problem(description: "\(path): durability must be \"full\" or \"normal\"")
                }
                configuration.durability = d
            case "maxBodyBytes": configuration.maxBodyBytes = try int()
            case "httpIdleTimeoutSeconds":
                let seconds = try int()
                guard seconds > 0 else { throw Problem(description: "\(path): httpIdleTimeoutSeconds must be positive") }
                configuration.httpIdleTimeout = .seconds(seconds)
            case "introspection":
                guard let access = IntrospectionAccess(rawValue: try string()) else {
                    throw Problem(description: "\(path): introspection must be \"public\", \"authenticated\" or \"off\"")
                }
                configuration.introspection = access
            case "shutdownTimeoutSeconds":
                let seconds = try int()
                guard seconds >= 0 else { throw Problem(description: "\(path): shutdownTimeoutSeconds must be 0 or more") }
                configuration.shutdownTimeout = .seconds(seconds)
            case "maxDepth": configuration.limits.maxDepth = try int()
            case "maxInputDepth": configuration.limits.maxInputDepth = try int()
            case "maxAliases": configuration.limits.maxAliases = try int()
            case "maxSelections": configuration.limits.maxSelections = try int()
            case "maxTokens": configuration.limits.maxTokens = try int()
            case "maxPageSize": configuration.limits.maxPageSize = try int()
            case "tombstoneRetentionSeconds": configuration.tombstoneRetentionSeconds = Int64(try int())
            case "feedRetentionSeconds": configuration.feedRetentionSeconds = Int64(try int())
            case "maintenanceIntervalSeconds": configuration.maintenanceIntervalSeconds = Double(try int())
            case "trustProxy":
                guard case .bool(let b) = value else { throw Problem(description: "\(path): trustProxy must be true or false") }
                configuration.trustProxy = b
            case "authRateLimit", "graphQLRateLimit":
                let text = try string()
                let limit = RateLimit(parsing: text)
                guard limit != nil || text == "off" else {
                    throw Problem(description: "\(path): \(key) must look like \"30/min\", \"100/s\" or \"off\"")
                }
                if key == "authRateLimit" { configuration.authRateLimit = limit } else { configuration.graphQLRateLimit = limit }
            case "realtimeInitTimeoutSeconds": configuration.realtime.initTimeout = .seconds(try int())
            case "realtimePingIntervalSeconds":
                let seconds = try int()
                configuration.realtime.pingInterval = seconds > 0 ? .seconds(seconds) : nil
            case "realtimeMaxConnectionsPerCaller": configuration.realtime.maxConnectionsPerCaller = try int()
            case "realtimeMaxOperationsPerConnection": configuration.realtime.maxOperationsPerConnection = try int()
            case "realtimeQueueCapacity": configuration.realtime.queueCapacity = try int()
            case "realtimeMaxMessageBytes": configuration.realtime.maxMessageBytes = try int()
            case "accessTokenLifetimeSeconds": configuration.identity.accessTokenLifetimeSeconds = try int()
            case "refreshTokenLifetimeSeconds": configuration.identity.refreshTokenLifetimeSeconds = try int()
            case "tokenIssuer": configuration.identity.issuer = try string()
            default: throw Problem(description: "\(path): unknown setting \"\(key)\"")
            }
        }
    }
}
