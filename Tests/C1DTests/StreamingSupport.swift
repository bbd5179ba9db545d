import Testing

@testable import C1D

/// Streams `input` ((C, L) or (N, C, L)) through `model` in chunks of the given sizes (cycled until the
/// input is used up) and returns every output, concatenated along time as the offline run shapes it.
func streamed(
  _ model: Model, _ input: Tensor, chunks: [Int], threads: Int = 1, output: String? = nil
) throws -> Tensor {
  var stream = try model.makeStream(threads: threads)
  let name = output ?? model.graph.outputs[0]
  let batched = input.shape.count == 3
  let (n, c, length) = batched ? (input.shape[0], input.shape[1], input.shape[2]) : (1, input.shape[0], input.shape[1])
  var pieces: [Tensor] = []
  var at = 0
  var k = 0
  while at < length {
    let m = min(chunks[k % chunks.count], length - at)
    k += 1
    var values: [Float] = []
    values.reserveCapacity(n * c * m)
    for r in 0..<n * c { values += input.values[r * length + at..<r * length + at + m] }
    let chunk = try Tensor(shape: batched ? [n, c, m] : [c, m], values: values)
    pieces.append(try stream.pushAll(chunk)[name]!)
    at += m
  }
  pieces.append(try stream.finishAll()[name]!)
  return concatenatedOverTime(pieces)
}

/// Joins stream outputs along their last axis; a piece whose shape has no time axis (a classifier's
/// features, given at the end) is returned as is.
func concatenatedOverTime(_ pieces: [Tensor]) -> Tensor {
  let last = pieces.last!
  if pieces.dropLast().allSatisfy({ $0.values.isEmpty }), last.shape.count != pieces[0].shape.count { return last }
  let rank = last.shape.count
  let rows = last.shape.dropLast().reduce(1, *)
  let total = pieces.reduce(0) { $0 + $1.shape[rank - 1] }
  var values = [Float](repeating: 0, count: rows * total)
  var offset = 0
  for piece in pieces {
    let m = piece.shape[rank - 1]
    for r in 0..<rows {
      for j in 0..<m { values[r * total + offset + j] = piece.values[r * m + j] }
    }
    offset += m
  }
  return Tensor(uncheckedShape: Array(last.shape.dropLast()) + [total], values: values)
}

/// Deterministic chunk-size sequences: single frames, primes, bursts, and a random mix.
enum ChunkPatterns {
  static let ones = [1]
  static let primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
  static let bursts = [1, 1, 1, 200, 1, 3, 500, 2, 64]
  static func random(seed: UInt64, count: Int = 64, upTo maxSize: Int = 300) -> [Int] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
      // Mostly small, sometimes large: both the per-frame path and whole tiles.
      Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 1...maxSize, using: &rng) : Int.random(in: 1...8, using: &rng)
    }
  }
}

/// Streams with several chunk patterns and compares each with the offline run.
func expectStreamMatchesOffline(
  _ model: Model, _ input: Tensor, label: String, patterns: [[Int]], threads: Int = 1
) throws {
  for output in model.graph.outputs {
    let offline = try model.run([model.graph.inputs[0].name: input], threads: threads)[output]!
    for chunks in patterns {
      let online = try streamed(model, input, chunks: chunks, threads: threads, output: output)
      #expect(online.shape == offline.shape, "\(label) \(output) chunks \(chunks.prefix(6))")
      guard online.shape == offline.shape else { continue }
      let error = relativeError(online, offline)
      #expect(error <= 1e-5, "\(label) \(output) chunks \(chunks.prefix(6)): relative error \(error)")
    }
  }
}
