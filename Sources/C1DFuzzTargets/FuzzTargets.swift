import C1D
import ConvRunAudio

/// The fuzz targets: each takes arbitrary bytes and must return normally, whatever they hold. A trap,
/// a sanitizer report or a hang here is a bug in the library.
public enum FuzzTargets {
  /// Small limits keep each execution fast and bound what a hostile input may make the loader allocate.
  static let limits: LoadLimits = {
    var limits = LoadLimits()
    limits.maxHeaderBytes = 1 << 20
    limits.maxTensorBytes = 16 << 20
    limits.maxNodes = 4096
    limits.maxTensors = 4096
    return limits
  }()

  static let memoryLimit = 64 << 20
  /// Runs beyond this many FLOPs are only shape-checked, so that each execution stays short.
  static let flopLimit = 256 << 10

  /// Runs the model when the run is small enough; shape inference and the memory bound always run.
  static func runIfSmall(_ model: Model, _ x: Tensor, length: Int, batch: Int) {
    guard let shapes = try? model.shapes(forInputLength: length, batch: batch),
      (try? model.activationBytes(forInputLength: length, batch: batch)) != nil
    else { return }
    guard let flops = try? model.flops(shapes: shapes).values.reduce(0, { $0 &+ $1 }) else { return }
    guard flops >= 0, flops <= flopLimit / batch else { return }
    _ = try? model.run([model.graph.inputs[0].name: x], threads: 1, memoryLimit: memoryLimit)
  }

  public static func run(_ target: String, _ bytes: [UInt8]) {
    switch target {
    case "input": input(bytes)
    case "interpreter": interpreter(bytes)
    case "audio": audio(bytes)
    default: loader(bytes)
    }
  }

  /// The loader on arbitrary bytes. The preamble and header checksums are repaired first so that
  /// mutations reach the JSON parser, the tensor table and the graph validator instead of stopping at a
  /// CRC mismatch; a loaded model must re-save and reload to itself and run on a short input.
  static func loader(_ original: [UInt8]) {
    var bytes = original
    repairChecksums(&bytes)
    guard let model = try? Model(bytes: bytes, limits: limits) else { return }
    // A model loaded from bytes reads its tensors back from those bytes: serializing it cannot fail.
    guard let saved = try? model.serialized(), let again = try? Model(bytes: saved, limits: limits),
      again.graph == model.graph, (try? again.serialized()) == saved
    else {
      fatalError("a loaded model did not round-trip")
    }
    if model.graph.inputs.count == 1 {
      let input = model.graph.inputs[0]
      let length = input.length ?? 16
      guard input.channels * length <= 1 << 16 else { return }
      guard let x = try? Tensor(shape: [1, input.channels, length], repeating: 0.5) else { return }
      runIfSmall(model, x, length: length, batch: 1)
    }
  }

