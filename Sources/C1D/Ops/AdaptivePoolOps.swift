/// `AdaptiveAvgPool1d(n)` and `AdaptiveMaxPool1d(n)`: output `i` pools input frames
/// `[floor(i·L/n), ceil((i+1)·L/n))`.
protocol AdaptivePoolOp: OpDefinition {
  var outputSize: Int { get }
  init(outputSize: Int)
  static var isMax: Bool { get }
}

extension AdaptivePoolOp {
  static var minorVersion: Int { 1 }
  init(attributes a: FieldReader, node: String) throws { self.init(outputSize: try a.int("output_size")) }
  var attributes: [String: JSONValue] { ["output_size": .int(Int64(outputSize))] }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    var kind = try check.unaryElementwise(sequenceOnly: true)
    try check.positive("output_size", outputSize, "output_size must be positive, got \(outputSize)")
    kind.isFixedLength = true
    return kind
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape { ValueShape(channels: infer.x.channels, length: outputSize) }
  func flops(inputs: [ValueShape], output: ValueShape) -> Int { inputs[0].elementCount }
  var timeLocality: TimeLocality {
    outputSize == 1 ? .reduction : .wholeAxis(reason: "adaptive pooling's windows are fractions of the whole length")
  }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { AdaptivePoolKernel(outputSize: outputSize, isMax: Self.isMax) }
  var summary: String { "to \(outputSize)" }
}

struct AdaptiveAvgPool1dOp: AdaptivePoolOp {
  static let name = "adaptive_avg_pool1d"
  static let isMax = false
  var outputSize: Int
  init(outputSize: Int) { self.outputSize = outputSize }
}

struct AdaptiveMaxPool1dOp: AdaptivePoolOp {
  static let name = "adaptive_max_pool1d"
  static let isMax = true
  var outputSize: Int
  init(outputSize: Int) { self.outputSize = outputSize }
}

extension Op {
  public static func adaptiveAvgPool1d(outputSize: Int) -> Op { Op(AdaptiveAvgPool1dOp(outputSize: outputSize)) }
  public static func adaptiveMaxPool1d(outputSize: Int) -> Op { Op(AdaptiveMaxPool1dOp(outputSize: outputSize)) }
}

struct AdaptivePoolKernel: OpKernel {
  let outputSize: Int
  let isMax: Bool

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let length = x.shape.length ?? 1
    let windows = (0..<outputSize).map { i in (i * length / outputSize)..<(((i + 1) * length + outputSize - 1) / outputSize) }
    let rows = x.batch * x.shape.channels
    let y = [Float].uninitialized(count: rows * outputSize) { yb in
      x.data.withUnsafeBufferPointer { xb in
        for r in 0..<rows {
          let row = xb.baseAddress! + r * length
          for (i, window) in windows.enumerated() { yb[r * outputSize + i] = pool(row, window) }
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }

  /// Max propagates NaN as PyTorch does; the average sums in float32 in order, as its CPU kernel does.
  private func pool(_ row: UnsafePointer<Float>, _ window: Range<Int>) -> Float {
    if isMax {
      var best = row[window.lowerBound]
      for i in window where row[i].isNaN || row[i] > best {
        best = row[i]
        if best.isNaN { break }
      }
      return best
    }
    var sum: Float = 0
    for i in window { sum += row[i] }
    return sum / Float(window.count)
  }
}
