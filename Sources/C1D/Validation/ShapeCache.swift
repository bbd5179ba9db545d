/// Every value's shape for the input lengths a model was last run with: a run signature seen before
/// skips shape inference. Errors are not cached (they are rare, and carry the batch in their text).
final class ShapeCache: Sendable {
  private struct Signature: Hashable {
    var lengths: [Int]
    var batch: Int?
  }

  /// A handful of signatures: a server sees few distinct lengths; a stream of ever-new lengths must not
  /// grow the cache without bound.
  private static let capacity = 16
  private let entries = Locked<[Signature: [ValueShape]]>([:])

  func shapes(_ validated: ValidatedGraph, lengths: [Int], batch: Int?) throws -> [ValueShape] {
    let signature = Signature(lengths: lengths, batch: batch)
    if let hit = entries.withLock({ $0[signature] }) { return hit }
    let shapes = try validated.explainedShapes(lengths: lengths, batch: batch)
    entries.withLock { entries in
      if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
      entries[signature] = shapes
    }
    return shapes
  }
}
