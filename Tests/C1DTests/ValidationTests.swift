import Dispatch
import Foundation
import Synchronization
import Testing

@testable import C1D

@Suite("Validation in PyTorch's words")
struct ValidationTests {
  func conv(_ inChannels: Int = 16, _ outChannels: Int = 33, _ kernel: Int = 3, stride: Int = 1, padding: Padding = .explicit(0), dilation: Int = 1, groups: Int = 1, mode: PaddingMode = .zeros) throws -> Conv1d {
    var rng = SeededGenerator(seed: 3)
    return try Conv1d(
      inChannels: inChannels, outChannels: outChannels, kernelSize: kernel, stride: stride, padding: padding,
      dilation: dilation, groups: groups, paddingMode: mode, using: &rng)
  }

  func model(_ layer: Conv1d, length: Int? = nil) throws -> Model {
    var b = ModelBuilder(channels: layer.attributes.inChannels, length: length)
    let y = b.conv1d(layer, b.input, name: "conv")
    return try b.build(outputs: [y])
  }

  @Test("impossible hyperparameters are refused at construction")
  func impossibleHyperparameters() {
    #expect(throws: C1DError.invalidHyperparameter(node: "Conv1d", message: "in_channels must be divisible by groups")) {
      try conv(16, 32, 3, groups: 3)
    }
    #expect(throws: C1DError.invalidHyperparameter(node: "Conv1d", message: "out_channels must be divisible by groups")) {
      try conv(16, 33, 3, groups: 2)
    }
    #expect(throws: C1DError.invalidHyperparameter(node: "Conv1d", message: "padding='same' is not supported for strided convolutions")) {
      try conv(stride: 2, padding: .same)
    }
    #expect(throws: C1DError.invalidHyperparameter(node: "Conv1d", message: "negative padding is not supported")) {
      try conv(padding: .explicit(-1))
    }
    #expect(throws: C1DError.invalidHyperparameter(node: "Conv1d", message: "non-positive stride is not supported")) {
      try conv(stride: 0)
    }
    #expect(throws: C1DError.invalidHyperparameter(node: "Conv1d", message: "dilation should be greater than zero")) {
      try conv(dilation: 0)
    }
    #expect(throws: C1DError.limitExceeded(what: "node 'Conv1d' kernel_size", limit: 1 << 24, actual: 1 << 40)) {
      try conv(16, 33, 1 << 40)
    }
  }

  @Test("the seed's initialisation: U(-√k, √k), k = groups / (C_in · kernel_size)", arguments: [(16, 3, 1), (8, 5, 4), (6, 1, 6)])
  func initialisation(inChannels: Int, kernel: Int, groups: Int) throws {
    let layer = try conv(inChannels, groups * 2, kernel, groups: groups)
    let bound = Float((Double(groups) / Double(inChannels * kernel)).squareRoot())
    let values = layer.weight.values + layer.bias!.values
    #expect(values.allSatisfy { abs($0) <= bound })
    #expect(values.contains { abs($0) > bound * 0.5 })
    #expect(layer.weight.shape == [groups * 2, inChannels / groups, kernel])
  }

  @Test("shapes follow L_out = floor((L + 2p − d(k−1) − 1)/s + 1)", arguments: 0..<200)
  func outputLength(seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let kernel = Int.random(in: 1...9, using: &rng)
    let stride = Int.random(in: 1...4, using: &rng)
    let dilation = Int.random(in: 1...4, using: &rng)
    let padding = Int.random(in: 0...5, using: &rng)
    let length = Int.random(in: 1...60, using: &rng)
    let m = try model(try conv(2, 3, kernel, stride: stride, padding: .explicit(padding), dilation: dilation))
    let padded = length + 2 * padding
    let span = dilation * (kernel - 1) + 1
    if padded >= span {
      #expect(try m.shapes(forInputLength: length)["conv"]?.dimensions == [3, (padded - span) / stride + 1])
    } else {
      let minimum = max(1, span - 2 * padding)
      #expect(throws: C1DError.inputTooShort(node: "conv", message: "Calculated padded input size per channel: (\(padded)). Kernel size: (\(span)). Kernel size can't be greater than actual input size — this model needs inputs of at least \(minimum) samples")) {
        try m.shapes(forInputLength: length)
      }
    }
  }

  @Test("'same' keeps the length and puts the odd element on the right", arguments: [2, 3, 4, 7], [1, 2, 3])
  func samePadding(kernel: Int, dilation: Int) throws {
    let layer = try conv(2, 2, kernel, padding: .same, dilation: dilation)
    let total = dilation * (kernel - 1)
    #expect(layer.attributes.padAmounts == (total / 2, total - total / 2))
    #expect(try model(layer).shapes(forInputLength: 20)["conv"]?.length == 20)
  }

  @Test("reflect and circular padding limits, in PyTorch's words")
  func paddingLimits() throws {
    let reflect = try model(try conv(4, 4, 3, padding: .explicit(3), mode: .reflect))
    #expect(throws: C1DError.inputTooShort(node: "conv", message: "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 2 of input [2, 4, 3] — this model needs inputs of at least 4 samples")) {
      try reflect(try Tensor(shape: [2, 4, 3]))
    }
    _ = try reflect(try Tensor(shape: [2, 4, 4]))
    let circular = try model(try conv(4, 4, 3, padding: .explicit(3), mode: .circular))
    #expect(throws: C1DError.inputTooShort(node: "conv", message: "Padding value causes wrapping around more than once. — this model needs inputs of at least 3 samples")) {
      try circular(try Tensor(shape: [4, 2]))
    }
    _ = try circular(try Tensor(shape: [4, 3]))
  }

  @Test("bad inputs at run time name the numbers")
  func badInputs() throws {
    let m = try model(try conv())
    #expect(throws: C1DError.invalidInput("input 'input': expected input[20, 8, 50] to have 16 channels, but got 8 channels instead")) {
      try m(try Tensor(shape: [20, 8, 50]))
    }
    #expect(throws: C1DError.invalidInput("input 'input': Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [1, 2, 16, 50]")) {
      try m(try Tensor(shape: [1, 2, 16, 50]))
    }
    #expect(throws: C1DError.inputTooShort(node: "conv", message: "Calculated padded input size per channel: (2). Kernel size: (3). Kernel size can't be greater than actual input size — this model needs inputs of at least 3 samples")) {
      try m(try Tensor(shape: [16, 2]))
    }
    #expect(throws: C1DError.invalidInput("a tensor of shape [2, 3] needs 6 values, got 5")) {
      try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5])
    }
    #expect(throws: C1DError.invalidInput("missing input 'input'")) { try m.run([:]) }
  }

  @Test("an unbatched input gives an unbatched output equal to the batched one")
  func unbatched() throws {
    let m = try model(try conv(16, 33, 3, stride: 2))
    let values = (0..<16 * 50).map { Float(sin(Double($0))) }
    let single = try m(Tensor(shape: [16, 50], values: values))
    let batched = try m(Tensor(shape: [1, 16, 50], values: values))
    #expect(single.shape == [33, 24])
    #expect(single.values == batched.values)
  }

  @Test("a fixed input length is checked at load")
  func fixedLength() throws {
    #expect(throws: C1DError.inputTooShort(node: "conv", message: "Calculated padded input size per channel: (2). Kernel size: (3). Kernel size can't be greater than actual input size")) {
      try model(try conv(), length: 2)
    }
  }

  @Test("graph errors: channels along an edge, cycles, undefined values, arity")
  func graphErrors() throws {
    var rng = SeededGenerator(seed: 1)
    let a = try Conv1d(inChannels: 4, outChannels: 5, kernelSize: 1, using: &rng)
    let b = try Conv1d(inChannels: 6, outChannels: 2, kernelSize: 1, using: &rng)
    var builder = ModelBuilder(channels: 4)
    let y = builder.conv1d(b, builder.conv1d(a, builder.input, name: "a"), name: "b")
    #expect(throws: C1DError.shapeMismatch(node: "b", value: "a", expected: "6 channels (Given groups=1, weight of size [2, 6, 1])", actual: "5 channels")) {
      try builder.build(outputs: [y])
    }
    var add = ModelBuilder(channels: 4)
    let sum = add.add(.add, [add.input])
    #expect(throws: C1DError.invalidField(path: "node 'add_0' inputs", expected: "2 inputs", actual: "1")) {
      try add.build(outputs: [sum])
    }
  }

  @Test("Model.problems lists every bad node, not just the first")
  func collectsProblems() throws {
    let source = try Model(contentsOf: Fixtures.path("seed/model.c1d"))
    var graph = source.graph
    var second = graph.nodes[0]
    second.name = "second"
    second.outputs = ["second"]
    var secondAttributes = try #require(second.op.attributes(as: Conv1dAttributes.self))
    secondAttributes.groups = 5
    second.op = .conv1d(secondAttributes)
    var first = graph.nodes[0]
    var firstAttributes = try #require(first.op.attributes(as: Conv1dAttributes.self))
    firstAttributes.stride = 0
    first.op = .conv1d(firstAttributes)
    graph.nodes = [first, second]
    let problems = GraphValidator(graph: graph, weights: try source.weights).problems()
    #expect(problems == [
      .invalidHyperparameter(node: "0", message: "non-positive stride is not supported"),
      .invalidHyperparameter(node: "second", message: "in_channels must be divisible by groups"),
    ])
  }
}

