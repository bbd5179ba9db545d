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

/// A conv1d network: its graph, metadata and weights, validated and planned for execution.
///
/// A `Model` is immutable and `Sendable`: one instance may be run from many threads at once.
public struct Model: Sendable {
  public let metadata: Metadata
  public let graph: Graph
  /// The tensors, or for a model loaded from a file, where they lie in it.
  let store: WeightStore
  /// The graph as validation left it: what shape inference and the plan work from.
  let validated: ValidatedGraph
  let plan: ExecutionPlan
  /// Shapes by run signature, shared by the copies of this model.
  let shapeCache: ShapeCache

  /// Validates `graph` against `weights` and plans its execution.
  /// - Parameters:
  ///   - graph: nodes in topological order.
  ///   - weights: every parameter tensor the nodes name, and no other.
  ///   - metadata: descriptive key-values.
  ///   - limits: bounds on node count, hyperparameters and sizes (`LoadLimits.default` unless lowered).
  /// - Throws: `C1DError` naming the first node or tensor that is inconsistent.
  public init(graph: Graph, weights: [String: Tensor], metadata: Metadata = Metadata(), limits: LoadLimits = .default) throws {
    try self.init(graph: graph, store: WeightStore(given: weights), metadata: metadata, limits: limits)
  }

  init(
    graph: Graph, store: WeightStore, metadata: Metadata, limits: LoadLimits, threads: Int? = nil,
    preparing: KernelPreparation = .atLoad
  ) throws {
    validated = try GraphValidator(graph: graph, store: store, limits: limits).validate()
    self.graph = graph
    self.store = store
    self.metadata = metadata
    self.plan = ExecutionPlan(validated, threads: max(1, threads ?? Self.defaultThreads), preparing: preparing)
    // A loaded tensor is decoded when its kernel is made: a bad one is known only now.
    if let failure = store.firstFailure() { throw failure }
    shapeCache = ShapeCache()
    let fixedLengths = graph.inputs.compactMap(\.length)
    if fixedLengths.count == graph.inputs.count {
      _ = try validated.shapes(lengths: fixedLengths, batch: nil)
    }
  }

  /// Parameter tensors by name, decoded to float32. A model loaded from a file keeps no decoded copy of
  /// them (its kernels keep what running needs, mostly packed): the first access reads and decodes them
  /// from the file, and keeps them.
  /// - Throws: `C1DError.sourceFileChanged` when a loaded model's file was rewritten in place or truncated
  ///   since the load (it no longer holds the tensors); reload the model. A model built in code never throws.
  public var weights: [String: Tensor] {
    get throws { try store.tensors() }
  }

  /// The graph's inputs: name, channels, and the fixed length and sample rate when the model has them.
  public var inputs: [GraphInput] { graph.inputs }

  /// The names of the graph's outputs, in order.
  public var outputs: [String] { graph.outputs }

  /// Each parameter tensor's shape, by name, known without decoding the tensors.
  public var weightShapes: [String: [Int]] { store.shapes }

  /// The number of parameters (elements of all weight tensors), from their shapes: nothing is decoded.
  public var parameterCount: Int { store.shapes.values.reduce(0) { $0 + $1.reduce(1, *) } }

  /// When the kernels are made: at load (the default), or step by step in every run.
  public var kernelPreparation: KernelPreparation { plan.preparation }
}
