import Foundation

/// Creates one note with a client-chosen id over the creator's keep-alive connection.
struct Creator {
    let connection: HTTPConnection
    let options: Options

    private static var note: [String: Any] {
        ["title": "fan-out note", "body": "a short note body, as a phone would send it", "done": false,
         "priority": 3, "tags": ["a", "b"]]
    }
    private static let mutation = "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id } }"

    /// Throws unless the server answered that it created the record.
    func create(id: String) async throws {
        var note = Self.note
        note["id"] = id
        let response: HTTPConnection.Response
        switch options.server {
        case .tidewater:
            let body = try JSONSerialization.data(withJSONObject: ["query": Self.mutation, "variables": ["input": note]])
            response = try await connection.request(
                .POST, "/graphql", headers: [("Authorization", "Bearer \(options.token)")], json: Array(body))
            let text = String(decoding: response.body, as: UTF8.self)
            guard response.status == 200, text.contains(id), !text.contains(#""errors""#) else {
                throw ClientError("createNote: HTTP \(response.status): \(text.prefix(300))")
            }
        case .pocketbase:
            let body = try JSONSerialization.data(withJSONObject: note)
            response = try await connection.request(.POST, "/api/collections/notes/records", json: Array(body))
            guard response.status == 200 else {
                throw ClientError("PocketBase create: HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self).prefix(300))")
            }
        }
    }
}
