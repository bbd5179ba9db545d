import ArgumentParser
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import C1D

/// How a run uses the machine: threads and the activation-memory bound. Shared by `run` and `bench`.
struct RuntimeOptions: ParsableArguments {
  // `.unconditional` so that `--threads -1` reaches the range check below instead of being read as a
  // flag named `-1` ("Missing value").
  @Option(parsing: .unconditional, help: "Threads for loading and running, at least 1 (default: every core).")
  var threads: Int?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "The most memory a run's input and activations may need, in bytes or with a K/M/G suffix (default: 8G).",
      discussion: """
        A run that would need more is refused before anything is allocated. Past it, a model that can stream \
        runs in time tiles: then the input, the output and a few MiB count.
        """))
  var memoryLimit: ByteCount?

  var settings: RuntimeSettings { RuntimeSettings(threads: threads, memoryLimit: memoryLimit?.bytes) }
  var memoryLimitBytes: Int { settings.memoryLimitBytes }

  func validate() throws {
    do { try settings.check() } catch let error as CLIError { throw ValidationError(error.description) }
  }

  func checkMemory(_ model: Model, length: Int, batch: Int, tiling: Bool = true) throws {
    try settings.checkMemory(model, length: length, batch: batch, tiling: tiling)
  }
}

/// `RuntimeOptions` as a plain value: what a run reads, with no argument-parser types (whose first use
/// costs a fresh process metadata instantiation; see `RunJob.plain`).
struct RuntimeSettings: Equatable {
  var threads: Int?
  /// Bytes; nil for the default.
  var memoryLimit: Int?

  var memoryLimitBytes: Int { memoryLimit ?? Model.defaultMemoryLimit }

  /// - Throws: `CLIError` (exit status 2) for a thread count or limit below 1.
  func check() throws {
    if let threads, threads < 1 { throw CLIError(description: "--threads must be at least 1, got \(threads)", exitCode: 2) }
    if let memoryLimit, memoryLimit < 1 { throw CLIError(description: "--memory-limit must be positive, got \(memoryLimit)", exitCode: 2) }
  }

  /// What the limit leaves for a run's activations once its input is allocated (the input is allocated
  /// first, and may be the largest buffer). `run` and `bench` pass it to `Model.run`, so that a run tiles
  /// wherever `checkMemory` counted tiles.
  func activationLimit(_ model: Model, length: Int, batch: Int) -> Int {
    max(0, memoryLimitBytes - inputBytes(model, length: length, batch: batch))
  }

  private func inputBytes(_ model: Model, length: Int, batch: Int) -> Int {
    Sizes.product(batch, model.graph.inputs[0].channels, length, 4)
  }

  /// Refuses a run whose input and activations would exceed the limit, before its input is allocated.
  /// - Parameter tiling: whether the run may go in time tiles, as `Model.run` does past the limit when the
  ///   graph can stream (`profile` times steps layer by layer, so it may not).
  /// - Throws: `CLIError` naming the figure, the run-time limit and the flag that raises it.
  func checkMemory(_ model: Model, length: Int, batch: Int, tiling: Bool = true) throws {
    let needed: Int
    do {
      needed = tiling
        ? try model.runActivationBytes(
          forInputLength: length, batch: batch, memoryLimit: activationLimit(model, length: length, batch: batch))
        : try model.activationBytes(forInputLength: length, batch: batch)
    } catch C1DError.limitExceeded {
      needed = Int.max
    }
    let inputBytes = inputBytes(model, length: length, batch: batch)
    let total = needed > Int.max - inputBytes ? Int.max : needed + inputBytes
    guard total <= memoryLimitBytes else {
      let figure = total == Int.max ? "more than 2⁶³ bytes" : "\(ByteCount.describe(total))"
      throw CLIError(description: """
        input length \(length) and batch \(batch) need \(figure) of input and activations, above the run-time \
        memory limit of \(ByteCount.describe(memoryLimitBytes)); use a shorter input or a smaller batch, or raise \
        the limit with --memory-limit
        """)
    }
  }
}

/// A size in bytes given as `1000000`, `512K`, `64M`, `8G` or `8GiB` (powers of 1024).
struct ByteCount: ExpressibleByArgument {
  var bytes: Int

  init?(argument: String) {
    let text = argument.uppercased().removingAll("IB").removingAll("B")
    let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
    let shift = text.last.flatMap { shifts[$0] } ?? 0
    guard let number = Int(shift == 0 ? text : String(text.dropLast())), number >= 0,
      number <= Int.max >> shift
    else { return nil }
    bytes = number << shift
  }

  static func describe(_ bytes: Int) -> String {
    let units = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")]
    guard let (shift, unit) = units.first(where: { bytes >= 1 << $0.0 }) else { return "\(bytes) bytes" }
    return "\(NumberText.fixed(Double(bytes) / Double(1 << shift), places: 1)) \(unit) (\(bytes) bytes)"
  }
}

/// How input files are read and checked. Shared by `run` and `bench --input`.
struct InputOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "The input's shape, N,C,L or C,L (raw float32 input only).")
  var shape: String?

  @Flag(help: "Run inputs holding NaN or infinities instead of refusing them.")
  var allowNonfinite = false

  @Flag(help: "Run audio whose sample rate differs from the model's (no resampling is done).")
  var ignoreSampleRate = false

  var settings: InputSettings {
    InputSettings(shape: shape, allowNonfinite: allowNonfinite, ignoreSampleRate: ignoreSampleRate)
  }

  func validate() throws {
    do { try settings.check() } catch let error as CLIError { throw ValidationError(error.description) }
  }
}

/// `InputOptions` as a plain value (see `RuntimeSettings`).
struct InputSettings: Equatable {
  var shape: String?
  var allowNonfinite = false
  var ignoreSampleRate = false

  /// - Throws: `CLIError` for a `--shape` that does not parse.
  func check() throws { _ = try parseShape(shape) }
}

enum Sizes {
  /// The product, or Int.max when it overflows (a size that large is refused anyway).
  static func product(_ factors: Int...) -> Int {
    factors.reduce(1) { partial, factor in
      let (result, overflow) = partial.multipliedReportingOverflow(by: factor)
      return overflow ? Int.max : result
    }
  }
}

/// "1 channel", "2 channels".
func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
