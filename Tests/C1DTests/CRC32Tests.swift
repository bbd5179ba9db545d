import CC1DKernels
import CLibDeflate
import Testing

@testable import C1D

/// `Zlib.crc32` (512-bit carryless folding of whole 64-byte blocks where the CPU has it, libdeflate for the
/// rest) against libdeflate's `libdeflate_crc32` alone.
@Suite("CRC-32")
struct CRC32Tests {
  static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
  }

  static func reference(_ bytes: ArraySlice<UInt8>, continuing crc: UInt32) -> UInt32 {
    bytes.withUnsafeBytes { libdeflate_crc32(crc, $0.baseAddress, $0.count) }
  }

  @Test("every length, offset and starting value gives libdeflate's CRC", arguments: [
    0, 1, 63, 64, 255, 256, 257, 319, 320, 383, 384, 448, 511, 512, 640, 4096, 8192 + 5, 65_536 + 17, 1_000_003,
  ])
  func matchesLibdeflate(count: Int) {
    let all = Self.bytes(count + 3, seed: UInt64(count))
    for offset in 0..<4 where offset + count <= all.count {
      let slice = all[offset..<offset + count]
      for start: UInt32 in [0, 0xDEAD_BEEF] {
        let crc = slice.withUnsafeBytes { Zlib.crc32($0, continuing: start) }
        #expect(crc == Self.reference(slice, continuing: start), "\(count) bytes at offset \(offset) from \(start)")
      }
    }
  }

  @Test(
    "the folding kernel alone, block counts from 4 on, where this CPU has it",
    .enabled(if: c1d_crc32_blocks_available() != 0, "needs AVX-512 with VPCLMULQDQ"))
  func foldedBlocks() {
    let all = Self.bytes(64 * 41 + 1, seed: 9)
    for blocks in 4...40 {
      for offset in [0, 1] {
        let slice = all[offset..<offset + 64 * blocks]
        let crc = slice.withUnsafeBytes { c1d_crc32_blocks(0x1234_5678, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), blocks) }
        #expect(crc == Self.reference(slice, continuing: 0x1234_5678), "\(blocks) blocks at offset \(offset)")
      }
    }
  }
}
