import CC1DKernels
import Foundation
import Testing

@testable import C1D

/// The element-wise kernels of every kernel set against the functions they compute (in Double), the phase
/// split and the moments, at counts around the 8- and 16-lane vector steps and their masked tails.
@Suite("Element-wise kernels")
struct KernelElementwiseTests {
  static let counts = [1, 7, 8, 9, 15, 16, 17, 33, 100]

  struct Activation: Sendable, CustomTestStringConvertible {
    let kind: Int32, parameter: Float, name: String
    var testDescription: String { name }

    func reference(_ x: Double) -> Double {
      let p = Double(parameter)
      switch kind {
      case Int32(C1D_ACT_RELU): return x.isNaN ? x : max(x, 0)
      case Int32(C1D_ACT_LEAKY_RELU): return x < 0 ? x * p : x
      case Int32(C1D_ACT_ELU): return x > 0 ? x : p * (exp(x) - 1)
      case Int32(C1D_ACT_GELU_ERF): return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
      case Int32(C1D_ACT_GELU_TANH): return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
      case Int32(C1D_ACT_SILU): return x / (1 + exp(-x))
      case Int32(C1D_ACT_SIGMOID): return 1 / (1 + exp(-x))
      case Int32(C1D_ACT_TANH): return tanh(x)
      default: return x
      }
    }
  }

  static let activations = [
    Activation(kind: Int32(C1D_ACT_RELU), parameter: 0, name: "relu"),
    Activation(kind: Int32(C1D_ACT_LEAKY_RELU), parameter: 0.1, name: "leaky_relu"),
    Activation(kind: Int32(C1D_ACT_ELU), parameter: 1.3, name: "elu"),
    Activation(kind: Int32(C1D_ACT_GELU_ERF), parameter: 0, name: "gelu"),
    Activation(kind: Int32(C1D_ACT_GELU_TANH), parameter: 0, name: "gelu tanh"),
    Activation(kind: Int32(C1D_ACT_SILU), parameter: 0, name: "silu"),
    Activation(kind: Int32(C1D_ACT_SIGMOID), parameter: 0, name: "sigmoid"),
    Activation(kind: Int32(C1D_ACT_TANH), parameter: 0, name: "tanh"),
    Activation(kind: Int32(C1D_ACT_IDENTITY), parameter: 0, name: "identity"),
  ]

  /// Values over [−8, 8] (both branches of every piecewise formula), 0 and −0 first.
  static func inputs(_ count: Int) -> [Float] {
    var x = randomValues(count, seed: UInt64(count)).map { $0 * 8 }
    for (i, v) in [Float(0), -0.0, 0.3, -0.7].enumerated() where i < count { x[i] = v }
    return x
  }

  @Test("activations match their functions", arguments: KernelConfig.supported, activations)
  func activation(_ config: KernelConfig, _ f: Activation) {
    for count in Self.counts {
      let x = Self.inputs(count)
      // A sentinel that every activation but the identity changes (f(NaN) is NaN for all of them).
      var y = x + [-5]
      config.activation(f.kind, &y, count, f.parameter)
      let expected = x.map { f.reference(Double($0)) }
      #expect(allClose(Array(y.prefix(count)), expected, tolerance: 2e-6), "\(config.name) \(f.name) count \(count)")
      #expect(y[count] == -5, "\(config.name) \(f.name): wrote past count \(count)")
    }
  }

  /// NaN, infinities and values past exp's range (where the formulas clamp or flush to 0), in the vector
  /// body and in the tail: 19 values are two 8-lane vectors and a tail of 3, one 16-lane vector and 3.
  @Test("activations at NaN, ±infinity and beyond exp's range", arguments: KernelConfig.supported, activations)
  func activationSpecials(_ config: KernelConfig, _ f: Activation) {
    let specials: [Float] = [.nan, .infinity, -.infinity, 100, -100, 89, -89, 20, -20, 9.5, -9.5]
    let x = (0..<19).map { specials[($0 * 7) % specials.count] }
    var y = x
    config.activation(f.kind, &y, x.count, f.parameter)
    let expected = x.map { f.reference(Double($0)) }
    #expect(allClose(y, expected, tolerance: 2e-6), "\(config.name) \(f.name): \(x) gave \(y)")
  }

