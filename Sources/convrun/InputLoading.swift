import C1D
import ConvRunAudio
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An input as read, with how it was interpreted (for the summary line) and, for audio, its rate.
struct LoadedInput {
  var name: String
  var tensor: Tensor
  /// e.g. "read as (1, 16, 1000) raw float32, N = 1 assumed (--shape N,C,L to say otherwise)".
  var interpretation: String
  var sampleRate: Int?
}

/// How `convrun` turns an input file (or stdin, `-`) into a tensor: `.npy` and audio are recognised by
/// their content, anything else is raw little-endian float32.
struct InputLoader {
  let model: Model
  let options: InputSettings

  private var input: GraphInput { model.graph.inputs[0] }

  /// - Throws: `C1DError.invalidInput`, `AudioError` or `CLIError`, stating the numbers and what to do.
  func load(_ path: String) throws -> LoadedInput {
    let name = path == "-" ? "stdin" : path
    // A float32 .npy file (the usual input) is read straight into its tensor; anything else, or any
    // problem, goes through the file's bytes, which say what it is and what is wrong.
    let loaded =
      try (path == "-" ? nil : NPY.readFloat32(path: path, name: name)).map {
        LoadedInput(name: name, tensor: $0, interpretation: "read as \(dimensions($0.shape)) from .npy")
      } ?? InputFile.read(path).withBytes { try interpret($0, path: path, name: name) }
    try checkShape(loaded)
    if !options.allowNonfinite { try checkFinite(loaded) }
    return loaded
  }

  /// .npy and audio by their content (or, failing that, their name); anything else is raw float32.
  private func interpret(_ bytes: UnsafeRawBufferPointer, path: String, name: String) throws -> LoadedInput {
    let isAudio = AudioFile.looksLikeAudio(Array(bytes.prefix(16)))
    if bytes.starts(with: npyMagic) || (path.lowercased().hasSuffix(".npy") && !isAudio) {
      let tensor = try NPY.decode(bytes, name: name)
      return LoadedInput(name: name, tensor: tensor, interpretation: "read as \(dimensions(tensor.shape)) from .npy")
    }
    if isAudio || InputFile.hasAudioExtension(path) { return try loadAudio(Array(bytes), name: name) }
    return try loadRaw(bytes, name: name)
  }

  private func loadAudio(_ bytes: [UInt8], name: String) throws -> LoadedInput {
    let signal = try AudioFile.decode(bytes, name: name)
    guard signal.channels == input.channels else {
      throw CLIError(description: """
        \(name) has \(plural(signal.channels, "channel")), the model's input '\(input.name)' takes \
        \(plural(input.channels, "channel")); convert the file first (e.g. sox \(name) -c \(input.channels) out.wav)
        """)
    }
    if let expected = input.sampleRate, Double(signal.sampleRate) != expected, !options.ignoreSampleRate {
      let rate = expected.rounded() == expected ? "\(Int(expected))" : "\(expected)"
      throw CLIError(description: """
        \(name) is sampled at \(signal.sampleRate) Hz, the model's input '\(input.name)' expects \(rate) Hz; \
        resample it first (e.g. sox \(name) -r \(rate) out.wav), or pass --ignore-sample-rate to run it \
        unchanged (convrun never resamples)
        """)
    }
    guard signal.frames > 0 else { throw CLIError(description: "\(name) holds no audio frames: nothing to run") }
    let tensor = try signal.tensor()
    return LoadedInput(
      name: name, tensor: tensor,
      interpretation: "read as \(dimensions(tensor.shape)) from \(signal.format), \(signal.sampleRate) Hz",
      sampleRate: signal.sampleRate)
  }

  private func loadRaw(_ bytes: UnsafeRawBufferPointer, name: String) throws -> LoadedInput {
    guard !bytes.isEmpty else {
      throw CLIError(description: "\(name) is empty (0 bytes): nothing to run; raw input is float32 (N, C_in, L) with C_in = \(input.channels)")
    }
    guard bytes.count % 4 == 0 else {
      throw C1DError.invalidInput("\(name) holds \(bytes.count) bytes, not a whole number of float32 values")
    }
    let floats = bytes.count / 4
    let shape: [Int]
    var note = ""
    if let given = try parseShape(options.shape) {
      guard given.checkedProductOrNil == floats else {
        throw C1DError.invalidInput("\(name) holds \(floats) float32 values, --shape \(given.map(String.init).joined(separator: ",")) needs \(given.checkedProductOrNil.map(String.init) ?? "too many")")
      }
      shape = given
    } else if let length = input.length {
      guard floats % (input.channels * length) == 0 else {
        throw C1DError.invalidInput("\(name) holds \(floats) floats, not a multiple of C_in × L = \(input.channels) × \(length)")
      }
      shape = [floats / (input.channels * length), input.channels, length]
      note = ", N from the model's fixed length \(length)"
    } else {
      guard floats % input.channels == 0 else {
        throw C1DError.invalidInput("\(name) holds \(floats) floats, not a multiple of C_in = \(input.channels) (pass --shape N,C,L)")
      }
      shape = [1, input.channels, floats / input.channels]
      note = ", N = 1 assumed (--shape N,C,L to say otherwise)"
    }
    let tensor = try Tensor(shape: shape, values: littleEndianFloats(bytes))
    return LoadedInput(name: name, tensor: tensor, interpretation: "read as \(dimensions(shape)) raw float32\(note)")
  }

