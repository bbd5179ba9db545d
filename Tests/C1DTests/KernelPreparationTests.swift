import Foundation
import Testing

@testable import C1D

@Suite("Kernels prepared per run (KernelPreparation.perRun)")
struct KernelPreparationTests {
  static let architectures = Fixtures.subdirectories("architectures")
  static let malformed = Fixtures.subdirectories("malformed").filter { $0.hasSuffix(".c1d") }

  @Test("every architecture gives bit for bit the outputs of kernels made at load, batched, sample by sample and profiled too", arguments: architectures)
  func sameOutputs(name: String) throws {
    let path = Fixtures.path("architectures/\(name)/model.c1d")
    let input = try Fixtures.npy("architectures/\(name)/input.npy")
    let (atLoad, perRun) = (try Model(contentsOf: path, threads: 1), try Model(contentsOf: path, threads: 1, preparing: .perRun))
    #expect(atLoad.kernelPreparation == .atLoad && perRun.kernelPreparation == .perRun)
    let inputName = atLoad.graph.inputs[0].name
    let expected = try atLoad.run([inputName: input], threads: 1)
    // Twice: the second run prepares the kernels again.
    for _ in 0..<2 { #expect(try perRun.run([inputName: input], threads: 1) == expected) }
    // Three copies of the batch: conv_tasnet, wav2vec2 and whisper_front then run sample by sample, reaching
    // each step once per sample.
    let sample = input.shape.count == 3 ? Array(input.shape.dropFirst()) : input.shape
    let copies = 3 * input.values.count / sample.reduce(1, *)
    let batched = try Tensor(shape: [copies] + sample, values: Array(repeatElement(input.values, count: 3).joined()))
    #expect(try perRun.run([inputName: batched], threads: 1) == atLoad.run([inputName: batched], threads: 1))
    let steps = try perRun.profile(input, threads: 1, runs: 1)
    #expect(steps.count == perRun.plan.steps.count && steps.allSatisfy { $0.milliseconds >= 0 })
  }

  @Test("a malformed file gives exactly the error of a load, from the initializer or else from the first run", arguments: malformed)
  func sameErrors(file: String) throws {
    let expected = try #require(MalformedFileTests.expected[file]).error
    do {
      let model = try Model(contentsOf: Fixtures.path("malformed/\(file)"), preparing: .perRun)
      var inputs: [String: Tensor] = [:]
      for input in model.inputs {
        inputs[input.name] = try Tensor(shape: [1, input.channels, input.length ?? 256], repeating: 0.5)
      }
      _ = try model.run(inputs, threads: 1)
      Issue.record("\(file) loaded and ran; expected: \(expected)")
    } catch let error as C1DError {
      #expect(error.description == expected)
    }
  }

  @Test("a weight whose deflated bytes were damaged: the first run reports what the load reports, from a file or from memory")
  func damagedWeight() throws {
    var bytes = try Files.read(Fixtures.path("architectures/wav2vec2_feature_encoder/model.c1d"))
    let stored = try Model(bytes: bytes).store.stored.values.max { $0.entry.storedSize < $1.entry.storedSize }!
    #expect(stored.entry.codec == .shuffleDeflate)
    bytes[stored.entry.offset + stored.entry.storedSize / 2] ^= 0x5A
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("damaged-\(UUID().uuidString).c1d").path
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let loadError = #expect(throws: C1DError.self) { try Model(contentsOf: path) }
    #expect(loadError?.description.contains(stored.entry.name) == true)
    let input = try Fixtures.npy("architectures/wav2vec2_feature_encoder/input.npy")
    for model in [try Model(contentsOf: path, preparing: .perRun), try Model(bytes: bytes, preparing: .perRun)] {
      let runError = #expect(throws: C1DError.self) { try model.run([model.inputs[0].name: input], threads: 1) }
      #expect(runError?.description == loadError?.description)
    }
  }

  @Test("weights whose planes fill the decoding lanes alone are inflated alone; smaller ones with partners")
  func largeWeightsInflatedAlone() throws {
    // Pointwise convolutions: 256·400 weights (float16 planes of two 64 KiB pieces) and 256·1024 (four).
    var rng = SeededGenerator(seed: 7)
    var b = ModelBuilder(channels: 256)
    var x = b.input
    for (inChannels, outChannels) in [(256, 400), (400, 256), (256, 1024), (1024, 256)] {
      x = b.conv1d(try Conv1d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, using: &rng), x)
    }
    let bytes = try b.build(outputs: [x]).serialized(options: SaveOptions(dtype: .f16, codec: .shuffleDeflate))
    let store = try Model(bytes: bytes, preparing: .perRun).store
    let weights = store.stored.values.filter { $0.entry.shape.count == 3 }.sorted { $0.index < $1.index }
    try #require(weights.count == 4 && weights.allSatisfy { $0.entry.codec == .shuffleDeflate })
    let (medium, large) = (weights.prefix(2).map(\.entry.name), weights.suffix(2).map(\.entry.name))
    #expect(weights.map { WeightStore.piecesPerPlane($0.entry) } == [2, 2, 4, 4])

    // A large one first: its own pieces fill the lanes, and no partner's bytes are held for later.
    _ = store.values(large[0])
    #expect(store.inflatedWaiting.isEmpty)
    _ = store.values(medium[0])
    #expect(store.inflatedWaiting == [medium[1]])
    _ = store.values(medium[1])
    #expect(store.inflatedWaiting.isEmpty)
  }

  @Test("a step's kernel is made at every pass of a run that does not keep it, once for a run that does")
  func madeOncePerRun() {
    let makes = Locked(0)
    let kernel = KernelMadePerRun(make: { makes.withLock { $0 += 1 }; return CopyKernel() }, id: 0)
    let input = Activation(shape: ValueShape(channels: 1, length: 4), batch: 1, data: [1, 2, 3, 4])
    var context = ExecutionContext(threads: 1)
    for _ in 0..<2 { #expect(kernel.run([input], output: input.shape, context: context).data == input.data) }
    #expect(makes.withLock { $0 } == 2)
    context.runKernels = RunKernels()
    for _ in 0..<3 { _ = kernel.run([input], output: input.shape, context: context) }
    #expect(makes.withLock { $0 } == 3)
  }

  private struct CopyKernel: OpKernel {
    func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation { inputs[0] }
  }
}
