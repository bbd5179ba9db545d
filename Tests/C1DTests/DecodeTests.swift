import CC1DKernels
import Testing

@testable import C1D

/// `c1d_decode_chunk` and `c1d_unshuffle_chunk` against Swift's own conversions, for every half-precision
/// bit pattern, through the vector (8 at a time) and the scalar (1 at a time) paths.
@Suite("Tensor decoding")
struct DecodeTests {
  static let allHalfBits: [UInt8] = (0...UInt16.max).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }

  static func same(_ a: Float, _ b: Float) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }

  @Test("f16: every bit pattern, vector and scalar paths", arguments: [8, 1])
  func half(chunk: Int) {
    let count = 65536
    var out = [Float](repeating: 0, count: count)
    Self.allHalfBits.withUnsafeBufferPointer { raw in
      out.withUnsafeMutableBufferPointer { out in
        for first in stride(from: 0, to: count, by: chunk) {
          c1d_decode_chunk(1, raw.baseAddress! + 2 * first, chunk, out.baseAddress! + first)
        }
      }
    }
    let mismatches = (0..<count).filter { !Self.same(out[$0], Float(Float16(bitPattern: UInt16($0)))) }
    #expect(mismatches.count == 0, "first mismatching bit patterns: \(Array(mismatches.prefix(5)))")
  }

  @Test("bf16 and f32 decode as their bits say")
  func brainAndSingle() {
    let values: [Float] = [0, -0, 1.5, -2.25e-38, .infinity, -.infinity, .nan, 3.4e38, 1e-45]
    let single = values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } }
    let brain = values.flatMap { v in [UInt8(truncatingIfNeeded: v.bitPattern >> 16), UInt8(truncatingIfNeeded: v.bitPattern >> 24)] }
    var f32 = [Float](repeating: 1, count: values.count)
    var bf16 = [Float](repeating: 1, count: values.count)
    c1d_decode_chunk(0, single, values.count, &f32)
    c1d_decode_chunk(2, brain, values.count, &bf16)
    for (index, value) in values.enumerated() {
      #expect(Self.same(f32[index], value))
      #expect(Self.same(bf16[index], Float(bitPattern: value.bitPattern & 0xFFFF_0000)))
    }
  }

  /// Chunks shorter than, as long as and past the 16 elements a vector step takes, from mid-plane; size 3
  /// (no dtype's) takes the plane-by-plane path.
  @Test("unshuffling a chunk gathers each element's bytes from the planes", arguments: [2, 3, 4], [0, 1, 10, 15, 16, 17, 33, 100])
  func unshuffle(size: Int, chunk: Int) {
    let count = 137
    let raw = (0..<count * size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let planes = Codec.shuffle(raw, elementSize: size)
    // One element more than the chunk, which must keep its sentinel.
    var out = [UInt8](repeating: 0xA5, count: (chunk + 1) * size)
    c1d_unshuffle_chunk(planes, count, Int32(size), 20, chunk, &out)
    #expect(Array(out.prefix(chunk * size)) == Array(raw[20 * size..<(20 + chunk) * size]))
    #expect(out.suffix(size).allSatisfy { $0 == 0xA5 }, "wrote past the chunk")
  }
}
