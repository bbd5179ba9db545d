#if canImport(Glibc)
  import Glibc
#endif

/// The frames of one value that a stream step has received but not yet consumed, `(N, C, ·)`, addressed by
/// absolute frame index. Appending moves frames to the front (or grows the storage) only when the tail is
/// full, so each frame is copied a bounded number of times however small the chunks.
struct FrameBuffer: Sendable {
  let batch: Int
  let channels: Int
  /// `batch · channels` rows of `capacity` frames each.
  private var storage: [Float] = []
  private var capacity = 0
  /// Where the first held frame sits within a row.
  private var head = 0
  /// Absolute index of the first held frame.
  private(set) var start = 0
  private(set) var count = 0

  init(batch: Int, channels: Int) {
    self.batch = batch
    self.channels = channels
  }

  /// Absolute index one past the last held frame.
  var end: Int { start + count }
  private var rows: Int { batch * channels }

  /// Makes room for `extra` more frames at the end: slides the held frames to the front when that leaves
  /// ample room, else grows the storage.
  private mutating func reserve(_ extra: Int) {
    guard head + count + extra > capacity else { return }
    let needed = count + extra
    let (rows, capacity, head, count) = (self.rows, self.capacity, self.head, self.count)
    // Sliding moves `count` frames; with at least 3 · count of room after the slide, slides cost at most a
    // third of a frame copy per appended frame.
    if needed + 2 * count <= capacity {
      storage.withUnsafeMutableBufferPointer { s in
        for r in 0..<rows {
          let row = s.baseAddress! + r * capacity
          memmove(row, row + head, count * MemoryLayout<Float>.stride)
        }
      }
    } else {
      let newCapacity = max(needed * 2 + 2 * count, 64)
      var fresh = [Float](repeating: 0, count: rows * newCapacity)
      if count > 0 {
        storage.withUnsafeBufferPointer { old in
          fresh.withUnsafeMutableBufferPointer { new in
            for r in 0..<rows {
              (new.baseAddress! + r * newCapacity).update(from: old.baseAddress! + r * capacity + head, count: count)
            }
          }
        }
      }
      storage = fresh
      self.capacity = newCapacity
    }
    self.head = 0
  }

  /// Appends frames `[skip, length)` of `x`, a `(batch, channels, length)` activation.
  mutating func append(_ x: Activation, skipping skip: Int = 0) {
    let length = x.shape.length ?? 1
    let m = length - skip
    guard m > 0 else { return }
    reserve(m)
    let (capacity, at, rows) = (self.capacity, head + count, self.rows)
    storage.withUnsafeMutableBufferPointer { s in
      x.data.withUnsafeBufferPointer { xb in
        for r in 0..<rows {
          (s.baseAddress! + r * capacity + at).update(from: xb.baseAddress! + r * length + skip, count: m)
        }
      }
    }
    count += m
  }

  /// Appends `m` frames of `value`.
  mutating func append(filling m: Int, with value: Float) {
    guard m > 0 else { return }
    reserve(m)
    let (capacity, at, rows) = (self.capacity, head + count, self.rows)
    storage.withUnsafeMutableBufferPointer { s in
      for r in 0..<rows { (s.baseAddress! + r * capacity + at).update(repeating: value, count: m) }
    }
    count += m
  }

  /// Appends a copy of held frame `source` (absolute).
  mutating func append(copyOf source: Int) {
    reserve(1)
    count += 1
    copy(frame: source, to: end - 1)
  }

  /// Overwrites held frame `target` with held frame `source` (both absolute).
  mutating func copy(frame source: Int, to target: Int) {
    precondition(source >= start && source < end && target >= start && target < end, "frames outside the buffer")
    let (capacity, s0, t0, rows) = (self.capacity, head + source - start, head + target - start, self.rows)
    storage.withUnsafeMutableBufferPointer { s in
      for r in 0..<rows { s[r * capacity + t0] = s[r * capacity + s0] }
    }
  }

  /// Frames `[from, from + m)` (absolute) as a contiguous `(batch, channels, m)` array.
  func frames(from: Int, count m: Int) -> [Float] {
    precondition(from >= start && from + m <= end, "frames outside the buffer")
    let (capacity, offset, rows) = (self.capacity, head + from - start, self.rows)
    return [Float].uninitialized(count: rows * m) { out in
      storage.withUnsafeBufferPointer { s in
        for r in 0..<rows { (out.baseAddress! + r * m).update(from: s.baseAddress! + r * capacity + offset, count: m) }
      }
    }
  }

  /// Forgets the frames before `index` (absolute).
  mutating func drop(before index: Int) {
    let n = min(max(0, index - start), count)
    head += n
    start += n
    count -= n
    if count == 0 { head = 0 }
  }
}
