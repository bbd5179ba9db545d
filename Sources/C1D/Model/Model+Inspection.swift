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
    guard let encoding = storedEncodings[tensor], let values = weights[tensor] else { return nil }
    return TensorStorage(
      dtype: encoding.dtype, codec: encoding.codec, storedBytes: encoding.storedSize,
      rawBytes: values.values.count * encoding.dtype.size)
  }

  /// Floating-point operations per sample of each node (a multiply-add counts 2), for the given shapes.
  /// - Parameter shapes: from `shapes(forInputLength:)`.
  public func flops(shapes: [String: ValueShape]) -> [String: Int] {
    var result: [String: Int] = [:]
    for node in graph.nodes {
      let output = shapes[node.outputs[0]]!
      let input = shapes[node.inputs[0]]!
      let flops: Int
      switch node.op {
      case .conv1d(let a):
        flops = output.elementCount * (2 * (a.inChannels / a.groups) * a.kernelSize + (a.bias ? 1 : 0))
      case .linear(let a):
        flops = a.outFeatures * (2 * a.inFeatures + (a.bias ? 1 : 0))
      case .maxPool1d(let a), .avgPool1d(let a):
        flops = output.elementCount * a.kernelSize
      case .batchNorm, .prelu, .leakyRelu, .relu, .add, .mul:
        flops = output.elementCount * 2
      case .groupNorm, .layerNorm:
        flops = output.elementCount * 7
      case .gelu, .silu, .tanh, .sigmoid, .elu:
        flops = output.elementCount * 8
      case .globalAvgPool1d:
        flops = input.elementCount
      case .pad, .slice, .concat, .flatten:
        flops = 0
      }
      result[node.name] = flops
    }
    return result
  }
}
