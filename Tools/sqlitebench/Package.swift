// swift-tools-version:6.2
// Store read microbenchmark (Tools/sqlitebench/run.sh drives it): a cached-statement read on a
// pooled connection through TideSQLite, and Store.get on the same file. A package of its own so
// that the server's `swift build` / `make test` never build it.
import PackageDescription

let package = Package(
    name: "sqlitebench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tidewater", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "sqlitebench",
            dependencies: [
                .product(name: "TideModel", package: "tidewater"),
                .product(name: "TideSQLite", package: "tidewater"),
                .product(name: "TideStore", package: "tidewater"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
