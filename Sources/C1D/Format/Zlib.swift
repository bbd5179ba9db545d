import CLibDeflate
import CZlib

/// Every call into zlib and libdeflate lives in this file. zlib writes (so that saves stay byte-identical
/// with Python's `zlib.compress`); libdeflate reads and checksums, about twice and ten times as fast.
enum Zlib {
  /// CRC-32 (ISO-HDLC, as zlib and PNG) of `raw`.
  static func crc32(_ raw: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = raw.baseAddress else { return crc }
    return libdeflate_crc32(crc, base, raw.count)
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { crc32($0) }
  }

  /// A zlib stream of `bytes` at compression `level` (0–9).
  static func compress(_ bytes: [UInt8], level: Int) -> [UInt8] {
    var capacity = compressBound(uLong(bytes.count))
    var out = [UInt8](repeating: 0, count: Int(capacity))
    let status = out.withUnsafeMutableBufferPointer { dest in
      bytes.withUnsafeBufferPointer { src in
        compress2(dest.baseAddress, &capacity, src.baseAddress, uLong(src.count), Int32(level))
      }
    }
    precondition(status == Z_OK, "compress2 cannot fail with a compressBound-sized buffer (status \(status))")
    out.removeSubrange(Int(capacity)...)
    return out
  }

  enum InflateFailure: Error {
    case corrupt(String)
  }

  /// Inflates one zlib stream that must decode to exactly `expectedSize` bytes and use all of `bytes`.
  /// Never writes or allocates more than `expectedSize` bytes of output, whatever the stream claims.
  static func decompress(_ bytes: UnsafeRawBufferPointer, expectedSize: Int) -> Result<[UInt8], InflateFailure> {
    if let out = fastDecompress(bytes, expectedSize: expectedSize) { return .success(out) }
    // A stream libdeflate refuses goes through zlib again, whose status tells why, in the words the
    // loader has always used.
    return classifyingDecompress(bytes, expectedSize: expectedSize)
  }

  /// libdeflate's whole-buffer inflate; nil unless the stream is exactly right.
  private static func fastDecompress(_ bytes: UnsafeRawBufferPointer, expectedSize: Int) -> [UInt8]? {
    var inflated = false
    let out = [UInt8](unsafeUninitializedCapacity: expectedSize) { buffer, count in
      inflated = inflate(bytes, into: UnsafeMutableRawBufferPointer(buffer))
      // Uninitialised bytes are never exposed: on failure the array is discarded, on success all are written.
      count = inflated ? expectedSize : 0
    }
    return inflated ? out : nil
  }

  /// libdeflate's whole-buffer inflate of one zlib stream into `out`, which it must fill exactly, using all
  /// of `bytes`; false otherwise (`out` then holds anything, and `decompress` tells why).
  static func inflate(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
    guard let decompressor = libdeflate_alloc_decompressor() else { return false }
    defer { libdeflate_free_decompressor(decompressor) }
    var consumed = 0
    var produced = 0
    let status = libdeflate_zlib_decompress_ex(
      decompressor, bytes.baseAddress, bytes.count, out.baseAddress, out.count, &consumed, &produced)
    return status == LIBDEFLATE_SUCCESS && produced == out.count && consumed == bytes.count
  }

  private static func classifyingDecompress(_ bytes: UnsafeRawBufferPointer, expectedSize: Int) -> Result<[UInt8], InflateFailure> {
    // One spare byte shows an over-long stream as "more than declared" rather than a bare buffer error.
    var out = [UInt8](repeating: 0, count: expectedSize + 1)
    var produced = uLong(out.count)
    var consumed = uLong(bytes.count)
    let status = out.withUnsafeMutableBufferPointer { dest in
      uncompress2(dest.baseAddress, &produced, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), &consumed)
    }
    switch status {
    case Z_OK:
      if Int(produced) != expectedSize {
        return .failure(.corrupt("inflates to \(produced) bytes, declared raw_size is \(expectedSize)"))
      }
      if Int(consumed) != bytes.count {
        return .failure(.corrupt("\(bytes.count - Int(consumed)) bytes follow the end of the zlib stream"))
      }
      out.removeLast()
      return .success(out)
    case Z_BUF_ERROR where Int(produced) == out.count:
      return .failure(.corrupt("inflates to more than the declared raw_size of \(expectedSize) bytes"))
    case Z_BUF_ERROR:
      return .failure(.corrupt("zlib stream ends early (truncated deflate data)"))
    case Z_DATA_ERROR:
      return .failure(.corrupt("invalid or truncated deflate data"))
    default:
      return .failure(.corrupt("zlib error \(status)"))
    }
  }
}

