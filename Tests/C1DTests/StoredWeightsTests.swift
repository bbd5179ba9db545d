import Foundation
import Testing

@testable import C1D

/// A model loaded from a file keeps no copy of its tensors: they are read back from the file when asked
/// for (`weights`, a re-save), and checked against what was loaded.
@Suite("Weights read back from the file")
struct StoredWeightsTests {
  /// A file of `bytes` in a directory of its own, and that directory (to remove).
  static func temporaryFile(_ bytes: [UInt8]) throws -> (path: String, directory: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("c1d-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/model.c1d"
    try FileIO.writeAtomically(bytes, to: path)
    return (path, directory)
  }

  /// Rewrites the file in place (same inode, as an editor or `dd` would), unlike `save`'s rename.
  static func overwriteInPlace(_ path: String, with bytes: [UInt8]) throws {
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(bytes))
    try handle.close()
  }

  /// Two convolutions and a batch norm: a model that runs and streams.
  static func convModel(seed: UInt64) throws -> Model {
    var rng = SeededGenerator(seed: seed)
    var b = ModelBuilder(channels: 4)
    let first = try Conv1d(inChannels: 4, outChannels: 16, kernelSize: 3, padding: .same, using: &rng)
    let second = try Conv1d(inChannels: 16, outChannels: 16, kernelSize: 5, padding: .same, using: &rng)
    let stats = try Tensor(shape: [16], repeating: 0.5)
    let x = b.add(.gelu(.tanh), [b.conv1d(first, b.input)])
    let y = b.add(.batchNorm(NormAttributes(channels: 16)), [b.conv1d(second, x)], parameters: ["running_mean": stats, "running_var": stats, "weight": stats, "bias": stats])
    return try b.build(outputs: [y])
  }

  /// Elements whose bits differ, or -1 for a count mismatch (counts, not arrays, in a failure message).
  static func differences(_ a: [Float], _ b: [Float]) -> Int {
    a.count == b.count ? zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count : -1
  }

  @Test("a loaded model holds neither decoded weights nor the mapping; weights decode on first access", arguments: DType.allCases, Codec.allCases)
  func lazyWeights(dtype: DType, codec: Codec) throws {
    let model = try sampleModel()
    let bytes = try model.serialized(options: SaveOptions(dtype: dtype, codec: codec))
    let (path, directory) = try Self.temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let loaded = try Model(contentsOf: path)
    #expect(!loaded.store.keepsValues)
    #expect(!loaded.store.holdsMapping)
    #expect(loaded.parameterCount == model.parameterCount)
    #expect(!loaded.store.keepsValues, "counting parameters decodes nothing")
    let weights = try loaded.weights
    #expect(loaded.store.keepsValues)
    #expect(Set(weights.keys) == Set(try model.weights.keys))
    for (name, tensor) in try model.weights {
      let back = try #require(weights[name])
      #expect(back.shape == tensor.shape)
      #expect(Self.differences(back.values, dtype.rounded(tensor.values)) == 0, "\(name)")
    }
    #expect(try loaded.serialized() == bytes)
  }

  @Test("a re-save reads the stored bytes back: byte-identical, also over the file it was loaded from", arguments: DType.allCases, Codec.allCases)
  func resave(dtype: DType, codec: Codec) throws {
    let bytes = try sampleModel().serialized(options: SaveOptions(dtype: dtype, codec: codec))
    let (path, directory) = try Self.temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let loaded = try Model(contentsOf: path)
    try loaded.save(to: directory + "/copy.c1d")
    #expect(try Files.read(directory + "/copy.c1d") == bytes)
    // Saving over its own file replaces it by rename: the model still reads the file it loaded.
    try loaded.save(to: path)
    try loaded.save(to: path)
    #expect(try Files.read(path) == bytes)
    #expect(try loaded.weights.count == loaded.store.stored.count)
    #expect(!loaded.store.holdsMapping)
  }

  @Test("a file rewritten in place or truncated after the load: save and decodedWeights throw, naming the tensor; running is unaffected", arguments: [DType.f32, .f16], Codec.allCases)
  func changedFile(dtype: DType, codec: Codec) throws {
    let options = SaveOptions(dtype: dtype, codec: codec)
    let bytes = try Self.convModel(seed: 1).serialized(options: options)
    let (path, directory) = try Self.temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let loaded = try Model(contentsOf: path)
    let input = try Tensor(shape: [1, 4, 32], repeating: 0.5)
    let before = try loaded.run([loaded.inputs[0].name: input])
    // Another model of the same layout: the same offsets, other bytes.
    try Self.overwriteInPlace(path, with: try Self.convModel(seed: 2).serialized(options: options))
    func isChanged(_ error: any Error) -> Bool {
      guard case .sourceFileChanged(let tensor, let where_, _, _) = error as? C1DError else { return false }
      return loaded.store.stored[tensor] != nil && where_ == path
    }
    #expect(performing: { try loaded.save(to: directory + "/copy.c1d") }, throws: isChanged)
    #expect(performing: { try loaded.weights }, throws: isChanged)
    #expect(performing: { try loaded.makeStream() }, throws: isChanged)
    #expect(!FileManager.default.fileExists(atPath: directory + "/copy.c1d"))
    // Its kernels hold what running needs: the file is not read again.
    let after = try loaded.run([loaded.inputs[0].name: input])
    for (name, tensor) in before { #expect(Self.differences(try #require(after[name]).values, tensor.values) == 0, "\(name)") }

    try Self.overwriteInPlace(path, with: Array(bytes.prefix(100)))
    #expect(performing: { try loaded.save(to: directory + "/copy.c1d") }, throws: isChanged)
    #expect(performing: { try loaded.weights }, throws: isChanged)
  }

  @Test("weights decoded before the file changed still save, re-encoded from their values")
  func changedAfterDecoding() throws {
    let options = SaveOptions(dtype: .f16, codec: .shuffleDeflate)
    let bytes = try sampleModel(seed: 1).serialized(options: options)
    let (path, directory) = try Self.temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let loaded = try Model(contentsOf: path)
    let weights = try loaded.weights
    try Self.overwriteInPlace(path, with: Array(bytes.prefix(100)))
    try loaded.save(to: directory + "/copy.c1d")
    let again = try Model(contentsOf: directory + "/copy.c1d")
    for (name, tensor) in weights {
      #expect(Self.differences(try #require(try again.weights[name]).values, tensor.values) == 0, "\(name)")
      // (a tensor no plane of which deflates is stored as none by either save)
      #expect(again.storage(of: name)?.codec == loaded.storage(of: name)?.codec)
    }
    #expect(weights.keys.contains { again.storage(of: $0)?.codec == .shuffleDeflate })
  }

  @Test("a tensor whose bytes fail their checksum is still refused at load, naming it")
  func corruptTensorAtLoad() throws {
    let model = try sampleModel()
    var bytes = try model.serialized(options: SaveOptions(dtype: .f32, codec: Codec.none))
    let loaded = try Model(bytes: bytes)
    let first = try #require(loaded.store.stored.values.min { $0.index < $1.index })
    bytes[first.entry.offset] ^= 0xFF
    #expect(performing: { try Model(bytes: bytes) }, throws: { error in
      guard case .checksumMismatch(let what, _, _) = error as? C1DError else { return false }
      return what == "tensor '\(first.entry.name)'"
    })
  }
}
