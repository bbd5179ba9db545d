import CC1DKernels

/// The table from ops to kernels, consulted once per node when a model is planned.
enum KernelFactory {
  static func make(_ node: Node, weights: [String: Tensor]) -> any OpKernel {
    func parameter(_ role: String) -> Tensor? { node.parameters[role].flatMap { weights[$0] } }
    switch node.op {
    case .conv1d(let a):
      return Conv1dKernel.make(
        attributes: a, weight: parameter("weight")!.values,
        bias: parameter("bias")?.values ?? [Float](repeating: 0, count: a.outChannels), padLeft: a.padAmounts.left, epilogue: [])
    case .pad(let a): return PadKernel(attributes: a)
    case .slice(let a): return SliceKernel(attributes: a)
    case .prelu: return PReLUKernel(slopes: parameter("weight")!.values)
    case .relu, .leakyRelu, .elu, .gelu, .silu, .tanh, .sigmoid:
      let (kind, value) = Fusion.activation(node.op) ?? (Int32(C1D_ACT_RELU), 0)
      return ActivationKernel(kind: kind, parameter: value)
    case .add: return BinaryKernel(isProduct: false)
    case .mul: return BinaryKernel(isProduct: true)
    case .concat: return ConcatKernel()
    case .batchNorm(let a):
      return BatchNormKernel(
        attributes: a, mean: parameter("running_mean")!, variance: parameter("running_var")!,
        weight: parameter("weight"), bias: parameter("bias"))
    case .groupNorm(let a), .layerNorm(let a):
      let overChannels = if case .layerNorm = node.op { true } else { false }
      return NormalizationKernel(
        attributes: a, overChannels: overChannels, weight: parameter("weight")?.values, bias: parameter("bias")?.values)
    case .maxPool1d(let a): return PoolKernel(attributes: a, isMax: true)
    case .avgPool1d(let a): return PoolKernel(attributes: a, isMax: false)
    case .globalAvgPool1d: return GlobalAveragePoolKernel()
    case .flatten: return FlattenKernel()
    case .linear(let a): return LinearKernel(attributes: a, weight: parameter("weight")!.values, bias: parameter("bias")?.values)
    }
  }
}