  /// PyTorch's exp overflows to inf past ln(FLT_MAX), so sigmoid and silu give exactly 0 (−0) below −88.72
  /// and silu(−inf) = −inf / inf is NaN; a closeness test cannot see a 1e-37 left in place of 0.
  @Test("sigmoid and silu are exactly 0 below exp's range and silu(−inf) is NaN, as in PyTorch", arguments: KernelConfig.supported)
  func sigmoidAndSiluTails(_ config: KernelConfig) {
    // Two 8-lane vectors and a tail of 3, one 16-lane vector and 3.
    let below: [Float] = [-88.73, -89, -100, -1e30, -.infinity]
    let x = (0..<19).map { below[$0 % below.count] }
    for kind in [C1D_ACT_SIGMOID, C1D_ACT_SILU] {
      var y = x
      config.activation(Int32(kind), &y, x.count, 0)
      for (input, output) in zip(x, y) {
        if kind == C1D_ACT_SILU && input == -.infinity {
          #expect(output.isNaN, "\(config.name) silu(\(input)) = \(output)")
        } else {
          #expect(output == 0, "\(config.name) \(kind == C1D_ACT_SILU ? "silu" : "sigmoid")(\(input)) = \(output)")
        }
      }
    }
  }

  @Test("relu passes NaN through, as PyTorch does", arguments: KernelConfig.supported)
  func reluNaN(_ config: KernelConfig) {
    var y: [Float] = [.nan, -1, .nan, 2] + [Float](repeating: -3, count: 16)
    config.activation(Int32(C1D_ACT_RELU), &y, y.count, 0)
    #expect(y[0].isNaN && y[2].isNaN && y[1] == 0 && y[3] == 2 && y[4...].allSatisfy { $0 == 0 }, "\(config.name)")
  }

  /// WaveNet's tanh · sigmoid and GLU's identity · sigmoid (kernels may have loops of their own for them),
  /// and a pair no kernel singles out.
  static let gatePairs = [(activations[7], activations[6]), (activations[8], activations[6]), (activations[0], activations[3])]

  /// Every pair of special values (361 elements: vectors and a tail; past both ends of exp's polynomial too)
  /// through the sigmoid gates. The expected sigmoid is PyTorch's in float: 1 / (1 + exp(−g)) with exp
  /// overflowing to inf past ln(FLT_MAX), so that identity(±inf) · sigmoid(−100) is NaN, as in PyTorch,
  /// rather than the ±inf a double exp would give.
  @Test("sigmoid gates at NaN, ±infinity and beyond exp's range", arguments: KernelConfig.supported)
  func sigmoidGateSpecials(_ config: KernelConfig) {
    let specials: [Float] = [
      .nan, .infinity, -.infinity, 100, -100, 89, -89, 88.5, -88.5, 87.4, -87.4, 43.7, 20, -20, 9.5, -9.5, 0.5, -0.3, 0,
    ]
    let value = specials.flatMap { v in specials.map { _ in v } }
    let gate = specials.flatMap { _ in specials }
    func sigmoid(_ g: Float) -> Double { 1 / (1 + Double(Float(exp(-Double(g))))) }
    for f in [Self.activations[7], Self.activations[8]] {
      var y = [Float](repeating: 0, count: value.count)
      config.gate(f.kind, f.parameter, value, Int32(C1D_ACT_SIGMOID), 0, gate, &y, value.count)
      let expected = zip(value, gate).map { f.reference(Double($0)) * sigmoid($1) }
      let wrong = zip(zip(value, gate), zip(y, expected)).filter { !allClose([$1.0], [$1.1], tolerance: 2e-6) }
      #expect(wrong.isEmpty, "\(config.name) \(f.name)·sigmoid: (value, gate) → (got, expected) \(wrong.prefix(6))")
    }
  }

