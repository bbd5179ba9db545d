import Foundation
import Testing

@testable import C1D

/// A small model touching most ops, built in Swift.
func sampleModel(seed: UInt64 = 1, length: Int? = nil) throws -> Model {
  var rng = SeededGenerator(seed: seed)
  var b = ModelBuilder(channels: 4, length: length, sampleRate: 8000)
  let conv = try Conv1d(inChannels: 4, outChannels: 8, kernelSize: 3, padding: .same, paddingMode: .reflect, using: &rng)
  let x1 = b.conv1d(conv, b.input)
  let stats = try Tensor(shape: [8], repeating: 0.5)
  let x2 = b.add(.batchNorm(NormAttributes(channels: 8)), [x1], parameters: ["running_mean": stats, "running_var": stats, "weight": stats, "bias": stats])
  let x3 = b.add(.gelu(.tanh), [x2])
  let dw = try Conv1d(inChannels: 8, outChannels: 8, kernelSize: 5, padding: .explicit(4), dilation: 2, groups: 8, using: &rng)
  let x4 = b.add(.slice(SliceAttributes(start: 0, stop: -4)), [b.conv1d(dw, x3)])
  let x5 = b.add(.add, [x4, x3])
  let pooled = b.add(.flatten, [b.add(.globalAvgPool1d, [x5])])
  let fc = b.add(.linear(LinearAttributes(inFeatures: 8, outFeatures: 3)), [pooled], parameters: ["weight": try Tensor(shape: [3, 8], repeating: 0.25), "bias": try Tensor(shape: [3], repeating: 0.1)])
  return try b.build(outputs: [fc, x5], metadata: Metadata(name: "sample", description: "ünïcode \"quoted\"\n", producer: "tests", license: "MIT"))
}

@Suite("Format round trips")
struct FormatTests {
  static let encodings: [(DType, Codec)] = DType.allCases.flatMap { d in Codec.allCases.map { (d, $0) } }

  @Test("every dtype × codec round-trips to the rounded values", arguments: DType.allCases, Codec.allCases)
  func roundTrip(dtype: DType, codec: Codec) throws {
    let model = try sampleModel()
    let bytes = try model.serialized(options: SaveOptions(dtype: dtype, codec: codec))
    let loaded = try Model(bytes: bytes)
    #expect(loaded.graph == model.graph)
    #expect(loaded.metadata == model.metadata)
    for (name, tensor) in try model.weights {
      let back = try #require(try loaded.weights[name])
      #expect(back.shape == tensor.shape)
      // f32 is bit-exact; f16/bf16 give exactly the rounded values.
      #expect(back.values.map(\.bitPattern) == dtype.rounded(tensor.values).map(\.bitPattern), "\(name)")
    }
    // Re-saving the loaded model with the same options reproduces the file byte for byte.
    #expect(try loaded.serialized() == bytes)
    #expect(try loaded.serialized(options: SaveOptions(dtype: dtype, codec: codec, level: 6)) == bytes)
  }

  @Test("saving is deterministic")
  func deterministic() throws {
    #expect(try sampleModel().serialized() == sampleModel().serialized())
    #expect(try sampleModel(seed: 1).serialized() != sampleModel(seed: 2).serialized())
  }

  @Test("f16 rounding is round-to-nearest-even, as PyTorch's .half()")
  func halfRounding() {
    // 1 + 2^-11 is halfway between 1 and the next f16; ties go to even (1.0).
    #expect(DType.f16.rounded([1 + 0x1p-11]) == [1])
    #expect(DType.f16.rounded([1 + 3 * 0x1p-11]) == [1 + 0x1p-9])
    #expect(DType.bf16.rounded([1 + 0x1p-8]) == [1])
    #expect(DType.bf16.rounded([1 + 3 * 0x1p-8]) == [1 + 0x1p-6])
  }

  @Test("files written by the Python writer re-save byte-identically", arguments: ["seed/model.c1d"] + Fixtures.subdirectories("architectures").map { "architectures/\($0)/model.c1d" })
  func pythonWrittenResave(_ path: String) throws {
    let bytes = try Files.read(Fixtures.path(path))
    let model = try Model(contentsOf: Fixtures.path(path))
    #expect(try model.serialized() == bytes)
  }

  @Test("the byte shuffle is invertible and groups bytes by position")
  func shuffle() {
    let raw: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    #expect(Codec.shuffle(raw, elementSize: 4) == [1, 5, 2, 6, 3, 7, 4, 8])
    #expect(Codec.unshuffle(Codec.shuffle(raw, elementSize: 2), elementSize: 2) == raw)
  }