@Suite("Concurrency")
struct ConcurrencyTests {
  @Test("one model run from 8 threads at once gives identical results")
  func concurrentCallers() throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/tcn/model.c1d"))
    let input = try Fixtures.npy("architectures/tcn/input.npy")
    let reference = try model(input)
    let results = ResultSlots<Tensor>(count: 8)
    DispatchQueue.concurrentPerform(iterations: 8) { index in
      results[index] = Result { try model.run(["input": input], threads: 1 + index % 2)[model.graph.outputs[0]]! }
    }
    for output in try results.collect() { #expect(output.values == reference.values) }
  }

  @Test("Parallel.forEach runs every item exactly once, for any item and thread count", arguments: [0, 1, 2, 3, 17, 1000], [1, 2, 8])
  func everyItemOnce(count: Int, threads: Int) {
    // One counter per item, each written only by the thread that runs the item: a second run of an item
    // shows in its count (and, run concurrently, as a race under ThreadSanitizer).
    let counts = CountSlots(count: count)
    for _ in 0..<50 {
      Parallel.forEach(count, threads: threads) { index in counts.base[index] += 1 }
    }
    #expect(Array(counts.base) == [Int](repeating: 50, count: count))
  }

  @Test("Parallel.forEach's ranges: one contiguous run per participant, in order, together every item once",
        arguments: [0, 1, 2, 3, 17, 1000], [1, 2, 3, 8])
  func workRanges(count: Int, participants: Int) {
    let ranges = WorkRanges(count: count, participants: participants)
    var taken: [[Int]] = []
    for range in 0..<participants {
      var run: [Int] = []
      while let index = ranges.take(from: range) { run.append(index) }
      #expect(ranges.take(from: range) == nil, "range \(range) handed out an item after running dry")
      taken.append(run)
    }
    #expect(taken.joined().elementsEqual(0..<count), "ranges \(taken)")
    let sizes = taken.map(\.count)
    #expect(sizes.max()! - sizes.min()! <= 1, "range sizes \(sizes) are not even")
  }

