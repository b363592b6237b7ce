import Foundation
import TideModel

/// A `Codable` app type mirrored by a model of the schema: the typed layer over the dynamic
/// records. Property names are the model's field names; optional properties left nil are not
/// written by ``TideClient/save(_:)`` (the stored value stays), so a partial struct updates
/// only what it sets. `createdAt`, `updatedAt` and `_version` may be declared to be read.
///
/// ```swift
/// struct Note: SyncModel {
///     static let modelName = "Note"
///     var id: String
///     var title: String
///     var tags: [String]?
///     var done: Bool?
///     var priority: Int?
/// }
/// try await client.save(Note(id: UUID().uuidString, title: "Buy milk", priority: 2))
/// let urgent = try await client.query(Note.self, filter: ["priority": ["ge": 2]])
/// ```
public protocol SyncModel: Codable, Sendable {
    /// The model's name in the schema.
    static var modelName: String { get }
    var id: String { get }
}

extension TideClient {
    /// Saves a typed record (create or partial update, as ``save(_:_:)-(String,_)``).
    @discardableResult
    public func save<M: SyncModel>(_ value: M) async throws(TideClientError) -> M {
        let record = try await save(M.modelName, try Self.encode(value))
        return try Self.decode(M.self, record)
    }

    public func get<M: SyncModel>(_ type: M.Type, id: String) async throws(TideClientError) -> M? {
        try await get(M.modelName, id: id).map { record throws(TideClientError) in try Self.decode(M.self, record) }
    }

    public func delete<M: SyncModel>(_ type: M.Type, id: String) async throws(TideClientError) {
        try await delete(M.modelName, id: id)
    }

    public func query<M: SyncModel>(
        _ type: M.Type, filter: JSONValue? = nil, sort: [SortKey] = [], limit: Int? = nil
    ) async throws(TideClientError) -> [M] {
        var results: [M] = []
        for record in try await query(M.modelName, filter: filter, sort: sort, limit: limit) {
            results.append(try Self.decode(M.self, record))
        }
        return results
    }

    public func observeQuery<M: SyncModel>(
        _ type: M.Type, filter: JSONValue? = nil, sort: [SortKey] = []
    ) -> AsyncThrowingStream<[M], any Error> {
        let records = observeQuery(M.modelName, filter: filter, sort: sort)
        let (stream, continuation) = AsyncThrowingStream<[M], any Error>.makeStream()
        let task = Task {
            do {
                for try await batch in records {
                    var values: [M] = []
                    for record in batch { values.append(try Self.decode(M.self, record)) }
                    continuation.yield(values)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    static func encode<M: SyncModel>(_ value: M) throws(TideClientError) -> [String: JSONValue] {
        do {
            let data = try JSONEncoder().encode(value)
            guard case .object(let fields) = try JSONParser.parse(Array(data)) else {
                throw TideClientError.invalidRecord("\(M.modelName) must encode as an object")
            }
            return fields
        } catch let error as TideClientError {
            throw error
        } catch {
            throw .invalidRecord("\(M.modelName) could not be encoded: \(error)")
        }
    }

    static func decode<M: SyncModel>(_ type: M.Type, _ record: ClientRecord) throws(TideClientError) -> M {
        do {
            return try JSONDecoder().decode(M.self, from: Data(JSONValue.object(record.values).jsonBytes))
        } catch {
            throw .invalidRecord("\(M.modelName) \"\(record.id)\" does not decode as \(M.self): \(error)")
        }
    }
}
