import Synchronization

/// Splits `count` independent work items over up to `threads` threads.
enum Parallel {
  /// How many of `threads` a job of `work` FLOPs is worth, when a thread only pays for itself above
  /// `perThread` FLOPs (with the spinning `WorkerPool`, a few microseconds of work: 512 K FLOPs for
  /// the GEMM path with its per-tile set-up, 256 K for the depthwise path).
  static func threads(_ threads: Int, work: Int, perThread: Int) -> Int {
    max(1, min(threads, work / perThread))
  }

  /// The product of the factors, saturating at `Int.max` instead of trapping.
  static func work(_ factors: Int...) -> Int {
    factors.reduce(1) { product, factor in
      let (result, overflow) = product.multipliedReportingOverflow(by: factor)
      return overflow ? Int.max : result
    }
  }

  static func forEach(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    // Single-threaded work never touches (or starts) the pool.
    guard min(threads, count) > 1 else {
      for index in 0..<count { body(index) }
      return
    }
    let workers = min(threads, count, WorkerPool.shared.capacity)
    // Each participant works through a contiguous range of its own first, so that a thread tends to get the
    // same items step after step (the same output columns, whose input it wrote itself and still holds in
    // its cache); then it takes what is left of the others' ranges: on a shared machine one core can fall
    // behind, and the others then take its share.
    let ranges = WorkRanges(count: count, participants: workers)
    WorkerPool.shared.run(participants: workers) { participant in
      for offset in 0..<workers {
        let range = (participant + offset) % workers
        while let index = ranges.take(from: range) { body(index) }
      }
    }
  }
}

/// `count` items split into one contiguous range per participant, each handed out from its front.
final class WorkRanges: Sendable {
  private let count: Int
  private let participants: Int
  private let claimed: [WorkCounter]

  init(count: Int, participants: Int) {
    self.count = count
    self.participants = participants
    claimed = (0..<participants).map { _ in WorkCounter() }
  }

  /// The next unclaimed item of range `range`, or nil when it has none left.
  func take(from range: Int) -> Int? {
    let start = range * count / participants
    let end = (range + 1) * count / participants
    let index = start + claimed[range].take()
    return index < end ? index : nil
  }
}

/// Items claimed so far from one range of a `Parallel.forEach`.
private final class WorkCounter: Sendable {
  private let claimed = Atomic<Int>(0)

  func take() -> Int { claimed.add(1, ordering: .relaxed).oldValue }
}

/// A pointer that kernels share across the threads of one `Parallel.forEach`, each writing a
/// disjoint range of it.
struct SharedPointer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Float>
}

extension Array where Element == Float {
  /// An array whose every element the caller writes before reading; skips the zero-fill pass.
  static func uninitialized(count: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      fill(buffer)
      initialized = count
    }
  }

  /// Arrays of `counts` elements each, which `fill` writes completely, given their storage side by side
  /// (`uninitialized(count:_:)` for several arrays at once). Every count must be positive.
  static func uninitialized(
    counts: ArraySlice<Int>, filled pointers: [UnsafeMutablePointer<Float>] = [],
    _ fill: ([UnsafeMutablePointer<Float>]) -> Void
  ) -> [[Float]] {
    guard let count = counts.first else {
      fill(pointers)
      return []
    }
    precondition(count > 0, "an empty array has no storage to fill")
    var rest: [[Float]] = []
    let first = [Float].uninitialized(count: count) { buffer in
      rest = uninitialized(counts: counts.dropFirst(), filled: pointers + [buffer.baseAddress!], fill)
    }
    return [first] + rest
  }
}
