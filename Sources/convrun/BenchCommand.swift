import ArgumentParser
import C1D
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure a model's latency and throughput in-process, after warm-up.",
    discussion: """
      Runs the model on a random input of shape (batch, C_in, length), first --warmup times untimed, \
      then --iterations times timed, and reports latency percentiles, throughput and GFLOP/s.

      Example:
        convrun bench model.c1d --length 16000 --batch 8 --threads 2
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(parsing: .unconditional, help: "Input length (default: the model's fixed length).") var length: Int?
  @Option(parsing: .unconditional, help: "Batch size.") var batch = 1
  @Option(help: "Untimed runs before measuring.") var warmup = 3
  @Option(help: "Timed runs.") var iterations = 20
  @Option(help: "Time on this input (.npy, audio or raw, as `run` reads it) instead of a random one; sets --batch and --length.")
  var input: String?
  @Flag(help: "Print the results as JSON.") var json = false
  @OptionGroup var inputOptions: InputOptions
  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
    if let length, length < 1 { throw ValidationError("--length must be at least 1, got \(length)") }
    if iterations < 1 { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
    if warmup < 0 { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
  }

  /// The input to time: the given file, or a random one allocated only after the memory check.
  private func benchInput(_ model: Model) throws -> Tensor {
    let graphInput = model.graph.inputs[0]
    if let path = self.input {
      let tensor = try InputLoader(model: model, options: inputOptions.settings).load(path).tensor
      guard tensor.shape.count == 3 else { throw CLIError(description: "--input must be (N, C, L), got \(dimensions(tensor.shape))") }
      try runtime.checkMemory(model, length: tensor.shape[2], batch: tensor.shape[0])
      return tensor
    }
    guard let length = length ?? graphInput.length else {
      throw CLIError(description: "the model has no fixed input length: pass --length", exitCode: 2)
    }
    try runtime.checkMemory(model, length: length, batch: batch)
    var rng = SystemRandomNumberGenerator()
    let values = (0..<batch * graphInput.channels * length).map { _ in Float.random(in: -1...1, using: &rng) }
    return try Tensor(shape: [batch, graphInput.channels, length], values: values)
  }

  func run() throws {
    let clock = ContinuousClock()
    let loadStart = clock.now
    let model = try ModelFile.load(self.model, threads: runtime.threads)
    let loadTime = (clock.now - loadStart).milliseconds
    guard model.graph.inputs.count == 1 else {
      throw CLIError(description: "\(self.model) has \(plural(model.graph.inputs.count, "input")); convrun bench times single-input models")
    }
    let input = model.graph.inputs[0]
    let tensor = try benchInput(model)
    let threads = runtime.threads
    let (batch, length) = (tensor.shape[0], tensor.shape[2])
    let flops = try model.flops(forInputLength: length).values.reduce(0, +) * batch
    let memoryLimit = runtime.settings.activationLimit(model, length: length, batch: batch)
    for _ in 0..<warmup { _ = try model.run([input.name: tensor], threads: threads, memoryLimit: memoryLimit) }
    var times: [Double] = []
    for _ in 0..<iterations {
      let start = clock.now
      _ = try model.run([input.name: tensor], threads: threads, memoryLimit: memoryLimit)
      times.append((clock.now - start).milliseconds)
    }
    times.sort()
    func percentile(_ p: Double) -> Double { times[min(times.count - 1, Int(p / 100 * Double(times.count)))] }
    let median = percentile(50)
    let gflops = Double(flops) / (median * 1e-3) / 1e9
    if json {
      print("""
        {"model":\(quote(self.model)),"batch":\(batch),"length":\(length),"threads":\(threads ?? Model.defaultThreads),\
        "load_ms":\(loadTime),"p50_ms":\(median),"p90_ms":\(percentile(90)),"p99_ms":\(percentile(99)),\
        "min_ms":\(times[0]),"samples_per_s":\(Double(batch) / (median * 1e-3)),"gflops":\(gflops),"flops":\(flops),\
        "peak_rss_mib":\(peakResidentMiB() ?? -1)}
        """)
      return
    }
    print("\(self.model): batch \(batch), length \(length), threads \(threads ?? Model.defaultThreads)")
    print("  load       \(NumberText.fixed(loadTime, places: 3, width: 9)) ms")
    for (label, value) in [("min", times[0]), ("p50", median), ("p90", percentile(90)), ("p99", percentile(99))] {
      print("  " + label.padded(to: 11) + NumberText.fixed(value, places: 3, width: 9) + " ms")
    }
    print("  throughput \(NumberText.fixed(Double(batch) / (median * 1e-3), places: 1, width: 9)) samples/s, \(NumberText.fixed(gflops, places: 1)) GFLOP/s (\(formatCount(flops)) FLOPs per run)")
    if let rss = peakResidentMiB() { print("  peak RSS   \(NumberText.fixed(rss, places: 1, width: 9)) MiB") }
  }

  /// This process's peak resident memory (Linux `VmHWM`), in MiB.
  private func peakResidentMiB() -> Double? {
    guard let bytes = try? InputFile.read("/proc/self/status"),
      case let status = bytes.withBytes({ String(decoding: $0, as: UTF8.self) }),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kilobytes / 1024
  }
}
