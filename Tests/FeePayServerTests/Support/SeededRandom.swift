import Foundation

/// A seeded generator (SplitMix64) for the tests' random mixes, so a failure can be
/// replayed: each test prints its seed, and `FEEPAY_TEST_SEED=<seed>` runs it again with
/// the same choices.
struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64
  let seed: UInt64

  init(_ test: String = #function) {
    let fixed = ProcessInfo.processInfo.environment["FEEPAY_TEST_SEED"].flatMap { UInt64($0) }
    seed = fixed ?? UInt64.random(in: 0...UInt64.max)
    state = seed
    print("\(test): random seed \(seed) (replay with FEEPAY_TEST_SEED=\(seed))")
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
