/// How a tensor is stored in the file a model was loaded from.
public struct TensorStorage: Sendable, Hashable {
  public var dtype: DType
  public var codec: Codec
  /// Bytes in the file.
  public var storedBytes: Int
  /// Bytes once decoded, in the stored dtype.
  public var rawBytes: Int
}

extension Model {
  /// The storage of `tensor` in the file the model came from; nil for a model built in code.
  public func storage(of tensor: String) -> TensorStorage? {
    guard let entry = store.stored[tensor]?.entry else { return nil }
    return TensorStorage(dtype: entry.dtype, codec: entry.codec, storedBytes: entry.storedSize, rawBytes: entry.rawSize)
  }

  /// Floating-point operations per sample of each node (a multiply-add counts 2), for the given shapes.
  /// - Parameter shapes: every value's shape, from `shapes(forInputLength:)`.
  /// - Throws: `C1DError.invalidInput` naming the first value whose shape is missing.
  public func flops(shapes: [String: ValueShape]) throws -> [String: Int] {
    var result: [String: Int] = [:]
    for node in graph.nodes {
      func shape(_ value: String) throws -> ValueShape {
        guard let shape = shapes[value] else {
          throw C1DError.invalidInput("flops(shapes:): no shape for value '\(value)' of node '\(node.name)'; pass the result of shapes(forInputLength:)")
        }
        return shape
      }
      result[node.name] = node.op.definition.flops(inputs: try node.inputs.map(shape), output: try shape(node.outputs[0]))
    }
    return result
  }

  /// Floating-point operations per sample of each node for inputs of `length`.
  /// - Throws: `C1DError` when the length does not fit the model.
  public func flops(forInputLength length: Int) throws -> [String: Int] {
    try flops(shapes: shapes(forInputLength: length))
  }
}