  @Test("shuffle-deflate deflates a float's exponent plane, stores its mantissa planes, and inflates back", arguments: 0...9)
  func planeWiseDeflate(level: Int) throws {
    var rng = SeededGenerator(seed: UInt64(level))
    let count = 20_000  // one stored block per plane (under 65535 bytes), so a stored plane appears verbatim
    let shuffled = Codec.shuffle(DType.f32.encode((0..<count).map { _ in Float.random(in: -0.2...0.2, using: &rng) }), elementSize: 4)
    let stream = Zlib.compressPlanes(shuffled, planeCount: 4, level: level)
    #expect(try stream.withUnsafeBytes { try Zlib.decompress($0, expectedSize: shuffled.count).get() } == shuffled)
    let planes = (0..<4).map { Array(shuffled[$0 * count..<($0 + 1) * count]) }
    for mantissa in planes[0..<3] { #expect(stream.firstRange(of: mantissa) != nil) }
    if level > 0 {
      #expect(stream.firstRange(of: planes[3]) == nil)
      #expect(stream.count < shuffled.count - count / 2, "the sign and exponent plane deflates to under half")
    }
  }

  @Test("deflate stores the 64 KiB pieces it cannot shrink by 1/8 and deflates the others", arguments: [0, 1, 6, 9])
  func pieceWiseDeflate(level: Int) throws {
    var rng = SeededGenerator(seed: UInt64(level))
    let weights = DType.f32.encode((0..<Zlib.deflatePiece / 2).map { _ in Float.random(in: -0.2...0.2, using: &rng) })
    let raw = weights + [UInt8](repeating: 0, count: 3 * Zlib.deflatePiece / 2)  // two pieces of floats, 1.5 of zeros
    let stream = Zlib.compressPieces(raw, pieceLength: Zlib.deflatePiece, level: level)
    #expect(try stream.withUnsafeBytes { try Zlib.decompress($0, expectedSize: raw.count).get() } == raw)
    // A stored piece appears verbatim, split after 65535 bytes by a 5-byte block header.
    for start in [0, Zlib.deflatePiece] { #expect(stream.firstRange(of: raw[start..<start + 0xFFFF]) != nil) }
    if level > 0 {
      #expect(stream.count < 2 * Zlib.deflatePiece + 1_000, "the pieces of zeros deflate")
    } else {
      // Every piece stored: header, stored blocks, the empty final block, Adler-32.
      let pieces = stride(from: 0, to: raw.count, by: Zlib.deflatePiece).map { min(Zlib.deflatePiece, raw.count - $0) }
      #expect(stream.count == 2 + pieces.reduce(0) { $0 + $1 + 5 * (($1 + 0xFFFE) / 0xFFFF) } + 5 + 4)
    }
  }

  @Test("a piece keeps the shorter of Huffman-only and matching deflate: float16 high bytes Huffman-only, repeats matched", arguments: [1, 6, 9])
  func strategyPerPiece(level: Int) throws {
    var rng = SeededGenerator(seed: UInt64(level))
    let halves = DType.f16.encode((0..<20_000).map { _ in Float.random(in: -0.2...0.2, using: &rng) })
    let highBytes = Array(Codec.shuffle(halves, elementSize: 2)[20_000...])
    let repeats = [UInt8]((0..<20_000).map { UInt8($0 % 7) })
    for (piece, huffmanOnlyIsShorter) in [(highBytes, true), (repeats, false)] {
      let (matched, huffmanOnly) = piece.withUnsafeBufferPointer {
        (Zlib.rawDeflate($0, level: level, strategy: .matching), Zlib.rawDeflate($0, level: level, strategy: .huffmanOnly))
      }
      #expect((huffmanOnly.count < matched.count) == huffmanOnlyIsShorter)
      let stream = Zlib.compressPieces(piece, pieceLength: piece.count, level: level)
      // zlib header (2 bytes), the piece's blocks, the empty final block (5) and the Adler-32 (4).
      #expect(stream[2..<stream.count - 9].elementsEqual(huffmanOnlyIsShorter ? huffmanOnly : matched))
      #expect(try stream.withUnsafeBytes { try Zlib.decompress($0, expectedSize: piece.count).get() } == piece)
    }
  }

  @Test("a tensor no piece of which deflates is written as none, the raw bytes; one that deflates keeps its codec", arguments: [Codec.deflate, .shuffleDeflate])
  func incompressibleTensorStoredAsNone(codec: Codec) throws {
    var rng = SeededGenerator(seed: 7)
    let noise = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &rng) }  // every byte plane noise
    let zeros = DType.f32.encode([Float](repeating: 0, count: 5_000))
    let (noiseCodec, noiseStored) = Model.encode(noise, dtype: .f32, codec: codec, level: 6)
    #expect(noiseCodec == Codec.none && noiseStored == noise)
    let (zerosCodec, zerosStored) = Model.encode(zeros, dtype: .f32, codec: codec, level: 6)
    #expect(zerosCodec == codec && zerosStored.count < zeros.count / 8)
    #expect(try zerosStored.withUnsafeBytes { try Zlib.decompress($0, expectedSize: zeros.count).get() } == zeros)
    // Saved and loaded: the entry says none, and the values come back.
    let saved = try Model(bytes: try sampleModel().serialized(options: SaveOptions(dtype: .f32, codec: codec, level: 0)))
    for (name, _) in try saved.weights { #expect(saved.storage(of: name)?.codec == Codec.none, "\(name): level 0 deflates nothing") }
  }

  @Test("random graphs and hyperparameters round-trip and re-save identically", arguments: 0..<60)
  func randomGraphs(seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let model = try RandomModels.make(using: &rng)
    let dtype = DType.allCases.randomElement(using: &rng)!
    let codec = Codec.allCases.randomElement(using: &rng)!
    let bytes = try model.serialized(options: SaveOptions(dtype: dtype, codec: codec))
    let loaded = try Model(bytes: bytes)
    #expect(loaded.graph == model.graph)
    #expect(try loaded.serialized() == bytes)
    for (name, tensor) in try model.weights {
      let storage = loaded.storage(of: name)
      #expect(storage?.rawBytes == tensor.values.count * dtype.size)
      if codec == .none { #expect(storage?.storedBytes == storage?.rawBytes, "\(name): \(dtype) without a codec") }
    }
    let length = 40 + Int(seed % 7)
    let input = try Tensor(shape: [2, model.graph.inputs[0].channels, length], repeating: 0.5)
    #expect(try loaded(input).shape == model(input).shape)
  }

  @Test("save is atomic: a failed save leaves the previous file intact")
  func atomicSave() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("c1d-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/model.c1d"
    let first = try sampleModel(seed: 1)
    try first.save(to: path)
    let before = try Files.read(path)
    // A directory that cannot be written: the save fails with a typed error and the file is untouched.
    chmod(directory, 0o500)
    defer { chmod(directory, 0o700) }
    if getuid() != 0 {
      #expect(throws: C1DError.self) { try sampleModel(seed: 2).save(to: path) }
      #expect(try Files.read(path) == before)
    }
    chmod(directory, 0o700)
    try sampleModel(seed: 2).save(to: path)
    #expect(try Files.read(path) == (try sampleModel(seed: 2).serialized()))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
    #expect(leftovers == ["model.c1d"])
  }

  @Test("saving into a missing directory is a typed I/O error")
  func missingDirectory() throws {
    #expect(throws: C1DError.self) { try sampleModel().save(to: "/nonexistent-c1d-dir/model.c1d") }
  }
}

/// Random valid models: chains of convolutions (every hyperparameter), activations, pads and slices.
enum RandomModels {
  static func make(using rng: inout SeededGenerator) throws -> Model {
    let channels = Int.random(in: 1...6, using: &rng)
    var builder = ModelBuilder(channels: channels)
    var value = builder.input
    var current = channels
    for _ in 0..<Int.random(in: 1...5, using: &rng) {
      switch Int.random(in: 0..<4, using: &rng) {
      case 0, 1:
        let groups = [1, current].randomElement(using: &rng)!
        let out = groups * Int.random(in: 1...3, using: &rng)
        let kernel = Int.random(in: 1...4, using: &rng)
        let stride = Int.random(in: 1...2, using: &rng)
        let padding: Padding = stride == 1 ? [.explicit(1), .valid, .same].randomElement(using: &rng)! : .explicit(Int.random(in: 0...2, using: &rng))
        let conv = try Conv1d(
          inChannels: current, outChannels: out, kernelSize: kernel, stride: stride, padding: padding,
          dilation: Int.random(in: 1...2, using: &rng), groups: groups, bias: Bool.random(using: &rng),
          paddingMode: PaddingMode.allCases.randomElement(using: &rng)!, using: &rng)
        value = builder.conv1d(conv, value)
        current = out
      case 2:
        let activations: [Op] = [.relu, .silu, .tanh, .sigmoid, .gelu(.none), .leakyRelu(negativeSlope: 0.2), .elu(alpha: 0.5)]
        value = builder.add(activations.randomElement(using: &rng)!, [value])
      default:
        value = builder.add(.pad(PadAttributes(left: Int.random(in: 0...2, using: &rng), right: 1, mode: .replicate)), [value])
      }
    }
    return try builder.build(outputs: [value])
  }
}
