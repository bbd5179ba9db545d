/// A dense float32 array with a shape, row-major (C order).
public struct Tensor: Sendable, Hashable {
  public let shape: [Int]
  public internal(set) var values: [Float]

  /// - Throws: `C1DError.invalidInput` when `values.count` is not the product of `shape`.
  public init(shape: [Int], values: [Float]) throws {
    guard shape.allSatisfy({ $0 >= 0 }), let count = shape.checkedProduct, count == values.count else {
      throw C1DError.invalidInput("a tensor of shape \(shape) needs \(shape.checkedProduct.map(String.init) ?? "too many") values, got \(values.count)")
    }
    self.shape = shape
    self.values = values
  }

  init(uncheckedShape shape: [Int], values: [Float]) {
    self.shape = shape
    self.values = values
  }

  /// A tensor of `shape` filled with `value`.
  /// - Throws: `C1DError.invalidInput` for a negative dimension or a size that overflows.
  public init(shape: [Int], repeating value: Float = 0) throws {
    guard shape.allSatisfy({ $0 >= 0 }), let count = shape.checkedProduct else {
      throw C1DError.invalidInput("cannot make a tensor of shape \(shape)")
    }
    self.shape = shape
    self.values = [Float](repeating: value, count: count)
  }
}

extension Array where Element == Int {
  /// The product of the elements, or nil when it overflows `Int`.
  var checkedProduct: Int? {
    var product = 1
    for d in self {
      let (p, overflow) = product.multipliedReportingOverflow(by: d)
      if overflow { return nil }
      product = p
    }
    return product
  }
}

/// A typed metadata value.
public enum MetadataValue: Sendable, Hashable {
  case string(String)
  case int(Int64)
  case float(Double)
  case bool(Bool)
}

/// Typed key-values describing a model. The well-known keys have accessors.
public struct Metadata: Sendable, Hashable {
  public var entries: [String: MetadataValue]

  public init(name: String = "", description: String = "", producer: String = "", license: String = "") {
    entries = [
      "name": .string(name), "description": .string(description), "producer": .string(producer),
      "license": .string(license),
    ]
  }

  init(entries: [String: MetadataValue]) { self.entries = entries }

  private func text(_ key: String) -> String {
    if case .string(let s) = entries[key] { return s }
    return ""
  }

  public var name: String { text("name") }
  public var description: String { text("description") }
  public var producer: String { text("producer") }
  public var license: String { text("license") }
}

/// How a tensor was encoded in the file it was loaded from, kept so that a re-save with the same
/// dtype and codec writes the very same bytes.
struct StoredEncoding: Sendable, Hashable {
  var dtype: DType
  var codec: Codec
  /// The stored bytes; nil when they are the float32 values' own little-endian bytes (f32, no codec),
  /// which encoding the values gives back exactly, so the model does not hold them twice.
  var bytes: [UInt8]?
  var storedSize: Int

  /// - Parameter stored: the tensor's bytes in the file; copied unless they are the values' own.
  init(dtype: DType, codec: Codec, stored: UnsafeRawBufferPointer) {
    self.dtype = dtype
    self.codec = codec
    bytes = dtype == .f32 && codec == .none ? nil : Array(stored)
    storedSize = stored.count
  }
}

/// A conv1d network: its graph, metadata and weights, validated and planned for execution.
///
/// A `Model` is immutable and `Sendable`: one instance may be run from many threads at once.
public struct Model: Sendable {
  public let metadata: Metadata
  public let graph: Graph
  /// Parameter tensors by name, decoded to float32.
  public let weights: [String: Tensor]
  let storedEncodings: [String: StoredEncoding]
  /// The graph as validation left it: what shape inference and the plan work from.
  let validated: ValidatedGraph
  let plan: ExecutionPlan

  /// Validates `graph` against `weights` and plans its execution.
  /// - Parameters:
  ///   - graph: nodes in topological order.
  ///   - weights: every parameter tensor the nodes name, and no other.
  ///   - metadata: descriptive key-values.
  ///   - limits: bounds on node count, hyperparameters and sizes (`LoadLimits.default` unless lowered).
  /// - Throws: `C1DError` naming the first node or tensor that is inconsistent.
  public init(graph: Graph, weights: [String: Tensor], metadata: Metadata = Metadata(), limits: LoadLimits = .default) throws {
    try self.init(graph: graph, weights: weights, metadata: metadata, storedEncodings: [:], limits: limits)
  }

  init(
    graph: Graph, weights: [String: Tensor], metadata: Metadata, storedEncodings: [String: StoredEncoding], limits: LoadLimits
  ) throws {
    validated = try GraphValidator(graph: graph, weights: weights, limits: limits).validate()
    self.graph = graph
    self.weights = weights
    self.metadata = metadata
    self.storedEncodings = storedEncodings
    self.plan = ExecutionPlan(validated)
    let fixedLengths = graph.inputs.compactMap(\.length)
    if fixedLengths.count == graph.inputs.count {
      _ = try validated.shapes(lengths: fixedLengths, batch: nil)
    }
  }

  /// The graph's inputs: name, channels, and the fixed length and sample rate when the model has them.
  public var inputs: [GraphInput] { graph.inputs }

  /// The names of the graph's outputs, in order.
  public var outputs: [String] { graph.outputs }

  /// The number of parameters (elements of all weight tensors).
  public var parameterCount: Int { weights.values.reduce(0) { $0 + $1.values.count } }
}
