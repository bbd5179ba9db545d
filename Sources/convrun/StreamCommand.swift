import ArgumentParser
import C1D

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

struct StreamCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stream",
    abstract: "Run a model on a signal read from stdin, writing output frames as soon as they are determined.",
    discussion: """
      stdin: raw little-endian float32 frames, time-major: each frame holds C_in values (the layout of \
      interleaved PCM). stdout: each output frame's C_out values, time-major, written as soon as the input \
      frames that determine it have arrived (the model's latency), flushed after every chunk; the frames \
      that depend on the right padding follow at end of input. A model ending in a reduction over time (a \
      classifier after a global pool) writes its F values at end of input.

      The output equals the offline run on the whole signal (within float rounding), edges included. \
      Models that need the whole time axis (GroupNorm or InstanceNorm over time, softmax over time, \
      circular padding, …) are refused, naming the node: exit status 1.

      Examples:
        sox in.wav -t f32 -c 1 - | convrun stream denoiser.c1d | sox -t f32 -r 16000 -c 1 - out.wav
        convrun stream classifier.c1d --chunk 4096 < signal.f32 > logits.f32
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(help: "Most frames per push: each read from stdin is cut into chunks of at most this many frames.")
  var chunk = 1024
  @Option(help: "Worker threads per step (default: every core; small chunks use one).") var threads: Int?
  @Flag(help: "Print the stream's latency and receptive field to stderr before starting.") var verbose = false
  @Option(help: "Instead of reading stdin, time a random signal of this many frames pushed in chunks of 1, 16, 160 and 4096 (and --chunk), against the offline run of the whole signal.")
  var measure: Int?

  func validate() throws {
    if chunk < 1 { throw ValidationError("--chunk must be at least 1, got \(chunk)") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }

  func run() throws {
    let model = try Model(contentsOf: self.model)
    guard model.graph.outputs.count == 1 else {
      throw CLIError(description: "\(self.model) has \(model.graph.outputs.count) outputs; convrun stream writes one")
    }
    var stream = try model.makeStream(threads: threads)
    let channels = model.graph.inputs[0].channels
    if verbose {
      printError("stream: \(channels) channels in, latency \(stream.latency) frames, receptive field \(stream.receptiveField) frames")
    }
    if let measure {
      try Self.measure(model, frames: measure, chunks: Array(Set([1, 16, 160, 4096, chunk])).sorted(), threads: threads)
      return
    }
    var reader = FrameReader(channels: channels, maxFrames: chunk)
    while let frames = try reader.next() {
      try write(try stream.push(frames))
    }
    if reader.leftoverBytes > 0 {
      printError("warning: ignored \(reader.leftoverBytes) trailing bytes: not a whole frame of \(channels) float32 values")
    }
    try write(try stream.finish())
  }

  /// Writes `(C, m)` (or a classifier's `(F)`) time-major: frame by frame, each frame's channels together.
  private func write(_ y: Tensor) throws {
    let bytes: [UInt8]
    if y.shape.count == 2 {
      let (c, m) = (y.shape[0], y.shape[1])
      guard m > 0 else { return }
      var interleaved = [Float](repeating: 0, count: c * m)
      for ch in 0..<c {
        for t in 0..<m { interleaved[t * c + ch] = y.values[ch * m + t] }
      }
      bytes = interleaved.withUnsafeBytes { Array($0) }
    } else {
      bytes = y.values.withUnsafeBytes { Array($0) }
    }
    try writeAll(bytes)
  }
}

extension StreamCommand {
  /// Prints the cost per input frame of streaming in each chunk size, best of three, next to the offline run.
  static func measure(_ model: Model, frames: Int, chunks: [Int], threads: Int?) throws {
    let channels = model.graph.inputs[0].channels
    var rng = SeededGenerator(seed: 1)
    let signal = try Tensor(shape: [channels, frames], values: (0..<channels * frames).map { _ in Float.random(in: -1...1, using: &rng) })
    let clock = ContinuousClock()
    func best(_ body: () throws -> Void) rethrows -> Double {
      var times: [Double] = []
      for _ in 0..<3 {
        let start = clock.now
        try body()
        times.append((clock.now - start).milliseconds)
      }
      return times.min()!
    }
    let input = [model.graph.inputs[0].name: signal]
    let offline = try best { _ = try model.run(input, threads: threads, tileAbove: .max) }
    print("offline, layer by layer: \(NumberText.fixed(offline, places: 3)) ms, \(NumberText.fixed(offline * 1e6 / Double(frames), places: 1)) ns/frame")
    if try model.runsTiled(forInputLength: frames, tileAbove: 0) {
      let tiled = try best { _ = try model.run(input, threads: threads, tileAbove: 0) }
      print("offline, time-tiled:     \(NumberText.fixed(tiled, places: 3)) ms, \(NumberText.fixed(tiled * 1e6 / Double(frames), places: 1)) ns/frame, ×\(NumberText.fixed(tiled / offline, places: 2))")
    } else {
      print("offline, time-tiled:     n/a (\(frames) frames fit in one tile, or the model cannot stream)")
    }
    for chunk in chunks where chunk <= frames {
      // The chunks are cut before the clock starts: what is timed is the stream alone.
      var pieces: [Tensor] = []
      for start in stride(from: 0, to: frames, by: chunk) {
        let m = min(chunk, frames - start)
        pieces.append(try Tensor(shape: [channels, m], values: (0..<channels).flatMap { c in signal.values[c * frames + start..<c * frames + start + m] }))
      }
      let ms = try best {
        var stream = try model.makeStream(threads: threads)
        for piece in pieces { _ = try stream.push(piece) }
        _ = try stream.finish()
      }
      print("chunk \(NumberText.fixed(Double(chunk), places: 0, width: 5)): \(NumberText.fixed(ms, places: 3)) ms, \(NumberText.fixed(ms * 1e6 / Double(frames), places: 1)) ns/frame, ×\(NumberText.fixed(ms / offline, places: 2)) the offline run")
    }
  }
}

/// Reads whole frames of little-endian float32 from stdin, as soon as they arrive: a read returns what the
/// pipe holds, so a live source is answered frame by frame rather than after a full chunk.
struct FrameReader {
  let channels: Int
  let maxFrames: Int
  private var pending: [UInt8] = []
  private(set) var leftoverBytes = 0

  init(channels: Int, maxFrames: Int) {
    self.channels = channels
    self.maxFrames = maxFrames
  }

  /// The next frames as a `(C_in, n)` tensor, or nil at end of input.
  mutating func next() throws -> Tensor? {
    let frameBytes = channels * 4
    let wanted = maxFrames * frameBytes
    while pending.count < frameBytes {
      var buffer = [UInt8](repeating: 0, count: wanted - pending.count)
      let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
      if got < 0 {
        if errno == EINTR { continue }
        throw CLIError(description: "reading stdin failed: \(String(cString: strerror(errno)))")
      }
      if got == 0 {
        leftoverBytes = pending.count
        return nil
      }
      pending += buffer[0..<got]
    }
    let n = pending.count / frameBytes
    var values = [Float](repeating: 0, count: n * channels)
    pending.withUnsafeBytes { raw in
      for t in 0..<n {
        for c in 0..<channels {
          let bits = raw.loadUnaligned(fromByteOffset: (t * channels + c) * 4, as: UInt32.self)
          values[c * n + t] = Float(bitPattern: UInt32(littleEndian: bits))
        }
      }
    }
    pending.removeFirst(n * frameBytes)
    return try Tensor(shape: [channels, n], values: values)
  }
}

/// Writes every byte to stdout, unbuffered, so that each chunk's frames leave at once.
func writeAll(_ bytes: [UInt8]) throws {
  var offset = 0
  while offset < bytes.count {
    let written = bytes.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
    if written < 0 {
      if errno == EINTR { continue }
      throw CLIError(description: "writing stdout failed: \(String(cString: strerror(errno)))")
    }
    offset += written
  }
}
