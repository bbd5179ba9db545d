import CC1DKernels
import CLibDeflate
import CZlib

/// Every call into zlib and libdeflate lives in this file. zlib writes (so that saves stay byte-identical
/// with Python's `zlib` module); libdeflate reads and checksums, about twice and ten times as fast.
enum Zlib {
  /// CRC-32 (ISO-HDLC, as zlib and PNG) of `raw`.
  static func crc32(_ raw: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
    // Whole 64-byte blocks by 512-bit carryless folding where the CPU has it (c1d_crc32_blocks), ~4 times
    // the speed of the libdeflate Debian ships; the rest, and every other CPU, by libdeflate.
    let blocks = raw.count >= 256 && foldsCRC ? raw.count / 64 : 0
    let folded = blocks > 0 ? c1d_crc32_blocks(crc, base, blocks) : crc
    return libdeflate_crc32(folded, base + blocks * 64, raw.count - blocks * 64)
  }

  private static let foldsCRC = c1d_crc32_blocks_available() != 0

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { crc32($0) }
  }

  /// How much of a `deflate` tensor the reference writers deflate (or store) on its own.
  static let deflatePiece = 1 << 16

  /// One zlib stream of `shuffled`, `planeCount` byte planes of equal length, each plane a piece of its own
  /// (see `compressPieces`). Byte-identical with Python's `deflate_planes`.
  static func compressPlanes(_ shuffled: [UInt8], planeCount: Int, level: Int) -> [UInt8] {
    compressPlanesCounting(shuffled, planeCount: planeCount, level: level).stream
  }

  /// `compressPlanes`, with the number of pieces deflated rather than stored.
  static func compressPlanesCounting(_ shuffled: [UInt8], planeCount: Int, level: Int) -> (stream: [UInt8], deflatedPieces: Int) {
    compressPiecesCounting(shuffled, pieceLength: deflatePiece, planeLength: shuffled.count / planeCount, level: level)
  }

  /// Where the writers cut `length` bytes: pieces of `pieceLength` within each plane of `planeLength` bytes
  /// (the whole, when nil), each plane's last piece shorter. Python's `piece_bounds`.
  static func pieceBounds(length: Int, pieceLength: Int, planeLength: Int? = nil) -> [Range<Int>] {
    let plane = max(1, planeLength ?? length)
    return stride(from: 0, to: length, by: plane).flatMap { first in
      stride(from: first, to: min(first + plane, length), by: pieceLength).map { $0..<min($0 + pieceLength, first + plane, length) }
    }
  }

  /// One zlib stream of `bytes` cut into pieces of `pieceLength` (the last may be shorter): each piece
  /// deflated on its own, or stored where deflate saves under 1/8 of it (float mantissa planes save under
  /// 1%, unshuffled float32 weights about 9%, and inflating costs ~3 ns a byte where a stored block is a
  /// copy). A piece is deflated twice, with and without string matching, and the shorter kept: float
  /// planes are noise to the matcher, whose short matches cost more bits than the literals they replace
  /// (a float16 high-byte plane: 68% with matching, 63% Huffman-only, which also inflates 30% faster),
  /// while zeros and repeats need it. Byte-identical with Python's `deflate_pieces`.
  static func compressPieces(_ bytes: [UInt8], pieceLength: Int, level: Int) -> [UInt8] {
    compressPiecesCounting(bytes, pieceLength: pieceLength, level: level).stream
  }

  /// `compressPieces`, with the number of pieces deflated rather than stored.
  static func compressPiecesCounting(_ bytes: [UInt8], pieceLength: Int, planeLength: Int? = nil, level: Int) -> (stream: [UInt8], deflatedPieces: Int) {
    var out = zlibHeader(level: level)
    var deflatedPieces = 0
    bytes.withUnsafeBufferPointer { all in
      for bounds in pieceBounds(length: all.count, pieceLength: pieceLength, planeLength: planeLength) {
        let piece = UnsafeBufferPointer(rebasing: all[bounds])
        // Level 0 deflates to stored blocks, never under 7/8 of the piece, whatever the strategy.
        guard level > 0 else {
          appendStoredBlocks(piece, to: &out)
          continue
        }
        let matched = rawDeflate(piece, level: level, strategy: .matching)
        let huffmanOnly = rawDeflate(piece, level: level, strategy: .huffmanOnly)
        let deflated = huffmanOnly.count < matched.count ? huffmanOnly : matched
        if deflated.count * 8 < piece.count * 7 {
          out += deflated
          deflatedPieces += 1
        } else {
          appendStoredBlocks(piece, to: &out)
        }
      }
    }
    out += [0x01, 0x00, 0x00, 0xFF, 0xFF]  // the final block: stored, empty
    let checksum = bytes.withUnsafeBufferPointer { adler32_z(adler32_z(0, nil, 0), $0.baseAddress, z_size_t($0.count)) }
    out += withUnsafeBytes(of: UInt32(checksum).bigEndian, Array.init)
    return (out, deflatedPieces)
  }

  /// The two bytes zlib's `compress2` starts a stream with at `level` (RFC 1950: FLEVEL from the level).
  private static func zlibHeader(level: Int) -> [UInt8] {
    switch level {
    case ...1: [0x78, 0x01]
    case 2...5: [0x78, 0x5E]
    case 6: [0x78, 0x9C]
    default: [0x78, 0xDA]
    }
  }

  /// zlib's deflate strategies the writers use.
  enum Strategy {
    /// `Z_DEFAULT_STRATEGY`: string matching, then Huffman coding.
    case matching
    /// `Z_HUFFMAN_ONLY`: every byte a literal.
    case huffmanOnly

    var code: Int32 { self == .matching ? Z_DEFAULT_STRATEGY : Z_HUFFMAN_ONLY }
  }

  /// Raw deflate blocks of `bytes`, none final, ending byte-aligned (`Z_SYNC_FLUSH`): Python's
  /// `compressobj(level, DEFLATED, -15, 9, strategy)`, `compress` then `flush(Z_SYNC_FLUSH)`, call for call.
  /// Memory level 9 lets a block hold 32 K symbols instead of 16 K: half as many Huffman tables for a reader to
  /// build (~7 K TSC ticks each in convrun's literal decoder).
  static let memoryLevel: Int32 = 9

  static func rawDeflate(_ bytes: UnsafeBufferPointer<UInt8>, level: Int, strategy: Strategy) -> [UInt8] {
    var stream = z_stream()
    let initStatus = deflateInit2_(
      &stream, Int32(level), Z_DEFLATED, -15, memoryLevel, strategy.code, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    precondition(initStatus == Z_OK, "deflateInit2 with valid parameters cannot fail (status \(initStatus))")
    defer { deflateEnd(&stream) }
    // deflateBound plus room for the sync flush's empty stored block.
    let capacity = Int(deflateBound(&stream, uLong(bytes.count))) + 16
    return [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
      // zlib counts a call's bytes in 32 bits: feed at most 4 GiB - 1 per call, as Python's module does.
      func call(_ flush: Int32) -> Int32 {
        let inOffset = Int(stream.total_in)
        let outOffset = Int(stream.total_out)
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress.map { $0 + inOffset })
        stream.avail_in = uInt(min(bytes.count - inOffset, Int(UInt32.max)))
        stream.next_out = out.baseAddress.map { $0 + outOffset }
        stream.avail_out = uInt(min(capacity - outOffset, Int(UInt32.max)))
        return deflate(&stream, flush)
      }
      var status = Z_OK
      while status == Z_OK && Int(stream.total_in) < bytes.count { status = call(Z_NO_FLUSH) }
      repeat { status = status == Z_OK ? call(Z_SYNC_FLUSH) : status } while status == Z_OK && stream.avail_out == 0
      precondition(status == Z_OK && Int(stream.total_in) == bytes.count,
                   "deflate into a deflateBound-sized buffer cannot fail (status \(status))")
      count = Int(stream.total_out)
    }
  }

  /// `bytes` as non-final stored deflate blocks (RFC 1951 §3.2.4) of at most 65535 bytes each.
  private static func appendStoredBlocks(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var start = 0
    while start < bytes.count {
      let length = min(0xFFFF, bytes.count - start)
      let complement = UInt16(length) ^ 0xFFFF
      out += [0x00, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(complement & 0xFF), UInt8(complement >> 8)]
      out += UnsafeBufferPointer(rebasing: bytes[start..<start + length])
      start += length
    }
  }

  enum InflateFailure: Error {
    case corrupt(String)
  }

  /// Inflates one zlib stream that must decode to exactly `expectedSize` bytes and use all of `bytes`.
  /// Never writes or allocates more than `expectedSize` bytes of output, whatever the stream claims.
  /// `pieces`: the raw sizes of the pieces the reference writers cut the stream into, when known
  /// (`inflatePieces`).
  static func decompress(_ bytes: UnsafeRawBufferPointer, expectedSize: Int, pieces: [Int]? = nil) -> Result<[UInt8], InflateFailure> {
    if let out = fastDecompress(bytes, expectedSize: expectedSize, pieces: pieces) { return .success(out) }
    // A stream libdeflate refuses goes through zlib again, whose status tells why, in the words the
    // loader has always used.
    return classifyingDecompress(bytes, expectedSize: expectedSize)
  }

  /// libdeflate's whole-buffer inflate; nil unless the stream is exactly right.
  private static func fastDecompress(_ bytes: UnsafeRawBufferPointer, expectedSize: Int, pieces: [Int]?) -> [UInt8]? {
    var inflated = false
    let out = [UInt8](unsafeUninitializedCapacity: expectedSize) { buffer, count in
      inflated = inflate(bytes, into: UnsafeMutableRawBufferPointer(buffer), pieces: pieces)
      // Uninitialised bytes are never exposed: on failure the array is discarded, on success all are written.
      count = inflated ? expectedSize : 0
    }
    return inflated ? out : nil
  }

  /// Whole-buffer inflate of one zlib stream into `out`, which it must fill exactly, using all of `bytes`;
  /// false otherwise (`out` then holds anything, and `decompress` tells why). Streams of literals (a float's
  /// byte planes as the reference writers deflate them) go through `c1d_inflate_literals`, up to three
  /// literals a table lookup; the rest, and any it declines, through libdeflate.
  static func inflate(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, pieces: [Int]? = nil) -> Bool {
    if let pieces, inflatePieces(bytes, into: out, sizes: pieces) { return true }
    if inflateLiterals(bytes, into: out) { return true }
    return withDecompressor { decompressor in
      var consumed = 0
      var produced = 0
      let status = libdeflate_zlib_decompress_ex(
        decompressor, bytes.baseAddress, bytes.count, out.baseAddress, out.count, &consumed, &produced)
      return status == LIBDEFLATE_SUCCESS && produced == out.count && consumed == bytes.count
    } ?? false
  }

  /// libdeflate decompressors kept for reuse, one per thread inflating at a time (behind a pthread mutex: see
  /// `Locked`). A decompressor builds the fixed-Huffman tables once and keeps them: small tensors (batch-norm
  /// statistics, biases) deflate to fixed blocks, and a fresh decompressor for each rebuilt those tables.
  private static let idleDecompressors = Locked<[Decompressor]>([])

  /// A libdeflate decompressor; used by one thread at a time (it is taken out of `idleDecompressors`).
  private struct Decompressor: @unchecked Sendable { let pointer: OpaquePointer }

  private static func withDecompressor<R>(_ body: (OpaquePointer) -> R) -> R? {
    let idle = idleDecompressors.withLock { $0.popLast() }
    guard let decompressor = idle ?? libdeflate_alloc_decompressor().map(Decompressor.init) else { return nil }
    defer { idleDecompressors.withLock { $0.append(decompressor) } }
    return body(decompressor.pointer)
  }

  /// A stream as the reference writers cut it into pieces of `sizes` raw bytes, its pieces of literals decoded
  /// four at a time (`c1d_inflate_pieces`), then its Adler-32; false for any other stream (a one-piece stream
  /// gains nothing here).
  static func inflatePieces(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, sizes: [Int]) -> Bool {
    inflatePiecesGroup([bytes], into: [out], pieces: [sizes])[0]
  }

  /// `c1d_inflate_pieces_group` over the streams with more than one known piece, then their Adler-32s.
  private static func inflatePiecesGroup(
    _ streams: [UnsafeRawBufferPointer], into outputs: [UnsafeMutableRawBufferPointer], pieces: [[Int]?]
  ) -> [Bool] {
    let chosen = streams.indices.filter { i in
      (pieces[i]?.count ?? 0) > 1 && streams[i].baseAddress != nil && outputs[i].baseAddress != nil
    }.prefix(inflateGroupLimit)
    var inflated = [Bool](repeating: false, count: streams.count)
    guard !chosen.isEmpty else { return inflated }
    let size = c1d_inflate_scratch_size()
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: inflateGroupLimit * size, alignment: 64)
    defer { scratch.deallocate() }
    let tables: [OpaquePointer?] = (0..<inflateGroupLimit).map { OpaquePointer(scratch + $0 * size) }
    let sizes = chosen.map { pieces[$0]! }
    var done = [Int32](repeating: 0, count: chosen.count)
    withPointers(to: sizes) { sizePointers in
      c1d_inflate_pieces_group(
        Int32(chosen.count), chosen.map { streams[$0].baseAddress!.assumingMemoryBound(to: UInt8.self) },
        chosen.map { streams[$0].count }, chosen.map { outputs[$0].baseAddress!.assumingMemoryBound(to: UInt8.self) },
        chosen.map { outputs[$0].count }, sizePointers, sizes.map { $0.count }, tables, &done)
    }
    for (k, i) in chosen.enumerated() { inflated[i] = done[k] == 1 && adlerMatches(streams[i], outputs[i]) }
    return inflated
  }

  /// Pointers to each array's elements, valid inside `body` only.
  private static func withPointers(to arrays: [[Int]], _ body: ([UnsafePointer<Int>?]) -> Void) {
    func nest(_ index: Int, _ pointers: [UnsafePointer<Int>?]) {
      guard index < arrays.count else { return body(pointers) }
      arrays[index].withUnsafeBufferPointer { nest(index + 1, pointers + [$0.baseAddress]) }
    }
    nest(0, [])
  }

  /// `c1d_inflate_literals`, then the stream's Adler-32 (as libdeflate would check it).
  private static func inflateLiterals(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
    guard let input = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count >= 7,
      let output = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
    else { return false }
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: c1d_inflate_scratch_size(), alignment: 64)
    defer { scratch.deallocate() }
    guard c1d_inflate_literals(input, bytes.count, output, out.count, OpaquePointer(scratch)) == 1 else { return false }
    return adlerMatches(bytes, out)
  }

  /// Zlib streams (at most `inflateGroupLimit`) inflated at once, each into an output it must fill exactly,
  /// their literals decoded interleaved on this thread (`c1d_inflate_literals_group`); a stream that is not
  /// of literals, or is wrong, is then inflated alone as `inflate` does. Returns whether each was inflated.
  /// Streams whose `pieces` are known are inflated piece by piece first, all their pieces four at a time
  /// (`c1d_inflate_pieces_group`); the others, and any that do not decode so, as above.
  static func inflateGroup(
    _ streams: [UnsafeRawBufferPointer], into outputs: [UnsafeMutableRawBufferPointer], pieces: [[Int]?]
  ) -> [Bool] {
    var inflated = inflatePiecesGroup(streams, into: outputs, pieces: pieces)
    let rest = streams.indices.filter { !inflated[$0] }
    guard !rest.isEmpty else { return inflated }
    for (i, done) in zip(rest, inflateGroup(rest.map { streams[$0] }, into: rest.map { outputs[$0] })) { inflated[i] = done }
    return inflated
  }

  static func inflateGroup(_ streams: [UnsafeRawBufferPointer], into outputs: [UnsafeMutableRawBufferPointer]) -> [Bool] {
    precondition(streams.count == outputs.count && streams.count <= inflateGroupLimit, "a group of at most \(inflateGroupLimit) streams, one output each")
    let inputs = streams.map { $0.baseAddress?.assumingMemoryBound(to: UInt8.self) }
    let outs = outputs.map { $0.baseAddress?.assumingMemoryBound(to: UInt8.self) }
    guard !inputs.contains(nil), !outs.contains(nil) else { return zip(streams, outputs).map { inflate($0, into: $1) } }
    let size = c1d_inflate_scratch_size()
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: streams.count * size, alignment: 64)
    defer { scratch.deallocate() }
    let tables: [OpaquePointer?] = streams.indices.map { OpaquePointer(scratch + $0 * size) }
    var done = [Int32](repeating: 0, count: streams.count)
    c1d_inflate_literals_group(
      Int32(streams.count), inputs, streams.map { $0.count }, outs, outputs.map { $0.count }, tables, &done)
    return streams.indices.map { i in
      done[i] == 1 && adlerMatches(streams[i], outputs[i]) || inflate(streams[i], into: outputs[i])
    }
  }

  /// The most streams `inflateGroup` takes (`C1D_INFLATE_GROUP_MAX`).
  static let inflateGroupLimit = Int(C1D_INFLATE_GROUP_MAX)

  /// Whether the inflated bytes have the Adler-32 that ends the zlib stream.
  private static func adlerMatches(_ stream: UnsafeRawBufferPointer, _ out: UnsafeMutableRawBufferPointer) -> Bool {
    guard stream.count >= 4 else { return false }
    let trailer = stream.suffix(4)
    let stored = trailer.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    return libdeflate_adler32(1, out.baseAddress, out.count) == stored
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