  /// The `.npy` reader, and the raw reader with a shape taken from the first bytes.
  static func input(_ bytes: [UInt8]) {
    _ = try? NPY.decode(bytes)
    if bytes.count >= 3 {
      let shape = [Int(bytes[0] % 4) + 1, Int(bytes[1]) + 1, Int(bytes[2]) + 1]
      let raw = Array(bytes.dropFirst(3))
      let floats = stride(from: 0, to: raw.count - raw.count % 4, by: 4).map { offset in
        Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[offset + $1]) << (8 * $1) })
      }
      _ = try? Tensor(shape: shape, values: floats)
    }
  }

  /// The CLI's audio reader (libsndfile through memory) on arbitrary bytes: WAV, FLAC, Ogg, MP3 and
  /// AIFF parsers all see them. A decoded signal must re-encode as a float WAV and decode to itself.
  static func audio(_ bytes: [UInt8]) {
    _ = AudioFile.looksLikeAudio(bytes)
    guard let signal = try? AudioFile.decode(bytes, name: "fuzz", maxSamples: 1 << 20) else { return }
    if signal.values.count != signal.channels * signal.frames { fatalError("decoded sample count does not match the shape") }
    guard signal.frames > 0 else { return }
    guard let wav = try? AudioFile.encodeFloatWAV(signal.values, channels: signal.channels, sampleRate: signal.sampleRate),
      let again = try? AudioFile.decode(wav, name: "again")
    else { return }
    // NaN never equals itself: compare bit patterns.
    guard again.values.map(\.bitPattern) == signal.values.map(\.bitPattern), again.channels == signal.channels else {
      fatalError("a decoded signal did not round-trip through a float WAV")
    }
  }

  /// A valid single-conv model with hostile but well-formed hyperparameters and input length, decoded
  /// from the bytes: must be refused or run within the memory limit.
  static func interpreter(_ bytes: [UInt8]) {
    var reader = ByteReader(bytes: bytes)
    let groups = reader.pick([1, 1, 2, 3, 4, 8])
    let inChannels = groups * reader.int(bits: 3, at: 1)
    let outChannels = groups * reader.int(bits: 3, at: 1)
    let kernel = reader.hostile()
    let stride = reader.hostile()
    let dilation = reader.hostile()
    let paddingChoice = reader.int(bits: 2, at: 0)
    let padding: Padding = paddingChoice == 0 ? .valid : paddingChoice == 1 ? .same : .explicit(reader.hostile() - 1)
    let mode = PaddingMode.allCases[reader.int(bits: 2, at: 0)]
    let length = reader.hostile()
    let batch = reader.int(bits: 2, at: 1)
    var rng = SeededGenerator(seed: 7)
    // Construction draws every weight; keep the layer small, the hyperparameters hostile.
    guard kernel > 0, Sizes.product(outChannels, inChannels / groups, kernel) <= 1 << 12 else { return }
    guard let conv = try? Conv1d(
      inChannels: inChannels, outChannels: outChannels, kernelSize: kernel, stride: stride, padding: padding,
      dilation: dilation, groups: groups, bias: reader.int(bits: 1, at: 0) == 1, paddingMode: mode, using: &rng)
    else { return }
    var builder = ModelBuilder(channels: inChannels)
    var value = builder.conv1d(conv, builder.input)
    if reader.int(bits: 1, at: 0) == 1 { value = builder.add(.gelu(.none), [value]) }
    value = appendVersion11Op(&builder, value, channels: outChannels, &reader)
    guard let model = try? builder.build(outputs: [value]) else { return }
    // Any length goes through shape inference and the memory bound; only small inputs are allocated.
    _ = try? model.activationBytes(forInputLength: length, batch: batch)
    let (elements, overflow) = (inChannels * batch).multipliedReportingOverflow(by: length)
    guard !overflow, elements <= 1 << 14, let x = try? Tensor(shape: [batch, inChannels, length], repeating: 0.25) else { return }
    runIfSmall(model, x, length: length, batch: batch)
  }

  /// One op of format 1.1 with hostile attributes after the conv (or none): validation, shape inference
  /// and the kernels of the new ops meet the same arithmetic edges as the conv's.
  static func appendVersion11Op(_ builder: inout ModelBuilder, _ x: String, channels: Int, _ reader: inout ByteReader) -> String {
    switch reader.int(bits: 3, at: 0) {
    case 1:
      let groups = reader.pick([1, 1, 2])
      let kernel = reader.hostile()
      guard kernel > 0, Sizes.product(channels, 4, kernel) <= 1 << 12 else { return x }
      let attributes = ConvTranspose1dAttributes(
        inChannels: channels, outChannels: 4 * groups, kernelSize: kernel, stride: reader.hostile(), padding: reader.hostile() - 1,
        outputPadding: reader.hostile() - 1, dilation: reader.hostile(), groups: groups, bias: false)
      let weight = (try? Tensor(shape: [channels, 4, kernel], repeating: 0.125)) ?? (try! Tensor(shape: [0], values: []))
      return builder.add(.convTranspose1d(attributes), [x], parameters: ["weight": weight])
    case 2:
      let useSize = reader.int(bits: 1, at: 0) == 1
      return builder.apply(
        .upsample(nearest: reader.int(bits: 1, at: 0) == 1, scaleFactor: useSize ? nil : Double(reader.hostile()) / 4,
          size: useSize ? reader.hostile() : nil, alignCorners: reader.int(bits: 1, at: 0) == 1), x)
    case 3:
      return builder.apply(.narrow(overTime: reader.int(bits: 1, at: 0) == 1, start: reader.hostile() - 1, length: reader.hostile()), x)
    case 4:
      let kinds = ["mean", "sum", "max", "min", "var", "std"]
      guard let op = try? Op.reduce(
        kinds[reader.int(bits: 3, at: 0) % kinds.count], axis: reader.int(bits: 1, at: 0) == 1 ? "time" : "channels",
        keepdim: reader.int(bits: 1, at: 0) == 1, correction: reader.hostile() - 1)
      else { return x }
      return builder.apply(op, x)
    case 5:
      return builder.apply(reader.int(bits: 1, at: 0) == 1 ? .adaptiveMaxPool1d(outputSize: reader.hostile()) : .adaptiveAvgPool1d(outputSize: reader.hostile()), x)
    case 6:
      return builder.apply(reader.int(bits: 1, at: 0) == 1 ? .glu(overTime: true) : .softmax(overTime: reader.int(bits: 1, at: 0) == 1), x)
    case 7:
      let other = builder.constant((try? Tensor(shape: [reader.int(bits: 2, at: 1), reader.int(bits: 2, at: 1)], repeating: 2)) ?? (try! Tensor(shape: [1], values: [1])))
      return builder.combine([.sub, .div, .pow, .maximum][reader.int(bits: 2, at: 0)], x, other)
    default:
      return x
    }
  }

  /// Recomputes the header CRC and the preamble CRC of a buffer that starts like a c1d file.
  static func repairChecksums(_ bytes: inout [UInt8]) {
    guard bytes.count >= 32 else { return }
    let size = (16..<24).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 16)) }
    if size >= 0, size <= bytes.count - 32 {
      let crc = crc32(bytes[32..<32 + size])
      for i in 0..<4 { bytes[24 + i] = UInt8(truncatingIfNeeded: crc >> (8 * i)) }
    }
    let crc = crc32(bytes[0..<28])
    for i in 0..<4 { bytes[28 + i] = UInt8(truncatingIfNeeded: crc >> (8 * i)) }
  }
}

/// CRC-32 (ISO-HDLC, zlib's), bitwise: the library keeps its own internal, and speed does not matter here.
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

enum Sizes {
  /// The product, or Int.max when it overflows.
  static func product(_ factors: Int...) -> Int {
    factors.reduce(1) { p, f in
      let (r, o) = p.multipliedReportingOverflow(by: f)
      return o ? Int.max : r
    }
  }
}

/// Reads small integers from fuzz bytes, zero when they run out.
struct ByteReader {
  let bytes: [UInt8]
  var position = 0

  mutating func byte() -> Int {
    defer { position += 1 }
    return position < bytes.count ? Int(bytes[position]) : 0
  }

  mutating func int(bits: Int, at minimum: Int) -> Int { minimum + byte() % (1 << bits) }

  mutating func pick(_ values: [Int]) -> Int { values[byte() % values.count] }

  /// Mostly small values, sometimes huge or negative ones.
  mutating func hostile() -> Int {
    switch byte() % 8 {
    case 0: return 0
    case 1: return -byte()
    case 2: return 1 << (byte() % 40)
    case 3: return Int.max - byte()
    default: return 1 + byte() % 12
    }
  }
}
