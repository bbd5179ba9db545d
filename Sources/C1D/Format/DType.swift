import CC1DKernels

/// How a tensor's elements are stored in the file. Values are always computed in Float32.
public enum DType: String, Sendable, Hashable, CaseIterable {
  case f32, f16, bf16

  /// Bytes per element.
  public var size: Int { self == .f32 ? 4 : 2 }
}

/// How a tensor's raw bytes are encoded in the file.
public enum Codec: String, Sendable, Hashable, CaseIterable {
  /// The raw bytes as they are; usable in place from a memory map.
  case none
  /// A zlib stream (RFC 1950) of the raw bytes.
  case deflate
  /// A zlib stream of the raw bytes after a byte-shuffle with the dtype's element size.
  case shuffleDeflate = "shuffle-deflate"
}

extension DType {
  /// Encodes float32 values as little-endian bytes of this dtype, rounding to nearest even.
  func encode(_ values: [Float]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: values.count * size)
    switch self {
    case .f32:
      for (i, v) in values.enumerated() {
        let bits = v.bitPattern.littleEndian
        withUnsafeBytes(of: bits) { raw in for b in 0..<4 { out[4 * i + b] = raw[b] } }
      }
    case .f16:
      for (i, v) in values.enumerated() {
        let bits = Float16(v).bitPattern
        out[2 * i] = UInt8(truncatingIfNeeded: bits)
        out[2 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
      }
    case .bf16:
      for (i, v) in values.enumerated() {
        let bits = Self.bfloat16Bits(v)
        out[2 * i] = UInt8(truncatingIfNeeded: bits)
        out[2 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
      }
    }
    return out
  }

  /// Decodes little-endian bytes of this dtype into float32 values. `bytes.count` must be a
  /// multiple of `size`.
  func decode(_ bytes: [UInt8]) -> [Float] { bytes.withUnsafeBytes { decode($0) } }

  func decode(_ bytes: UnsafeRawBufferPointer) -> [Float] {
    let count = bytes.count / size
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      if let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), let destination = out.baseAddress {
        c1d_decode_chunk(kernelCode, source, count, destination)
      }
      initialized = count
    }
  }

  /// The dtype's code for `c1d_decode_chunk`.
  var kernelCode: Int32 {
    switch self {
    case .f32: 0
    case .f16: 1
    case .bf16: 2
    }
  }

  /// Rounds each value to what this dtype can hold, as a save and load would.
  func rounded(_ values: [Float]) -> [Float] {
    self == .f32 ? values : decode(encode(values))
  }

  /// bfloat16 by round-to-nearest-even on the top 16 bits, as PyTorch's `.to(torch.bfloat16)`.
  static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let rounding = ((bits >> 16) & 1) &+ 0x7FFF
    return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
  }
}

extension Codec {
  /// The byte-shuffle filter: byte `j` of element `i` moves to `j * count + i`.
  static func shuffle(_ bytes: [UInt8], elementSize: Int) -> [UInt8] {
    let count = bytes.count / elementSize
    var out = [UInt8](repeating: 0, count: bytes.count)
    for i in 0..<count {
      for j in 0..<elementSize { out[j * count + i] = bytes[i * elementSize + j] }
    }
    return out
  }

  static func unshuffle(_ bytes: [UInt8], elementSize: Int) -> [UInt8] {
    let count = bytes.count / elementSize
    var out = [UInt8](repeating: 0, count: bytes.count)
    for i in 0..<count {
      for j in 0..<elementSize { out[i * elementSize + j] = bytes[j * count + i] }
    }
    return out
  }
}
