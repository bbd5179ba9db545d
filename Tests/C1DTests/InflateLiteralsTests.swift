import CC1DKernels
import CLibDeflate
import Testing

@testable import C1D

/// `c1d_inflate_literals` and `c1d_inflate_literals_pair` against libdeflate, the reference: what they take
/// they decode to libdeflate's bytes; what they decline still inflates (through libdeflate); and they never
/// take a stream libdeflate refuses.
@Suite("Literal-stream inflate")
struct InflateLiteralsTests {
  /// A zlib stream of `raw` from `blocks` (raw deflate, not final): closed by an empty final stored block
  /// and the Adler-32, as the reference writers close theirs.
  static func zlibStream(_ raw: [UInt8], blocks: [UInt8]) -> [UInt8] {
    let adler = raw.withUnsafeBufferPointer { libdeflate_adler32(1, $0.baseAddress, $0.count) }
    return [0x78, 0x9C] + blocks + [0x01, 0x00, 0x00, 0xFF, 0xFF] + withUnsafeBytes(of: adler.bigEndian, Array.init)
  }

  static func huffmanOnly(_ raw: [UInt8], level: Int = 6) -> [UInt8] {
    zlibStream(raw, blocks: raw.withUnsafeBufferPointer { Zlib.rawDeflate($0, level: level, strategy: .huffmanOnly) })
  }

  static func matching(_ raw: [UInt8]) -> [UInt8] {
    zlibStream(raw, blocks: raw.withUnsafeBufferPointer { Zlib.rawDeflate($0, level: 6, strategy: .matching) })
  }

  /// libdeflate's bytes, or nil where it refuses the stream or it does not fill exactly `size` bytes.
  static func reference(_ stream: [UInt8], size: Int) -> [UInt8]? {
    guard let decompressor = libdeflate_alloc_decompressor() else { return nil }
    defer { libdeflate_free_decompressor(decompressor) }
    var out = [UInt8](repeating: 0, count: size)
    var consumed = 0
    var produced = 0
    let status = out.withUnsafeMutableBytes { out in
      stream.withUnsafeBytes {
        libdeflate_zlib_decompress_ex(decompressor, $0.baseAddress, $0.count, out.baseAddress, out.count, &consumed, &produced)
      }
    }
    return status == LIBDEFLATE_SUCCESS && produced == size && consumed == stream.count ? out : nil
  }

