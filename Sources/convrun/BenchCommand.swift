import ArgumentParser
import C1D
import Foundation

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure a model's latency and throughput in-process, after warm-up.",
    discussion: """
      Runs the model on a random input of shape (batch, C_in, length), first --warmup times untimed,
      then --iterations times timed, and reports latency percentiles, throughput and GFLOP/s.

      Example:
        convrun bench model.c1d --length 16000 --batch 8 --threads 2
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(help: "Input length (default: the model's fixed length).") var length: Int?
  @Option(help: "Batch size.") var batch = 1
  @Option(help: "Worker threads (default: every core).") var threads: Int?
  @Option(help: "Untimed runs before measuring.") var warmup = 3
  @Option(help: "Timed runs.") var iterations = 20
  @Option(help: "Time on this input (.npy, (N, C, L)) instead of a random one; sets --batch and --length.")
  var input: String?
  @Flag(help: "Print the results as JSON.") var json = false

  func validate() throws {
    if batch < 1 { throw ValidationError("--batch must be at least 1") }
    if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  func run() throws {
    let clock = ContinuousClock()
    let loadStart = clock.now
    let model = try Model(contentsOf: self.model)
    let loadTime = (clock.now - loadStart).milliseconds
    let input = model.graph.inputs[0]
    let tensor: Tensor
    if let path = self.input {
      tensor = try InputLoader(model: model, shape: nil).load(path)
      guard tensor.shape.count == 3 else { throw CLIError(description: "--input must be (N, C, L)") }
    } else {
      guard let length = length ?? input.length else {
        throw CLIError(description: "the model has no fixed input length: pass --length", exitCode: 2)
      }
      var rng = SystemRandomNumberGenerator()
      let values = (0..<batch * input.channels * length).map { _ in Float.random(in: -1...1, using: &rng) }
      tensor = try Tensor(shape: [batch, input.channels, length], values: values)
    }
    let (batch, length) = (tensor.shape[0], tensor.shape[2])
    let flops = try model.flops(forInputLength: length).values.reduce(0, +) * batch
    for _ in 0..<warmup { _ = try model.run([input.name: tensor], threads: threads) }
    var times: [Double] = []
    for _ in 0..<iterations {
      let start = clock.now
      _ = try model.run([input.name: tensor], threads: threads)
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
    print(String(format: "  load       %9.3f ms", loadTime))
    for (label, value) in [("min", times[0]), ("p50", median), ("p90", percentile(90)), ("p99", percentile(99))] {
      print("  " + label.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "%9.3f ms", value))
    }
    print(String(format: "  throughput %9.1f samples/s, %.1f GFLOP/s (%@ FLOPs per run)", Double(batch) / (median * 1e-3), gflops, formatCount(flops)))
    if let rss = peakResidentMiB() { print(String(format: "  peak RSS   %9.1f MiB", rss)) }
  }

  /// This process's peak resident memory (Linux `VmHWM`), in MiB.
  private func peakResidentMiB() -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kilobytes / 1024
  }
}
