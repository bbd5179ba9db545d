/// How an index outside `0..<length` reads: PyTorch's padding modes.
enum Border: Sendable, Hashable {
  case constant(Float)
  case reflect
  case replicate
  case circular

  init(_ mode: PaddingMode) {
    switch mode {
    case .zeros: self = .constant(0)
    case .reflect: self = .reflect
    case .replicate: self = .replicate
    case .circular: self = .circular
    }
  }

  init(_ mode: PadMode, value: Double) {
    switch mode {
    case .constant: self = .constant(Float(value))
    case .reflect: self = .reflect
    case .replicate: self = .replicate
    case .circular: self = .circular
    }
  }

  /// The mode's code for the C kernels (`C1D_BORDER_*`) and its constant.
  var code: Int32 {
    switch self {
    case .constant: 0
    case .reflect: 1
    case .replicate: 2
    case .circular: 3
    }
  }

  var constant: Float {
    if case .constant(let value) = self { return value }
    return 0
  }

  /// The value at `index` of `row` (length `length`), for any index the validated padding can reach.
  @inline(__always)
  func value(_ row: UnsafePointer<Float>, _ length: Int, _ index: Int) -> Float {
    if index >= 0, index < length { return row[index] }
    switch self {
    case .constant(let v): return v
    case .reflect: return row[index < 0 ? -index : 2 * (length - 1) - index]
    case .replicate: return row[index < 0 ? 0 : length - 1]
    case .circular: return row[index < 0 ? index + length : index - length]
    }
  }

  /// Writes `row` with `left` and `right` elements of padding into `out` (length + left + right).
  func pad(_ row: UnsafePointer<Float>, length: Int, left: Int, right: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<left { out[i] = value(row, length, i - left) }
    (out + left).update(from: row, count: length)
    for i in 0..<right { out[left + length + i] = value(row, length, length + i) }
  }
}

/// `floor(a / b)` for b > 0.
@inline(__always)
func floorDivide(_ a: Int, _ b: Int) -> Int {
  a >= 0 ? a / b : -((-a + b - 1) / b)
}
