import ArgumentParser
import C1D
import ConvRunAudio
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What `-o` writes: `.npy`, raw little-endian float32, or a 32-bit float WAV (for signal outputs).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case npy, raw, wav

  /// The format a file name asks for: `.npy`, `.wav`, otherwise raw.
  init(path: String) {
    switch PathText.fileExtension(path).lowercased() {
    case "npy": self = .npy
    case "wav", "wave": self = .wav
    default: self = .raw
    }
  }
}

/// Where a run's outputs go, decided (and checked) once before any input is run.
enum OutputDestination {
  case summary
  case standardOutput(OutputFormat)
  case file(String, OutputFormat?)
  case directory(String, OutputFormat)

  /// - Parameters:
  ///   - output: `-o` as given; a name ending in `/` or an existing directory means "write into it".
  ///   - inputCount: with several inputs, `-o` must name a directory.
  init(output: String?, format: OutputFormat?, inputCount: Int, force: Bool) throws {
    guard let output else {
      self = .summary
      return
    }
    if output == "-" {
      guard inputCount == 1 else { throw CLIError(description: "-o - writes one input's output to stdout; with \(inputCount) inputs, give a directory (-o outdir/)", exitCode: 2) }
      self = .standardOutput(format ?? .raw)
      return
    }
    let status = POSIXFile.status(output)
    if output.hasSuffix("/") || status.map(POSIXFile.isDirectory) == true {
      if status == nil, mkdir(output, 0o777) != 0 {
        throw CLIError(description: "cannot create the output directory \(output) (its parent must exist): \(POSIXError(code: errno).message)")
      }
      self = .directory(output.hasSuffix("/") ? String(output.dropLast()) : output, format ?? .npy)
      return
    }
    guard inputCount == 1 else {
      throw CLIError(description: "with \(inputCount) inputs, -o names a directory to write into; end it with / (e.g. -o \(output)/) and it is created", exitCode: 2)
    }
    try OutputFile.check(output, force: force)
    self = .file(output, format)
  }

  var writesToStandardOutput: Bool {
    if case .standardOutput = self { return true }
    return false
  }

  /// The path and format for one graph output of one input; nil for stdout or the summary.
  func target(input: String, output name: String, outputCount: Int) -> (path: String, format: OutputFormat)? {
    switch self {
    case .summary, .standardOutput: return nil
    case .file(let path, let format):
      let target = outputCount == 1 ? path : RunJob.path(path, inserting: fileNameSafe(name))
      return (target, format ?? OutputFormat(path: path))
    case .directory(let directory, let format):
      let stem = input == "stdin" ? "stdin" : PathText.stem(input)
      let suffix = outputCount == 1 ? "" : "." + fileNameSafe(name)
      return ("\(directory)/\(stem)\(suffix).\(format.rawValue)", format)
    }
  }
}

/// Graph output names may hold characters that do not belong in a file name (`0:`, `/`).
func fileNameSafe(_ name: String) -> String {
  String(name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
}

/// Encodes one output tensor in a format.
struct OutputEncoder {
  let model: Model

  /// - Throws: `CLIError` when a WAV is asked for an output that is not a signal at a known rate.
  func encode(_ tensor: Tensor, name: String, format: OutputFormat, input: LoadedInput) throws -> EncodedOutput {
    switch format {
    case .npy: return EncodedOutput(prefix: NPY.header(shape: tensor.shape), values: tensor.values)
    case .raw: return EncodedOutput(prefix: [], values: tensor.values)
    case .wav:
      let (channels, _) = try signalShape(tensor, name: name, input: input)
      guard let rate = model.graph.inputs[0].sampleRate.map({ Int($0.rounded()) }) ?? input.sampleRate else {
        throw CLIError(description: "output '\(name)' cannot be written as WAV: neither the model nor the input gives a sample rate; write .npy or raw instead")
      }
      return EncodedOutput(prefix: try AudioFile.encodeFloatWAV(tensor.values, channels: channels, sampleRate: rate), values: [])
    }
  }

  /// A signal is one item whose length is the input's: same time base, so the input's rate is its rate.
  private func signalShape(_ tensor: Tensor, name: String, input: LoadedInput) throws -> (Int, Int) {
    let shape = tensor.shape
    let inputLength = input.tensor.shape.last ?? 0
    let isOneItem = shape.count == 2 || (shape.count == 3 && shape[0] == 1)
    guard isOneItem, shape.count >= 2, shape[shape.count - 1] == inputLength else {
      throw CLIError(description: """
        output '\(name)' has shape \(dimensions(shape)) for an input of shape \(dimensions(input.tensor.shape)): \
        a WAV holds one signal at the input's sample rate (one item, length \(inputLength)); write .npy or raw instead
        """)
    }
    return (shape[shape.count - 2], shape[shape.count - 1])
  }
}

/// An encoded output: a prefix (a `.npy` header, or a whole WAV file), then float32 values written from
/// where they lie (this tool runs on little-endian machines only), so a long output is not copied on its way out.
struct EncodedOutput {
  var prefix: [UInt8]
  var values: [Float]

  var byteCount: Int { prefix.count + values.count * MemoryLayout<Float>.size }

  func withParts<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
    try prefix.withUnsafeBytes { head in try values.withUnsafeBytes { tail in try body([head, tail]) } }
  }
}
