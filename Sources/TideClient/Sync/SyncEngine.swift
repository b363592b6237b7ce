import Foundation
import Synchronization

/// Live sync for one user space: keeps a connection when the link is up, reconnects with a
/// jittered backoff when it drops (also when the app started offline, or after a long pause:
/// every reconnect pulls what it missed), and reports each step on the space's status.
final class SyncEngine: Sendable {
    private let space: UserSpace
    private let machine = Mutex(ConnectionStateMachine())
    private let controls = Mutex<[ConnectionStateMachine.Event]>([])
    private let wakeup = Wakeup()
    /// The running session's input, to interrupt it when the link goes down.
    private let session = Mutex<AsyncStream<LiveSession.Input>.Continuation?>(nil)

    init(space: UserSpace) {
        self.space = space
    }

    /// Posts a control event (`linkUp`, `linkDown`, `stop`).
    func post(_ event: ConnectionStateMachine.Event) {
        controls.withLock { $0.append(event) }
        if event == .linkDown || event == .stop { session.withLock { _ = $0?.yield(.interrupted) } }
        wakeup.signal()
    }

    /// Runs until cancelled.
    func run(linkUp: Bool) async {
        if !linkUp { _ = handle(.linkDown) }
        var action = handle(.start)
        let watcher = watchOtherProcesses()
        defer { watcher.cancel() }
        while !Task.isCancelled {
            switch action {
            case .connect:
                let (inputs, input) = AsyncStream<LiveSession.Input>.makeStream(bufferingPolicy: .unbounded)
                session.withLock { $0 = input }
                let live = LiveSession(space: space, inputs: inputs, input: input) { [weak self] event in _ = self?.handle(event) }
                let end = await live.run()
                session.withLock { $0 = nil }
                input.finish()
                switch end {
                case .closed(let reason, let renew):
                    space.configuration.logger.debug("connection ended", metadata: ["reason": "\(reason)"])
                    action = handle(.disconnected(reason: reason, renew: renew))
                case .fatal(let reason):
                    action = handle(.fatal(reason))
                case .interrupted:
                    action = nextControl() ?? .none
                    if action == .none, machine.withLock({ $0.status }) != .offline { action = .connect }
                }
            case .retry(let delay):
                if await wakeup.wait(timeout: .seconds(delay)) {
                    action = nextControl() ?? .connect
                } else {
                    action = .connect
                }
            case .none, .disconnect:
                _ = await wakeup.wait(timeout: nil)
                action = nextControl() ?? .none
            }
        }
        _ = handle(.stop)
    }

    private func nextControl() -> ConnectionStateMachine.Action? {
        var result: ConnectionStateMachine.Action?
        while let event = controls.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            let action = handle(event)
            if action != .none || result == nil { result = action }
        }
        return result
    }

    private func handle(_ event: ConnectionStateMachine.Event) -> ConnectionStateMachine.Action {
        let (action, status) = machine.withLock { machine in
            let action = machine.handle(event)
            return (action, machine.status)
        }
        if space.status.latest != status { space.status.yield(status) }
        return action
    }

    /// Notices writes another process made to the store (`tide save` beside `tide watch`):
    /// SQLite's `data_version` changes, and the sender looks at the outbox again.
    private func watchOtherProcesses() -> Task<Void, Never> {
        let space = self.space
        return Task {
            var seen = try? space.store.dataVersion()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                let now = try? space.store.dataVersion()
                if now != seen {
                    seen = now
                    space.outboxWakeup.signal()
                }
            }
        }
    }
}
