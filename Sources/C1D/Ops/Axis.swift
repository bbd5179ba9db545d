/// The axis an op works along: PyTorch's dim 1 (channels) or dim 2 (time) of `(N, C, L)`.
enum Axis: String, Sendable, Hashable, CaseIterable {
  case channels, time

  /// PyTorch's dim number, for messages.
  var dim: Int { self == .channels ? 1 : 2 }
}

/// Walks a `(N, C, L)` buffer as rows along `axis`: for each of the other positions, the element at
/// step `i` of the row is at `start + i · stride`.
struct AxisRows {
  let starts: [Int]
  let stride: Int
  let count: Int

  init(batch: Int, shape: ValueShape, axis: Axis) {
    let (channels, length) = (shape.channels, shape.length ?? 1)
    switch axis {
    case .time:
      starts = (0..<batch * channels).map { $0 * length }
      stride = 1
      count = length
    case .channels:
      starts = (0..<batch).flatMap { n in (0..<length).map { n * channels * length + $0 } }
      stride = length
      count = channels
    }
  }
}
