import Dispatch
import Synchronization

/// Writes the values that did not decrypt to the local store (``LocalStore/recordDecryptionFailures(_:)``)
/// in batches, off the thread that decrypts: a device that syncs before unlocking its keys sees
/// every encrypted value of every record fail, and one transaction (one fsync) per value would
/// make that sync crawl. ``flush()`` waits until everything recorded so far is written (at the
/// end of a sync, before the failures are read, at sign-out).
final class DecryptionFailureLog: Sendable {
    private struct Pending {
        var items: [DecryptionFailure] = []
        var scheduled = false
    }

    private let store: LocalStore
    private let pending = Mutex(Pending())
    private let queue = DispatchQueue(label: "tide.client.decryption-failures")

    init(store: LocalStore) {
        self.store = store
    }

    func record(_ failure: DecryptionFailure) {
        let schedule = pending.withLock { pending in
            pending.items.append(failure)
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        if schedule { queue.async { self.write() } }
    }

    /// Writes what is recorded and waits for it.
    func flush() {
        queue.sync { write() }
    }

    private func write() {
        let items = pending.withLock { pending in
            defer { pending = Pending() }
            return pending.items
        }
        if !items.isEmpty { store.recordDecryptionFailures(items) }
    }
}
