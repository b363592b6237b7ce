import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TideFeed
import TideModel
import TideSchema
import TideStore
import Testing

/// A data folder removed when the value goes.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tidewater-feed-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let quietLogger: Logger = {
    var logger = Logger(label: "tidewater.feed.tests")
    logger.logLevel = .critical
    return logger
}()

func openStore(_ directory: TemporaryDirectory, schema: String) throws -> Store {
    var configuration = StoreConfiguration(directory: directory.path, durability: .normal)
    configuration.feedRetentionSeconds = 0
    return try Store(schema: try SchemaLoader.load(source: schema), configuration: configuration, logger: quietLogger)
}

/// Polls `condition` every 10 ms; fails the test after `timeout`.
func eventually(
    _ what: String, timeout: Duration = .seconds(20), _ condition: () throws -> Bool, sourceLocation: Testing.SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

/// Runs `runner` in a ServiceGroup while `body` runs, then shuts it down gracefully.
func whileRunning<T>(_ runner: FeedConsumerRunner, _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: quietLogger))
    let task = Task { try await group.run() }
    do {
        let result = try await body()
        await group.triggerGracefulShutdown()
        try await task.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        throw error
    }
}
