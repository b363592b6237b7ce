import Hummingbird
import NIOCore
import TideModel

/// A small JSON-object request body (`application/json`), read with a size limit, with typed
/// access to its string fields. Failures are client errors that carry their problem response.
struct JSONRequestBody {
    /// Why a body was refused: the status and the detail to answer with.
    struct Problem: Error {
        let status: HTTPResponse.Status
        let detail: String
    }

    let fields: [String: JSONValue]

    /// Reads the body: 415 unless the media type is JSON, 413 past `limit` bytes, 400 unless it
    /// is a JSON object.
    static func read(_ request: Request, limit: Int) async throws -> JSONRequestBody {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw Problem(status: .unsupportedMediaType, detail: "Send the request as application/json.")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem(status: .contentTooLarge, detail: "The request body exceeds \(limit) bytes.")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body.readableBytesView)
        } catch {
            throw Problem(status: .badRequest, detail: "The request body is not valid JSON: \(error.reason)")
        }
        guard case .object(let fields) = value else {
            throw Problem(status: .badRequest, detail: "The request body must be a JSON object.")
        }
        return JSONRequestBody(fields: fields)
    }

    /// The string field `name`; 400 when it is missing (or null) or not a string.
    func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else { throw Problem(status: .badRequest, detail: "\(name) is required.") }
        return value
    }

    /// The string field `name`, nil when absent or null; 400 when it is another type.
    func optionalString(_ name: String) throws -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw Problem(status: .badRequest, detail: "\(name) must be a string.")
        }
    }
}
