import CC1DKernels
import Testing

@testable import C1D

/// Independent of the library's `Border`: the padded row's value at `i` under a `C1D_BORDER_*` mode.
func referencePadded(_ x: [Float], _ i: Int, mode: Int32, value: Float) -> Float {
  let n = x.count
  if i >= 0, i < n { return x[i] }
  switch mode {
  case Int32(C1D_BORDER_REFLECT): return x[i < 0 ? -i : 2 * (n - 1) - i]
  case Int32(C1D_BORDER_REPLICATE): return x[i < 0 ? 0 : n - 1]
  case Int32(C1D_BORDER_CIRCULAR): return x[i < 0 ? i + n : i - n]
  default: return value
  }
}

/// Values in [−1, 1] from a fixed seed.
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
  var rng = SeededGenerator(seed: seed)
  return (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
}

/// Whether every `actual[i]` is within `tolerance · max(1, |expected[i]|)`; NaN matches only NaN.
func allClose(_ actual: [Float], _ expected: [Double], tolerance: Double) -> Bool {
  guard actual.count == expected.count else { return false }
  return zip(actual, expected).allSatisfy { a, e in
    if e.isNaN { return a.isNaN }
    if e.isInfinite { return Double(a) == e }
    return abs(Double(a) - e) <= tolerance * max(1, abs(e))
  }
}
