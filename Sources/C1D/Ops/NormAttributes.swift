/// Hyperparameters of the normalisations: batch norm and layer norm over channels (groups 1), and group norm.
public struct NormAttributes: Sendable, Hashable {
  public var channels: Int
  public var groups: Int
  public var eps: Double
  public var affine: Bool

  public init(channels: Int, groups: Int = 1, eps: Double = 1e-5, affine: Bool = true) {
    self.channels = channels
    self.groups = groups
    self.eps = eps
    self.affine = affine
  }

  /// `weight` and `bias` of shape `(C)` when affine.
  var affineShapes: [String: [Int]] { affine ? ["weight": [channels], "bias": [channels]] : [:] }

  /// The checks every norm makes; `groups` only means something to group norm.
  func check(_ check: NodeCheck, groupsMeaningful: Bool) throws {
    try check.expectArity(1...1)
    try check.positive("num_channels", channels, "num_channels must be positive, got \(channels)")
    try check.finite(eps, "eps")
    guard eps >= 0 else { throw check.fail("eps must be non-negative, got \(eps)") }
    if groupsMeaningful {
      try check.positive("num_groups", groups, "num_groups must be positive, got \(groups)")
      guard channels % groups == 0 else { throw check.fail("num_channels must be divisible by num_groups") }
    } else if groups != 1 {
      throw check.fail("groups must be 1 for \(check.opName), got \(groups)")
    }
  }
}
