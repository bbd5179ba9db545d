/// A reduction over time computed chunk by chunk: what lets a classifier ending in a global pool stream.
/// Per row `(n, c)` it keeps the count, the running mean and the sum of squared deviations in Double
/// (Chan's merge of per-chunk two-pass statistics), or the running max/min with NaN propagating as PyTorch
/// propagates it.
struct TimeAccumulator: Sendable {
  enum Kind: Sendable, Hashable { case mean, sum, max, min, variance(correction: Int), std(correction: Int) }

  let kind: Kind
  private var count = 0
  private var mean: [Double] = []
  private var squares: [Double] = []
  private var extreme: [Float] = []

  init(kind: Kind) { self.kind = kind }

  /// The accumulator for a node that reduces over time, or nil when `definition` is not one.
  init?(_ definition: any OpDefinition) {
    switch definition {
    case is GlobalAvgPool1dOp: self.init(kind: .mean)
    case let p as AdaptiveAvgPool1dOp where p.outputSize == 1: self.init(kind: .mean)
    case let p as AdaptiveMaxPool1dOp where p.outputSize == 1: self.init(kind: .max)
    case let r as ReduceOp where r.axis == .time:
      switch r.kind {
      case .mean: self.init(kind: .mean)
      case .sum: self.init(kind: .sum)
      case .max: self.init(kind: .max)
      case .min: self.init(kind: .min)
      case .var: self.init(kind: .variance(correction: r.correction))
      case .std: self.init(kind: .std(correction: r.correction))
      }
    default: return nil
    }
  }

  private var isExtreme: Bool { kind == .max || kind == .min }

  /// Folds in `m` more frames of `x`, `(N, C, m)`.
  mutating func add(_ x: Activation) {
    let m = x.shape.length ?? 1
    let rows = x.batch * x.shape.channels
    guard m > 0 else { return }
    if isExtreme {
      addExtreme(x, rows: rows, m: m)
    } else {
      addMoments(x, rows: rows, m: m)
    }
    count += m
  }

  private mutating func addExtreme(_ x: Activation, rows: Int, m: Int) {
    let isMax = kind == .max
    if extreme.isEmpty { extreme = (0..<rows).map { x.data[$0 * m] } }
    for r in 0..<rows {
      var best = extreme[r]
      for i in r * m..<(r + 1) * m {
        let v = x.data[i]
        if v.isNaN || best.isNaN { best = .nan } else if isMax ? v > best : v < best { best = v }
      }
      extreme[r] = best
    }
  }

  private mutating func addMoments(_ x: Activation, rows: Int, m: Int) {
    if mean.isEmpty {
      mean = [Double](repeating: 0, count: rows)
      squares = [Double](repeating: 0, count: rows)
    }
    let (n, b) = (Double(count), Double(m))
    for r in 0..<rows {
      var sum = 0.0
      for i in r * m..<(r + 1) * m { sum += Double(x.data[i]) }
      let chunkMean = sum / b
      var chunkSquares = 0.0
      for i in r * m..<(r + 1) * m {
        let d = Double(x.data[i]) - chunkMean
        chunkSquares += d * d
      }
      let delta = chunkMean - mean[r]
      mean[r] += delta * b / (n + b)
      squares[r] += chunkSquares + delta * delta * n * b / (n + b)
    }
  }

  /// The reduction of every frame added, one value per row, shaped as the node's output.
  func result(shape: ValueShape, batch: Int) -> Activation {
    let n = Double(count)
    let values: [Float]
    switch kind {
    case .max, .min: values = extreme
    case .mean: values = mean.map { Float($0) }
    case .sum: values = mean.map { Float($0 * n) }
    case .variance(let correction): values = squares.map { Float($0 / (n - Double(correction))) }
    case .std(let correction): values = squares.map { Float(($0 / (n - Double(correction))).squareRoot()) }
    }
    return Activation(shape: shape, batch: batch, data: values)
  }
}
