// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
  name: "feepay",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "feepay", targets: ["feepay"]),
    .library(name: "FeePayCore", targets: ["FeePayCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
  ],
  targets: [
    .target(
      name: "FeePayCore",
      dependencies: [
        .product(name: "Crypto", package: "swift-crypto")
      ],
      resources: [.embedInCode("Resources/common-passwords.txt")],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "FeePayStore",
      dependencies: [
        "FeePayCore",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "FeePayServer",
      dependencies: [
        "FeePayCore",
        "FeePayStore",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
        .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
        .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      // The OpenAPI document, a file of its own, compiled into the binary (nothing to ship).
      // The citizen pages' and the console's templates, style sheets, scripts and the bank list
      // likewise.
      resources: [
        .embedInCode("Resources/openapi.yaml"),
        .embedInCode("Resources/Templates/layout.mustache"),
        .embedInCode("Resources/Templates/pay.mustache"),
        .embedInCode("Resources/Templates/receipt.mustache"),
        .embedInCode("Resources/Templates/message.mustache"),
        .embedInCode("Resources/Assets/feepay.css"),
        .embedInCode("Resources/Assets/pay.js"),
        .embedInCode("Resources/Data/banks.json"),
        .embedInCode("Resources/Console/console.mustache"),
        .embedInCode("Resources/Console/notice.mustache"),
        .embedInCode("Resources/Console/sign-in.mustache"),
        .embedInCode("Resources/Console/enrol.mustache"),
        .embedInCode("Resources/Console/today.mustache"),
        .embedInCode("Resources/Console/exceptions.mustache"),
        .embedInCode("Resources/Console/exception.mustache"),
        .embedInCode("Resources/Console/days.mustache"),
        .embedInCode("Resources/Console/day.mustache"),
        .embedInCode("Resources/Console/statements.mustache"),
        .embedInCode("Resources/Console/statement.mustache"),
        .embedInCode("Resources/Console/audit.mustache"),
        .embedInCode("Resources/Console/admin.mustache"),
        .embedInCode("Resources/Console/reports.mustache"),
        .embedInCode("Resources/Console/receipts.mustache"),
        .embedInCode("Resources/Console/receipt-detail.mustache"),
        .embedInCode("Resources/Console/ledger.mustache"),
        .embedInCode("Resources/Console/entries.mustache"),
        .embedInCode("Resources/Assets/console.css"),
        .embedInCode("Resources/Assets/console.js"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "feepay",
      dependencies: [
        "FeePayCore",
        "FeePayStore",
        "FeePayServer",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Configuration", package: "swift-configuration"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "FeePayCoreTests",
      dependencies: ["FeePayCore"],
      resources: [.copy("Fixtures")],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "FeePayServerTests",
      dependencies: [
        "FeePayCore",
        "FeePayStore",
        "FeePayServer",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),
  ]
)
