import CZlib

/// Every call into zlib lives in this file.
enum Zlib {
  /// CRC-32 (ISO-HDLC, as zlib and PNG) of `raw`.
  static func crc32(_ raw: UnsafeRawBufferPointer) -> UInt32 {
    var crc: uLong = CZlib.crc32(0, nil, 0)
    var offset = 0
    // zlib's crc32 takes a 32-bit length.
    while offset < raw.count, let base = raw.baseAddress {
      let chunk = min(raw.count - offset, 1 << 30)
      crc = CZlib.crc32(crc, (base + offset).assumingMemoryBound(to: Bytef.self), uInt(chunk))
      offset += chunk
    }
    return UInt32(truncatingIfNeeded: crc)
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

