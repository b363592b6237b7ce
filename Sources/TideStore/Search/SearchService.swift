import Foundation

/// Full-text search as the GraphQL engine sees it: the seam between the engine and the search
/// index, which the server wires (TideFeed's `FullTextSearch`) so that the engine never
/// imports a feed consumer. Without one, `searchXs` answers `OPERATION_NOT_SUPPORTED`.
///
/// ```swift
/// struct FrozenSearch: SearchService {     // e.g. a test double over a prebuilt index file
///     let store: Store
///     let indexPath: String
///     func search(model: String, query: SearchQuery, now: Date) throws(StoreError) -> SearchPage {
///         try store.search(model: model, query: query, indexPath: indexPath, now: now)
///     }
///     func waitUntilIndexed(_ seq: Int64, timeout: Duration) async -> Bool { true }
/// }
/// ```
public protocol SearchService: Sendable {
    /// One page of a search (see ``Store/search(model:query:indexPath:rankWindow:now:)``).
    func search(model: String, query: SearchQuery, now: Date) throws(StoreError) -> SearchPage
    /// Waits until the index has applied every feed entry up to `seq` (read-your-writes after a
    /// mutation answered with that `extensions.seq`); false when `timeout` passes first.
    func waitUntilIndexed(_ seq: Int64, timeout: Duration) async -> Bool
}