  /// Rank, batch, channels and length, checked here so that the message names the file and the numbers.
  private func checkShape(_ loaded: LoadedInput) throws {
    let shape = loaded.tensor.shape
    guard shape.count == 2 || shape.count == 3 else {
      throw C1DError.invalidInput("\(loaded.name) has shape \(dimensions(shape)): expected (C, L) or (N, C, L)")
    }
    if let given = try parseShape(options.shape), given != shape {
      throw C1DError.invalidInput("\(loaded.name) has shape \(dimensions(shape)), --shape says \(dimensions(given)); --shape is for raw float32 input")
    }
    let (channels, length) = (shape[shape.count - 2], shape[shape.count - 1])
    if shape.count == 3, shape[0] == 0 {
      throw CLIError(description: "\(loaded.name) has batch size 0 (shape \(dimensions(shape))): nothing to run")
    }
    guard channels == input.channels else {
      throw CLIError(description: "\(loaded.name) has \(plural(channels, "channel")) (shape \(dimensions(shape))), the model's input '\(input.name)' takes \(plural(input.channels, "channel"))")
    }
    guard length > 0 else { throw CLIError(description: "\(loaded.name) has length 0 (shape \(dimensions(shape))): nothing to run") }
  }

  /// NaN and infinities are almost always a misread file (a WAV or int16 data taken as float32), so
  /// they are refused unless asked for.
  private func checkFinite(_ loaded: LoadedInput) throws {
    let values = loaded.tensor.values
    guard let first = Self.firstNonFinite(values) else { return }
    let count = values[first...].reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    throw CLIError(description: """
      \(loaded.name): \(count) of \(values.count) values are not finite (NaN or ±infinity), the first at flat index \
      \(first) = \(dimensions(unravel(first, loaded.tensor.shape))); is this raw float32? (audio, int16 or float64 \
      data read as float32 looks like this: give .npy or an audio file instead); pass --allow-nonfinite to run anyway
      """)
  }
}

extension InputLoader {
  /// The index of the first NaN or infinity. Blocks are summed eight lanes at a time as x − x, which is
  /// +0 for every finite x and NaN for NaN and ±∞, and only a block whose sum is NaN is searched value by
  /// value: a plain first-index search took 3.5 ms of an 8 Mi-value input's whole process, more than the
  /// model's run.
  static func firstNonFinite(_ values: [Float]) -> Int? {
    values.withUnsafeBufferPointer { floats in
      let bytes = UnsafeRawBufferPointer(floats)
      for start in stride(from: 0, to: floats.count, by: 4096) {
        let block = start..<min(start + 4096, floats.count)
        var lanes = SIMD8<Float>()
        var index = block.lowerBound
        while index + 8 <= block.upperBound {
          let v = bytes.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
          lanes += v - v
          index += 8
        }
        var rest: Float = 0
        for tail in index..<block.upperBound { rest += floats[tail] - floats[tail] }
        if (lanes.sum() + rest).isNaN { return block.first { !floats[$0].isFinite } }
      }
      return nil
    }
  }
}

private let npyMagic: [UInt8] = [0x93] + Array("NUMPY".utf8)

/// "(1, 16, 1000)", as Python prints shapes. A loop rather than `joined(separator:)`, whose first use in
/// a process instantiates generic metadata (about 0.1 ms; issue 16), on every run's summary line.
func dimensions(_ shape: [Int]) -> String {
  var text = "("
  for (index, extent) in shape.enumerated() { text += index == 0 ? String(extent) : ", " + String(extent) }
  return text + ")"
}

func unravel(_ index: Int, _ shape: [Int]) -> [Int] {
  var rest = index
  return shape.reversed().map { extent in
    defer { rest /= max(extent, 1) }
    return rest % max(extent, 1)
  }.reversed()
}

/// Raw little-endian float32 (this tool runs on little-endian machines only: x86-64 and arm64).
func littleEndianFloats(_ bytes: UnsafeRawBufferPointer) -> [Float] {
  [Float](unsafeUninitializedCapacity: bytes.count / 4) { buffer, count in
    if let source = bytes.baseAddress, let target = buffer.baseAddress { memcpy(target, source, bytes.count / 4 * 4) }
    count = bytes.count / 4
  }
}

extension Array where Element == Int {
  var checkedProductOrNil: Int? {
    reduce(Int?.some(1)) { partial, factor in
      partial.flatMap { let (r, o) = $0.multipliedReportingOverflow(by: factor); return o ? nil : r }
    }
  }
}

/// Parses `--shape 20,16,50`; every dimension must be a positive integer.
func parseShape(_ text: String?) throws -> [Int]? {
  guard let text else { return nil }
  let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingBlanks }
  for part in parts {
    guard let value = Int(part) else {
      throw CLIError(description: "--shape \(text): '\(part)' is not an integer; give N,C,L or C,L like 20,16,50", exitCode: 2)
    }
    guard value > 0 else {
      throw CLIError(description: "--shape \(text): dimension \(value) is not positive; every dimension must be at least 1, like 20,16,50", exitCode: 2)
    }
  }
  guard parts.count == 2 || parts.count == 3 else {
    throw CLIError(description: "--shape \(text): \(parts.count) numbers, expected N,C,L or C,L like 20,16,50", exitCode: 2)
  }
  return parts.map { Int($0)! }
}