  @Test("gate is f(value) · g(gate), in place too", arguments: KernelConfig.supported, counts)
  func gate(_ config: KernelConfig, _ count: Int) {
    // One more element each, past count: a kernel that reads and writes it changes the NaN at y[count].
    let value = Self.inputs(count) + [-5]
    let gate = randomValues(count, seed: 77).map { $0 * 6 } + [-5]
    for (f, g) in Self.gatePairs {
      let expected = (0..<count).map { f.reference(Double(value[$0])) * g.reference(Double(gate[$0])) }
      var y = [Float](repeating: .nan, count: count + 1)
      config.gate(f.kind, f.parameter, value, g.kind, g.parameter, gate, &y, count)
      #expect(allClose(Array(y.prefix(count)), expected, tolerance: 2e-6), "\(config.name) \(f.name)·\(g.name) count \(count)")
      #expect(y[count].isNaN, "\(config.name) \(f.name)·\(g.name): wrote past count \(count)")
      var inPlace = value
      inPlace.withUnsafeMutableBufferPointer { v in
        config.gate(f.kind, f.parameter, v.baseAddress!, g.kind, g.parameter, gate, v.baseAddress!, count)
      }
      #expect(inPlace == Array(y.prefix(count)) + [-5], "\(config.name) \(f.name)·\(g.name) in place, count \(count)")
    }
  }

  @Test("binary adds and multiplies exactly", arguments: KernelConfig.supported, counts)
  func binary(_ config: KernelConfig, _ count: Int) {
    // b has one more element, so that a kernel that handles element `count` changes the 3 there.
    let a = randomValues(count, seed: 1), b = randomValues(count, seed: 2) + [2]
    for product in [false, true] {
      var y = a + [3]
      config.binary(product ? 1 : 0, &y, b, count)
      let expected = zip(a, b).map { product ? $0 * $1 : $0 + $1 }
      #expect(Array(y.prefix(count)) == expected, "\(config.name) \(product ? "mul" : "add") count \(count)")
      #expect(y[count] == 3, "\(config.name): wrote past count \(count)")
    }
  }

  @Test("moments are the mean and biased variance", arguments: KernelConfig.supported, counts + [4096, 5000])
  func moments(_ config: KernelConfig, _ count: Int) {
    let x = randomValues(count, seed: 9).map { $0 * 3 + 1.5 }
    var mean = 0.0, variance = 0.0
    config.moments(x, count, &mean, &variance)
    let expectedMean = x.reduce(0.0) { $0 + Double($1) } / Double(count)
    let expectedVariance = x.reduce(0.0) { $0 + (Double($1) - expectedMean) * (Double($1) - expectedMean) } / Double(count)
    #expect(abs(mean - expectedMean) <= 1e-6 * max(1, abs(expectedMean)), "\(config.name) mean, count \(count)")
    #expect(abs(variance - expectedVariance) <= 1e-5 * max(1, expectedVariance), "\(config.name) variance, count \(count)")
  }

  /// A long row far from zero: float sums over the whole row (errors near 2e-7 in the mean, 2e-6 in the
  /// variance), or a one-pass E[x²] − E[x]², lose digits here; float blocks of 4096 added in double do not
  /// (near 1e-10 and 1e-7).
  @Test("moments keep their precision on long rows with a large mean", arguments: KernelConfig.supported)
  func momentsLongRow(_ config: KernelConfig) {
    let count = 1 << 20
    let x = randomValues(count, seed: 11).map { $0 * 0.5 + 300 }
    var mean = 0.0, variance = 0.0
    config.moments(x, count, &mean, &variance)
    let expectedMean = x.reduce(0.0) { $0 + Double($1) } / Double(count)
    let expectedVariance = x.reduce(0.0) { $0 + (Double($1) - expectedMean) * (Double($1) - expectedMean) } / Double(count)
    #expect(abs(mean - expectedMean) <= 1e-8 * abs(expectedMean), "\(config.name) mean \(mean) vs \(expectedMean)")
    #expect(abs(variance - expectedVariance) <= 1e-6 * expectedVariance, "\(config.name) variance \(variance) vs \(expectedVariance)")
  }

  @Test("phase split puts x[j·s + p] at phase p, position j", arguments: KernelConfig.supported, [1, 2, 3, 5])
  func phases(_ config: KernelConfig, _ stride: Int) {
    for length in [1, 31, 32, 33, 64, 65, 100] {
      let x = randomValues(length, seed: UInt64(length))
      let phaseLength = (length + stride - 1) / stride
      let phases = min(stride, length)
      var y = [Float](repeating: .nan, count: phases * phaseLength)
      config.split_phases(x, length, stride, phaseLength, &y)
      let expected = (0..<phases).flatMap { p in
        (0..<phaseLength).map { j in j * stride + p < length ? x[j * stride + p] : Float.nan }
      }
      let same = zip(y, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
      #expect(same, "\(config.name) stride \(stride) length \(length)")
    }
  }
}