  @Test("the worker pool serves callers from several threads at once, falling back when busy")
  func poolUnderContention() {
    let total = AtomicTotal()
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      for _ in 0..<200 {
        Parallel.forEach(64, threads: 2) { index in total.value.add(index, ordering: .relaxed) }
      }
    }
    let expected = 8 * 200 * (63 * 64 / 2)
    let sum = total.value.load(ordering: .relaxed)
    #expect(sum == expected)
  }
}

/// Counters shared with `Parallel.forEach` items, each index written by one item.
private final class CountSlots: @unchecked Sendable {
  let base: UnsafeMutableBufferPointer<Int>

  init(count: Int) {
    base = .allocate(capacity: count)
    base.initialize(repeating: 0)
  }

  deinit { base.deallocate() }
}

private final class AtomicTotal: Sendable {
  let value = Atomic<Int>(0)
}

@Suite("Canonical JSON")
struct JSONTests {
  @Test("the writer sorts keys, escapes minimally and spells floats like Python")
  func writer() {
    let value = JSONValue.object([
      "b": .array([.double(1e-5), .double(1), .double(0.1), .double(1e16), .int(-3), .null, .bool(true)]),
      "a": .string("q\"\\/\n\u{01}é"),
    ])
    #expect(String(decoding: JSONValue.canonicalBytes(value), as: UTF8.self) == #"{"a":"q\"\\/\n\u0001é","b":[1e-05,1.0,0.1,1e+16,-3,null,true]}"#)
  }

