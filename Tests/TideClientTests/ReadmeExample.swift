// README.md's example ("Client"), word for word: ReadmeExampleTests runs it against a real
// server and checks that the README still shows this code.
import Foundation
import TideClient

struct Note: SyncModel {
    static let modelName = "Note"
    var id = UUID().uuidString.lowercased()
    var title: String
    var priority: Int?
    var tags: [String]?
}

/// Signs in (or reopens the last session, also offline), saves a note at once, then keeps the
/// user's data live and prints the urgent notes whenever they change, until all are sent.
func showUrgentNotes(server: URL, storeDirectory: URL, username: String, password: String) async throws {
    let client = TideClient(configuration: .init(server: server, storeDirectory: storeDirectory))
    if try await client.restoreSession() == nil {
        try await client.signIn(username: username, password: password)
    }
    try await client.save(Note(title: "Buy milk", priority: 2, tags: ["home"]))   // local at once, queued
    try client.startLiveSync()              // sends, pulls, subscribes; reconnects on its own
    for try await notes in client.observeQuery(Note.self, filter: ["priority": ["ge": 2]], sort: [SortKey("title")]) {
        print(notes.map(\.title))           // after every local write and every synced change
        if try await client.outbox().isEmpty { break }
    }
    await client.stopLiveSync()
}
