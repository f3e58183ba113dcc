// swift-tools-version: 6.1
// FeePay's micro-benchmarks (package-benchmark) for the pure hot paths in FeePayCore. A package
// of its own so that the service's build and tests never resolve the benchmark tooling.
//
//   cd bench/micro && swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
  name: "feepay-micro-benchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(name: "feepay", path: "../.."),
    .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "HotPaths",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "FeePayCore", package: "feepay"),
      ],
      path: "Benchmarks/HotPaths",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
  ]
)
