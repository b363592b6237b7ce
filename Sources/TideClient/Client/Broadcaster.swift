import Foundation
import Synchronization

/// Hands each value to every current listener's `AsyncStream`; a listener that stops listening
/// is dropped. With `replayLatest`, a new listener first gets the latest value (a status).
final class Broadcaster<Value: Sendable>: Sendable {
    private struct State {
        var listeners: [UUID: AsyncStream<Value>.Continuation] = [:]
        var latest: Value?
    }

    private let state = Mutex(State())
    private let replayLatest: Bool

    init(replayLatest: Bool = false, initial: Value? = nil) {
        self.replayLatest = replayLatest
        state.withLock { $0.latest = initial }
    }

    func stream() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .unbounded)
        let id = UUID()
        state.withLock {
            $0.listeners[id] = continuation
            if replayLatest, let latest = $0.latest { continuation.yield(latest) }
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.state.withLock { state in
                state.listeners[id] = nil
            }
        }
        return stream
    }

    func yield(_ value: Value) {
        let listeners = state.withLock {
            $0.latest = value
            return Array($0.listeners.values)
        }
        for listener in listeners { listener.yield(value) }
    }

    var latest: Value? { state.withLock { $0.latest } }

    /// Someone listens: values worth computing only to be handed out can be skipped otherwise.
    var hasListeners: Bool { state.withLock { !$0.listeners.isEmpty } }

    func finish() {
        let listeners = state.withLock { state in
            defer { state.listeners = [:] }
            return Array(state.listeners.values)
        }
        for listener in listeners { listener.finish() }
    }
}