  /// The literal inflate's bytes, or nil where it declines (the Adler-32 is the caller's to check).
  static func literals(_ stream: [UInt8], size: Int) -> [UInt8]? {
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: c1d_inflate_scratch_size(), alignment: 64)
    defer { scratch.deallocate() }
    var out = [UInt8](repeating: 0, count: size)
    let done = out.withUnsafeMutableBufferPointer { out in
      stream.withUnsafeBufferPointer {
        c1d_inflate_literals($0.baseAddress, $0.count, out.baseAddress, out.count, OpaquePointer(scratch))
      }
    }
    return done == 1 ? out : nil
  }

  /// `c1d_inflate_literals_group`'s bytes for each stream (of its size), nil where it declined that one.
  static func group(_ streams: [([UInt8], Int)]) -> [[UInt8]?] {
    let size = c1d_inflate_scratch_size()
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: streams.count * size, alignment: 64)
    defer { scratch.deallocate() }
    let inputs = streams.map { stream in
      let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: stream.0.count)
      copy.initialize(from: stream.0, count: stream.0.count)
      return copy
    }
    let outputs = streams.map { UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, $0.1)) }
    defer { (inputs + outputs).forEach { $0.deallocate() } }
    var done = [Int32](repeating: 0, count: streams.count)
    c1d_inflate_literals_group(
      Int32(streams.count), inputs.map { Optional(UnsafePointer($0)) }, streams.map(\.0.count), outputs.map { Optional($0) }, streams.map(\.1),
      streams.indices.map { OpaquePointer(scratch + $0 * size) }, &done)
    return streams.indices.map { done[$0] == 1 ? Array(UnsafeBufferPointer(start: outputs[$0], count: streams[$0].1)) : nil }
  }

  /// Bytes as a float16 weight tensor's high-byte plane holds them: a few exponents, random sign and top
  /// mantissa bits (~5 bits of entropy a byte).
  static func exponentPlane(count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    return DType.f16.encode((0..<count).map { _ in Float.random(in: -0.1...0.1, using: &rng) })
      .enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
  }

  /// Bytes as a float32 weight tensor's top plane holds them (sign and seven exponent bits, ~2.2 bits of
  /// entropy a byte): codes short enough that most lookups decode three literals.
  static func float32ExponentPlane(count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    return DType.f32.encode((0..<count).map { _ in Float.random(in: -0.05...0.05, using: &rng) })
      .enumerated().filter { $0.offset % 4 == 3 }.map(\.element)
  }

  /// Byte k about twice as frequent as byte k + 1: Huffman codes of every length up to deflate's 15 bits,
  /// beyond the lookup table's, in a random order.
  static func skewed(count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
      let draw = UInt64.random(in: 1...(1 << 20), using: &rng)
      return UInt8(min(255, 20 - (63 - draw.leadingZeroBitCount)) + Int(UInt64.random(in: 0...1, using: &rng)) * 30)
    }
  }

  static let sizes = [1, 15, 16, 17, 255, 4096, 65_536, 200_003]

  @Test("Huffman-only streams (exponent planes, long codes, every block size) inflate to libdeflate's bytes", arguments: sizes)
  func literalStreams(size: Int) throws {
    let seed = UInt64(size)
    for raw in [Self.exponentPlane(count: size, seed: seed), Self.float32ExponentPlane(count: size, seed: seed), Self.skewed(count: size, seed: seed)] {
      let stream = Self.huffmanOnly(raw)
      #expect(Self.reference(stream, size: raw.count) == raw)
      #expect(Self.literals(stream, size: raw.count) == raw)
      #expect(try stream.withUnsafeBytes { try Zlib.decompress($0, expectedSize: raw.count).get() } == raw)
    }
  }

  @Test("short blocks, whose end-of-block code is short enough for the lookup table, inflate to libdeflate's bytes alone and in groups")
  func shortBlocks() throws {
    // Huffman-only pieces of 300 literals: each block ends (end of block, sync flush) where the fast loops run.
    let raws = [Self.exponentPlane(count: 20_000, seed: 3), Self.float32ExponentPlane(count: 20_011, seed: 4)]
    let streams = raws.map { raw in
      let blocks = raw.withUnsafeBufferPointer { all in
        stride(from: 0, to: all.count, by: 300).flatMap { start in
          Zlib.rawDeflate(UnsafeBufferPointer(rebasing: all[start..<min(all.count, start + 300)]), level: 6, strategy: .huffmanOnly)
        }
      }
      return Self.zlibStream(raw, blocks: blocks)
    }
    for (stream, raw) in zip(streams, raws) {
      #expect(Self.reference(stream, size: raw.count) == raw)
      #expect(Self.literals(stream, size: raw.count) == raw)
    }
    #expect(Self.group(zip(streams, raws).map { ($0, $1.count) } + [(streams[0], raws[0].count)]) == raws + [raws[0]])
  }

  @Test("stored pieces and the writers' shuffle-deflate planes inflate to libdeflate's bytes", arguments: [0, 1, 6, 9])
  func writerStreams(level: Int) throws {
    var rng = SeededGenerator(seed: UInt64(level))
    let weights = DType.f16.encode((0..<50_001).map { _ in Float.random(in: -0.3...0.3, using: &rng) })
    let stream = Zlib.compressPlanes(Codec.shuffle(weights, elementSize: 2), planeCount: 2, level: level)
    let raw = Codec.shuffle(weights, elementSize: 2)
    #expect(Self.literals(stream, size: raw.count) == raw)
  }

  @Test("a fixed-Huffman block of literals inflates; matches are declined and still inflate through libdeflate")
  func fixedAndMatches() throws {
    var rng = SeededGenerator(seed: 3)
    let short = (0..<40).map { _ in UInt8.random(in: 97...122, using: &rng) }
    let fixed = Self.matching(short)
    #expect(fixed[2] & 0b110 == 0b010, "zlib codes 40 random letters as one fixed-Huffman block")
    #expect(Self.literals(fixed, size: short.count) == short)
    // Batch-norm statistics as a small model holds them: a fixed block with matches, inflated again and
    // again by the decompressor `Zlib` keeps for reuse, and from two threads at once.
    let ones = DType.f32.encode([Float](repeating: 1, count: 256))
    let statistics = Zlib.compressPieces(ones, pieceLength: Zlib.deflatePiece, level: 6)
    #expect(statistics[2] & 0b110 == 0b010, "zlib codes 256 ones as one fixed-Huffman block")
    // Taken in turns with streams of dynamic blocks (each its own codes), whose tables a decompressor shared
    // by both threads would overwrite under the other.
    var texts: [[UInt8]] = []
    for k in 0..<4 {
      let highest = UInt8(100 + 7 * k)
      texts.append((0..<200_000).map { _ in UInt8.random(in: 97...highest, using: &rng) })
    }
    let dynamics = texts.map(Self.matching)
    var items: [(stream: [UInt8], raw: [UInt8])] = []
    for i in 0..<32 {
      items.append((statistics, ones))
      items.append((dynamics[i % 4], texts[i % 4]))
    }
    let decoded = Locked<[Int: [UInt8]]>([:])
    let work = items
    Parallel.forEach(work.count, threads: 2) { i in
      let out = try? work[i].stream.withUnsafeBytes { try Zlib.decompress($0, expectedSize: work[i].raw.count).get() }
      decoded.withLock { $0[i] = out ?? [] }
    }
    let all = decoded.withLock { $0 }
    #expect(items.indices.allSatisfy { all[$0] == items[$0].raw })

    let repeats = Array(repeatElement(Array("the same words again, ".utf8), count: 400).joined())
    let matched = Self.matching(repeats)
    #expect(Self.literals(matched, size: repeats.count) == nil)
    #expect(try matched.withUnsafeBytes { try Zlib.decompress($0, expectedSize: repeats.count).get() } == repeats)
  }

  @Test("a damaged stream is declined or decodes as libdeflate decodes it, never otherwise", arguments: 0..<4)
  func damagedStreams(seed: Int) {
    var rng = SeededGenerator(seed: UInt64(seed) &+ 100)
    let raw = seed % 2 == 0 ? Self.exponentPlane(count: 30_000, seed: UInt64(seed)) : Self.skewed(count: 30_000, seed: UInt64(seed))
    let stream = Self.huffmanOnly(raw)
    var taken = 0
    for trial in 0..<400 {
      var damaged = stream
      switch trial % 4 {
      case 0: damaged[Int.random(in: 2..<damaged.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
      case 1: damaged.removeLast(Int.random(in: 1..<min(64, damaged.count - 2), using: &rng))
      case 2: damaged.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 2..<damaged.count, using: &rng))
      default: damaged[2 + Int.random(in: 0..<40, using: &rng)] = UInt8.random(in: 0...255, using: &rng)  // block headers
      }
      for size in [raw.count, raw.count - 1, raw.count + 1] {
        guard let decoded = Self.literals(damaged, size: size) else { continue }
        taken += 1
        // Taken: the deflate data must be what libdeflate decodes, up to the Adler-32 it also checks.
        var unchecked = damaged
        let adler = decoded.withUnsafeBufferPointer { libdeflate_adler32(1, $0.baseAddress, $0.count) }
        unchecked.replaceSubrange(unchecked.count - 4..<unchecked.count, with: withUnsafeBytes(of: adler.bigEndian, Array.init))
        #expect(Self.reference(unchecked, size: size) == decoded, "trial \(trial), size \(size)")
      }
    }
    #expect(taken > 0, "some damage (in the Adler-32, or a literal's bits) still decodes")
  }

  /// A stream's pieces decoded side by side (`Zlib.inflatePieces`, no Adler-32 check when `checked` is false):
  /// the bytes, or nil when declined.
  static func pieces(_ stream: [UInt8], sizes: [Int], checked: Bool = true) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: sizes.reduce(0, +))
    let size = c1d_inflate_scratch_size()
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: Zlib.inflateGroupLimit * size, alignment: 64)
    defer { scratch.deallocate() }
    let tables: [OpaquePointer?] = (0..<Zlib.inflateGroupLimit).map { OpaquePointer(scratch + $0 * size) }
    let taken = stream.withUnsafeBytes { input in
      out.withUnsafeMutableBytes { output in
        checked
          ? Zlib.inflatePieces(input, into: output, sizes: sizes)
          : c1d_inflate_pieces(input.baseAddress!.assumingMemoryBound(to: UInt8.self), input.count,
                               output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count, sizes, sizes.count, tables) == 1
      }
    }
    return taken ? out : nil
  }

  /// float16 weights as the writers store them under shuffle-deflate, with the pieces' raw sizes.
  static func writtenPlanes(count: Int, seed: UInt64) -> (raw: [UInt8], stream: [UInt8], sizes: [Int]) {
    var rng = SeededGenerator(seed: seed)
    let shuffled = Codec.shuffle(DType.f16.encode((0..<count).map { _ in Float.random(in: -0.2...0.2, using: &rng) }), elementSize: 2)
    let sizes = Zlib.pieceBounds(length: shuffled.count, pieceLength: Zlib.deflatePiece, planeLength: count).map(\.count)
    return (shuffled, Zlib.compressPlanes(shuffled, planeCount: 2, level: 6), sizes)
  }

  @Test("a writer's shuffle-deflate stream decodes piece by piece, four at a time, to libdeflate's bytes", arguments: [70_000, 200_000, 262_144, 300_001])
  func writerPieces(count: Int) throws {
    let (raw, stream, sizes) = Self.writtenPlanes(count: count, seed: UInt64(count))
    #expect(sizes.count > 2)
    #expect(Self.pieces(stream, sizes: sizes) == raw)
    #expect(Self.reference(stream, size: raw.count) == raw)
    // Other cuts are declined (and inflate in order): the pieces as sizes of another layout, a whole plane per
    // piece (writers before 2026-12-06), one byte too many or too few.
    #expect(Self.pieces(stream, sizes: [raw.count / 2, raw.count / 2]) == nil)
    let wholePlanes = Zlib.compressPieces(raw, pieceLength: count, level: 6)
    #expect(Self.pieces(wholePlanes, sizes: sizes) == nil)
    #expect(Self.pieces(stream, sizes: sizes.dropLast() + [sizes.last! + 1]) == nil)
    #expect(Self.pieces(stream, sizes: sizes.dropLast() + [sizes.last! - 1]) == nil)
    #expect(try stream.withUnsafeBytes { try Zlib.decompress($0, expectedSize: raw.count, pieces: sizes).get() } == raw)
  }

  @Test("streams of pieces inflated in one group share the lanes; an old layout or a wrong size falls back, and all decode")
  func pieceGroups() {
    let short = Self.writtenPlanes(count: 70_000, seed: 1), long = Self.writtenPlanes(count: 300_000, seed: 2)
    let third = Self.writtenPlanes(count: 140_000, seed: 3)
    let old = Zlib.compressPieces(third.raw, pieceLength: 140_000, level: 6)  // a whole plane a piece
    let cases: [(stream: [UInt8], raw: [UInt8], sizes: [Int]?)] = [
      (short.stream, short.raw, short.sizes), (long.stream, long.raw, long.sizes), (old, third.raw, third.sizes),
      (third.stream, third.raw, third.sizes.dropLast() + [third.sizes.last! + 1]),
    ]
    let outs = cases.map { UnsafeMutableRawBufferPointer.allocate(byteCount: $0.raw.count, alignment: 64) }
    defer { outs.forEach { $0.deallocate() } }
    let inflated = cases.map(\.stream).withUnsafeBufferArrays { streams in
      Zlib.inflateGroup(streams, into: outs, pieces: cases.map(\.sizes))
    }
    #expect(inflated == [true, true, true, true])
    for (out, c) in zip(outs, cases) { #expect(Array(out) == c.raw) }
  }

  @Test("a damaged stream of pieces is declined or decodes as libdeflate decodes it, never otherwise", arguments: 0..<3)
  func damagedPieces(seed: Int) {
    var rng = SeededGenerator(seed: UInt64(seed) &+ 200)
    let (raw, stream, sizes) = Self.writtenPlanes(count: 140_000, seed: UInt64(seed))
    var taken = 0
    for trial in 0..<300 {
      var damaged = stream
      switch trial % 3 {
      case 0: damaged[Int.random(in: 2..<damaged.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
      case 1: damaged.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 2..<damaged.count, using: &rng))
      default:  // a false sync-flush marker somewhere
        let at = Int.random(in: 2..<damaged.count - 8, using: &rng)
        damaged.replaceSubrange(at..<at + 4, with: [0x00, 0x00, 0xFF, 0xFF])
      }
      guard let decoded = Self.pieces(damaged, sizes: sizes, checked: false) else { continue }
      taken += 1
      // Taken: the deflate data must be what libdeflate decodes in order, up to the Adler-32.
      var unchecked = damaged
      let adler = decoded.withUnsafeBufferPointer { libdeflate_adler32(1, $0.baseAddress, $0.count) }
      unchecked.replaceSubrange(unchecked.count - 4..<unchecked.count, with: withUnsafeBytes(of: adler.bigEndian, Array.init))
      #expect(Self.reference(unchecked, size: raw.count) == decoded, "trial \(trial)")
    }
    #expect(taken > 0, "some damage (in a stored mantissa byte, or a literal's bits) still decodes")
  }

  @Test("streams decoded together (two, three or four) decode as each does alone, also when one is declined or ends early", arguments: [
    [1000, 200_000], [200_000, 150_001], [70_000, 17], [300_000, 1000, 120_000, 250_000], [50_000, 80_000, 65_536],
  ])
  func groups(sizes: [Int]) {
    let raws = sizes.enumerated().map { $0.offset % 2 == 0 ? Self.exponentPlane(count: $0.element, seed: UInt64($0.offset)) : Self.skewed(count: $0.element, seed: UInt64($0.offset)) }
    #expect(Self.group(raws.map { (Self.huffmanOnly($0), $0.count) }).map { $0 ?? [] } == raws)
    // Each position in turn declined: a stream of matches, or one a byte longer than its output.
    let repeats = Array(repeatElement(Array("again ".utf8), count: 2000).joined())
    for declined in raws.indices {
      var streams = raws.map { (Self.huffmanOnly($0), $0.count) }
      streams[declined] = declined % 2 == 0 ? (Self.matching(repeats), repeats.count) : (Self.huffmanOnly(raws[declined]), raws[declined].count - 1)
      let decoded = Self.group(streams)
      for index in raws.indices {
        #expect(index == declined ? decoded[index] == nil : decoded[index] == raws[index], "stream \(index) of \(sizes), \(declined) declined")
      }
    }
  }

  @Test("Zlib.inflateGroup checks each Adler-32 and inflates a declined stream alone")
  func inflateGroupChecks() {
    let first = Self.exponentPlane(count: 100_000, seed: 5)
    let repeats = Array(repeatElement(Array("again ".utf8), count: 20_000).joined())
    var wrongAdler = Self.huffmanOnly(first)
    wrongAdler[wrongAdler.count - 1] ^= 1
    let streams = [Self.huffmanOnly(first), Self.matching(repeats), wrongAdler]
    var outputs = [[UInt8](repeating: 0, count: first.count), [UInt8](repeating: 0, count: repeats.count), [UInt8](repeating: 0, count: first.count)]
    let buffers = outputs.indices.map { UnsafeMutableRawBufferPointer.allocate(byteCount: outputs[$0].count, alignment: 1) }
    let inputs = streams.map { UnsafeMutableRawBufferPointer.allocate(byteCount: $0.count, alignment: 1) }
    defer { (buffers + inputs).forEach { $0.deallocate() } }
    for (input, stream) in zip(inputs, streams) { input.copyBytes(from: stream) }
    let inflated = Zlib.inflateGroup(inputs.map { UnsafeRawBufferPointer($0) }, into: buffers)
    for index in outputs.indices { outputs[index] = Array(buffers[index]) }
    #expect(inflated == [true, true, false])
    #expect(outputs[0] == first && outputs[1] == repeats)
  }
}

extension Array where Element == [UInt8] {
  /// Each array's bytes, valid inside `body` only.
  func withUnsafeBufferArrays<R>(_ body: ([UnsafeRawBufferPointer]) -> R) -> R {
    func nest(_ index: Int, _ buffers: [UnsafeRawBufferPointer]) -> R {
      guard index < count else { return body(buffers) }
      return self[index].withUnsafeBytes { nest(index + 1, buffers + [$0]) }
    }
    return nest(0, [])
  }
}
