import TideStore

/// Something that follows the change feed (ARCHITECTURE §10): the search indexer, the
/// notification fan-out. Implement this and hand it to a ``FeedConsumerRunner``; the runner
/// does the rest — reads the feed in batches from the consumer's checkpoint, wakes on commits
/// (never polls), saves the checkpoint, holds feed retention behind it, reports lag, retries a
/// failed batch with backoff, and stops with the server.
///
/// The contract a consumer keeps:
/// - ``apply(_:)`` gets entries in `seq` order with no hole after the last position it was
///   given. It must be **idempotent per entry**: after a crash the entries after the last
///   saved checkpoint arrive again.
/// - A throw leaves the position where it was; the same entries come again after a backoff.
/// - It never runs inside a resolver and never calls the GraphQL engine.
///
/// Checkpoints: by default the runner keeps the position in the store's `_checkpoints` row,
/// saved after applying (at-least-once). A consumer that writes to its own database can keep
/// its position there, in the same transaction as its work (exactly-once): return it from
/// ``resume()``; the runner then still saves the store row, as the retention hold, never ahead
/// of what the consumer has made durable.
///
/// ```swift
/// /// Counts creates per model in a table of the consumer's own.
/// struct CreateCounter: FeedConsumer {
///     let ledger: CounterLedger            // the consumer's own storage
///     var name: String { "create-counter" }
///
///     func apply(_ entries: [FeedEntry]) async throws {
///         // Keyed by seq: applying an entry twice changes nothing.
///         for entry in entries where entry.operation == .insert {
///             try ledger.record(seq: entry.seq, model: entry.model)
///         }
///     }
/// }
///
/// let runner = FeedConsumerRunner(consumer: CreateCounter(ledger: ledger), store: store, logger: logger)
/// // A swift-service-lifecycle Service: run it in the server's ServiceGroup.
/// ```
public protocol FeedConsumer: Sendable {
    /// Unique and stable: the checkpoint row's key and the `consumer` label in `/metrics`.
    var name: String { get }
    /// The most entries per ``apply(_:)`` (default 512).
    var batchSize: Int { get }
    /// How long the runner waits after a batch that emptied the feed before it reads again
    /// (default zero: every commit is applied as it comes). Under a steady write load a window
    /// gathers the commits of that time into one batch: a consumer whose batch has a fixed cost
    /// (a transaction, an FTS5 segment) trades that much lag for far fewer of them. An idle
    /// consumer still applies the first commit at once.
    var batchWindow: Duration { get }
    /// How the consumer's thread competes with the requests for the cores (default
    /// ``ConsumerPriority/normal``).
    var priority: ConsumerPriority { get }
    /// Where a consumer without any checkpoint begins (default ``FeedStart/head``: it sees only
    /// changes made from now on).
    var start: FeedStart { get }

    /// Called once before the first batch. A consumer that keeps its own checkpoint returns the
    /// seq it has applied through (it may rebuild its state here first); nil lets the runner
    /// use the store's checkpoint row. Default: nil.
    func resume() async throws -> Int64?

    /// Applies a batch; see the type's contract.
    func apply(_ entries: [FeedEntry]) async throws

    /// The feed no longer holds the entries after `position` up to `available - 1` (trimmed by
    /// retention while the consumer was declared dead or never registered). Returns the
    /// position to continue from: `available - 1` skips them; a consumer that can rebuild from
    /// the store (the search index) does so and returns the feed head it rebuilt at. Default:
    /// skip (the runner logs a warning).
    func skip(from position: Int64, to available: Int64) async throws -> Int64
}

/// Where a consumer with no checkpoint begins.
public enum FeedStart: Sendable, Hashable {
    /// After the feed head at the consumer's first start: only later changes.
    case head
    /// From the oldest entry the feed still holds.
    case beginning
}

extension FeedConsumer {
    public var batchSize: Int { 512 }
    public var batchWindow: Duration { .zero }
    public var start: FeedStart { .head }
    public var priority: ConsumerPriority { .normal }
    public func resume() async throws -> Int64? { nil }
    public func skip(from position: Int64, to available: Int64) async throws -> Int64 { available - 1 }
}