  @Test("the parser round-trips what the writer wrote")
  func roundTrip() throws {
    let text = #"{"x":[1,-2.5,"\u00e9\ud83d\ude00",{"y":null}],"z":false}"#
    let value = try JSONParser.parse(Array(text.utf8))
    #expect(try JSONParser.parse(JSONValue.canonicalBytes(value)) == value)
    #expect(value == .object(["x": .array([.int(1), .double(-2.5), .string("é😀"), .object(["y": .null])]), "z": .bool(false)]))
  }

  /// Strings are made from byte slices, escapes apart: each problem is still reported at the byte it always was
  /// (a run of bad UTF-8 where the run ends, at the next escape or the closing quote), integers to Int64's limits.
  @Test("the parser's strings, escapes and integers, and where it reports their problems", arguments: [
    (#""a\u00e9\ud83d\ude00b""#.utf8.map { $0 }, #"success(C1D.JSONValue.string("aé😀b"))"#),
    ([0x22, 0xC3, 0xA9, 0x22], #"success(C1D.JSONValue.string("é"))"#),
    (#""\ud800\u0041""#.utf8.map { $0 }, "failure(malformed header: unpaired surrogate at byte 13 of the header)"),
    (Array("\"ab".utf8), "failure(malformed header: unterminated string at byte 3 of the header)"),
    (Array("\"a\\".utf8), "failure(malformed header: unterminated escape at byte 3 of the header)"),
    (Array("\"\\q\"".utf8), "failure(malformed header: invalid escape at byte 3 of the header)"),
    ([0x22, 0x61, 0xFF, 0x22], "failure(malformed header: invalid UTF-8 in a string at byte 3 of the header)"),
    ([0x22, 0x61, 0xFF, 0x5C, 0x6E, 0x22], "failure(malformed header: invalid UTF-8 in a string at byte 3 of the header)"),
    ([0x22, 0x5C, 0x6E, 0xC3, 0x22], "failure(malformed header: invalid UTF-8 in a string at byte 4 of the header)"),
    ([0x22, 0xFF, 0x01, 0x22], "failure(malformed header: unescaped control character in a string at byte 2 of the header)"),
    (Array("9223372036854775807".utf8), "success(C1D.JSONValue.int(9223372036854775807))"),
    (Array("9223372036854775808".utf8), "failure(malformed header: integer out of range at byte 19 of the header)"),
    (Array("-9223372036854775808".utf8), "success(C1D.JSONValue.int(-9223372036854775808))"),
    (Array("-9223372036854775809".utf8), "failure(malformed header: integer out of range at byte 20 of the header)"),
    (Array("-0".utf8), "success(C1D.JSONValue.int(0))"),
  ])
  func tokens(_ bytes: [UInt8], _ expected: String) {
    let result = Result { () throws(C1DError) in try JSONParser.parse(bytes) }
    #expect("\(result)" == expected)
  }

  @Test("the parser refuses what JSON forbids", arguments: ["01", "NaN", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "[1] 2", "\"a\u{01}\"", "1e999", "", "tru"])
  func rejects(_ text: String) {
    #expect(throws: C1DError.self) { try JSONParser.parse(Array(text.utf8)) }
  }
}

/// Per-index results written from `concurrentPerform`; each slot is written by one iteration only.
private final class ResultSlots<Value>: @unchecked Sendable {
  private let slots: UnsafeMutableBufferPointer<Result<Value, any Error>?>

  init(count: Int) {
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil)
  }

  deinit {
    slots.deinitialize()
    slots.deallocate()
  }

  subscript(index: Int) -> Result<Value, any Error>? {
    get { slots[index] }
    set { slots[index] = newValue }
  }

  func collect() throws -> [Value] {
    try slots.map { try $0!.get() }
  }
}
