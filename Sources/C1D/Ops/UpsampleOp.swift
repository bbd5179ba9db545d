/// `F.interpolate(x, size | scale_factor, mode)` along time, `nearest` or `linear` (with or without
/// `align_corners`), with PyTorch's index arithmetic in float32.
struct UpsampleOp: OpDefinition {
  enum Mode: String, Sendable, Hashable, CaseIterable { case nearest, linear }

  static let name = "upsample"
  static let minorVersion = 1
  var mode: Mode
  var scaleFactor: Double?
  var size: Int?
  var alignCorners: Bool

  init(mode: Mode, scaleFactor: Double?, size: Int?, alignCorners: Bool = false) {
    self.mode = mode
    self.scaleFactor = scaleFactor
    self.size = size
    self.alignCorners = alignCorners
  }

  init(attributes a: FieldReader, node: String) throws {
    self.init(
      mode: try a.enumeration("mode", default: Mode.nearest), scaleFactor: try a.optionalDouble("scale_factor"),
      size: try a.optionalInt("size"), alignCorners: try a.bool("align_corners", default: false))
  }

  var attributes: [String: JSONValue] {
    [
      "mode": .string(mode.rawValue), "scale_factor": scaleFactor.map(JSONValue.double) ?? .null,
      "size": size.map { .int(Int64($0)) } ?? .null, "align_corners": .bool(alignCorners),
    ]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    let kind = try check.unaryElementwise(sequenceOnly: true)
    guard (scaleFactor == nil) != (size == nil) else { throw check.fail("only one of size or scale_factor should be defined") }
    if let scaleFactor, !(scaleFactor > 0 && scaleFactor.isFinite) {
      throw check.fail("scale_factor must be a positive finite number, got \(scaleFactor)")
    }
    if let size { try check.positive("size", size, "size must be positive, got \(size)") }
    if alignCorners, mode == .nearest {
      throw check.fail("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    }
    var output = kind
    output.isFixedLength = kind.isFixedLength || size != nil
    return output
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    // Computed in Double and bounded before it becomes an Int: a hostile scale factor must not trap.
    let scaled = (Double(infer.length) * (scaleFactor ?? 1)).rounded(.down)
    guard size != nil || scaled <= Double(ValidatedGraph.maxLength) else {
      throw C1DError.limitExceeded(what: "node '\(infer.node)' output length", limit: ValidatedGraph.maxLength, actual: Int.max)
    }
    let length = size ?? Int(scaled)
    guard length >= 1 else {
      throw infer.tooShort("Input and output sizes should be greater than 0, but got input (W: \(infer.length)) output (W: \(length))")
    }
    return ValueShape(channels: infer.x.channels, length: length)
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * (mode == .linear ? 3 : 0) }

  var timeLocality: TimeLocality { .wholeAxis(reason: "upsample's source positions are computed from the whole length") }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { UpsampleKernel(op: self) }

  var summary: String {
    "\(mode.rawValue) " + (size.map { "to \($0)" } ?? "×\(scaleFactor ?? 1)") + (alignCorners ? " align_corners" : "")
  }

  /// PyTorch's source-index scale (`area_pixel_compute_scale`), in float32 as its kernels use it.
  func scale(input: Int, output: Int) -> Float {
    if alignCorners { return output > 1 ? Float(input - 1) / Float(output - 1) : 0 }
    if let scaleFactor { return Float(1 / scaleFactor) }
    return Float(input) / Float(output)
  }
}

extension Op {
  public static func upsample(nearest: Bool = true, scaleFactor: Double? = nil, size: Int? = nil, alignCorners: Bool = false) -> Op {
    Op(UpsampleOp(mode: nearest ? .nearest : .linear, scaleFactor: scaleFactor, size: size, alignCorners: alignCorners))
  }
}

struct UpsampleKernel: OpKernel {
  let op: UpsampleOp

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let (inLength, outLength) = (x.shape.length ?? 1, output.length ?? 1)
    let scale = op.scale(input: inLength, output: outLength)
    let taps = (0..<outLength).map { source(for: $0, scale: scale, inLength: inLength) }
    let rows = x.batch * output.channels
    let y = [Float].uninitialized(count: rows * outLength) { yb in
      x.data.withUnsafeBufferPointer { xb in
        for r in 0..<rows {
          let row = xb.baseAddress! + r * inLength
          let out = yb.baseAddress! + r * outLength
          for (t, tap) in taps.enumerated() { out[t] = row[tap.index] * (1 - tap.weight) + row[tap.next] * tap.weight }
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }

  /// The input index (and for linear, the next one and its weight) output `t` reads.
  private func source(for t: Int, scale: Float, inLength: Int) -> (index: Int, next: Int, weight: Float) {
    switch op.mode {
    case .nearest:
      let index = min(Int((Float(t) * scale).rounded(.down)), inLength - 1)
      return (index, index, 0)
    case .linear:
      var real = op.alignCorners ? scale * Float(t) : scale * (Float(t) + 0.5) - 0.5
      if real < 0 { real = 0 }
      let index = min(Int(real), inLength - 1)
      let next = index < inLength - 1 ? index + 1 : index
      return (index, next, real - Float(index))
    }
  }
}
