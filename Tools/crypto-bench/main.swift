// Field-encryption throughput: encrypt + decrypt of field values (XChaCha20-Poly1305 with the
// record's associated data, envelope encoding included) and blind indexes, in values per second.
//
//   swift build -c release --product tide-crypto-bench
//   .build/release/tide-crypto-bench [--values N] [--sizes 100,10240] [--rounds R]
//
// Prints one line per size and the median of R rounds. Run it on a quiet machine for figures.
import Foundation
import TideCrypto

struct Options {
    var values = 100_000
    var sizes = [100, 10_240]
    var rounds = 5

    init(_ arguments: [String]) {
        var it = arguments.dropFirst().makeIterator()
        while let flag = it.next() {
            guard let value = it.next() else { Options.fail("\(flag) needs a value") }
            switch flag {
            case "--values": values = Options.number(value, flag)
            case "--rounds": rounds = Options.number(value, flag)
            case "--sizes": sizes = value.split(separator: ",").map { Options.number(String($0), flag) }
            default: Options.fail("unknown option \(flag)")
            }
        }
        if values < 1 || rounds < 1 || sizes.contains(where: { $0 < 0 }) { Options.fail("counts must be positive") }
    }

    static func number(_ text: String, _ flag: String) -> Int {
        guard let number = Int(text) else { fail("\(flag) takes numbers") }
        return number
    }

    static func fail(_ message: String) -> Never {
        print("tide-crypto-bench: \(message)\nusage: tide-crypto-bench [--values N] [--sizes 100,10240] [--rounds R]")
        exit(2)
    }
}

func perSecond(_ count: Int, _ duration: Duration) -> Double {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return Double(count) / seconds
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let options = Options(CommandLine.arguments)
let cipher = FieldCipher(keys: try KeyEnvelope.create(passphrase: "benchmark passphrase", parameters: .forTesting).ring)
let clock = ContinuousClock()
print("values per round: \(options.values), rounds: \(options.rounds) (medians)")
for size in options.sizes {
    // Varied text of the given UTF-8 size, so no step can shortcut a repeated input.
    let plaintexts = (0..<min(options.values, 1000)).map { i in
        String(String(repeating: "value \(i) ", count: size / 6 + 1).utf8.prefix(size))!
    }
    var encrypt: [Double] = [], decrypt: [Double] = [], roundTrip: [Double] = [], blind: [Double] = []
    for _ in 0..<options.rounds {
        var sealed: [String] = []
        sealed.reserveCapacity(options.values)
        let e = try clock.measure {
            for i in 0..<options.values {
                sealed.append(try cipher.encrypt(plaintexts[i % plaintexts.count], model: "Note", id: "note-\(i)", field: "body"))
            }
        }
        var bytes = 0
        let d = try clock.measure {
            for (i, value) in sealed.enumerated() {
                bytes &+= try cipher.decrypt(value, model: "Note", id: "note-\(i)", field: "body").utf8.count
            }
        }
        precondition(bytes > 0 || size == 0)
        let b = try clock.measure {
            for i in 0..<options.values {
                _ = try cipher.blindIndex(of: plaintexts[i % plaintexts.count], model: "Note", field: "body")
            }
        }
        encrypt.append(perSecond(options.values, e))
        decrypt.append(perSecond(options.values, d))
        roundTrip.append(perSecond(options.values, e + d))
        blind.append(perSecond(options.values, b))
    }
    func format(_ v: Double) -> String { String(Int(v.rounded())) }
    print("size \(size) B: encrypt \(format(median(encrypt)))/s, decrypt \(format(median(decrypt)))/s, "
          + "encrypt+decrypt \(format(median(roundTrip)))/s, blind index \(format(median(blind)))/s")
}
